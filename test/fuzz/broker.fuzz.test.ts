// Fuzzing the broker's ConnInfo stream (test/fuzz/support.ts says how): the other side sends any
// sequence of ConnInfo (any service id, network, address, knocks, acks and errors, duplicates,
// out of order), in plain and multiplexed mode. receive() never throws, it answers every knock of
// the multiplexed mode with at most one ack, and the broker still dials afterwards: a dial for a
// fresh id gets the next ConnInfo for that id, or a TransportError naming a network it cannot use.
import { create } from "@bufbuild/protobuf";
import { loadGrpcJs, TransportError } from "@rpcplugin/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ConnInfo, ConnInfoSchema } from "../../packages/runtime/dist/gen/plugin/grpc_broker_pb.js";
import { BrokerCore, type BrokerMultiplexer } from "../../packages/runtime/dist/protocol/broker.js";
import { fuzzParameters, protocolText, valueOrTypedErrorAsync } from "./support.js";

const grpc = await loadGrpcJs();

const serviceId = fc.oneof(fc.constantFrom(0, 1, 2, 3, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 }));
const connInfo = fc
  .record(
    {
      serviceId,
      network: fc.oneof(fc.constantFrom("unix", "tcp", "", "udp", "UNIX"), protocolText),
      address: fc.oneof(fc.constantFrom("/tmp/plugin1", "127.0.0.1:1234", ""), protocolText),
      knock: fc.option(fc.record({ knock: fc.boolean(), ack: fc.boolean(), error: fc.oneof(fc.constant(""), fc.string()) }), { nil: undefined }),
    },
    { requiredKeys: ["serviceId"] },
  )
  .map((fields) => create(ConnInfoSchema, fields));

/** A multiplexer that hands out nothing: the fuzz checks the ConnInfo bookkeeping, not yamux. */
const idleMultiplexer: BrokerMultiplexer = {
  openStream: () => Promise.reject(new TransportError("no streams in this test")),
  expectStream: () => {},
  clientOver: () => Promise.reject(new TransportError("no clients in this test")),
};

function broker(multiplexed: boolean) {
  const sent: ConnInfo[] = [];
  const core = new BrokerCore({
    send: (info) => sent.push(info),
    listen: { network: "unix" },
    serverCredentials: () => grpc.ServerCredentials.createInsecure(),
    channelCredentials: () => grpc.credentials.createInsecure(),
    multiplexer: multiplexed ? idleMultiplexer : undefined,
  });
  return { core, sent };
}

describe("fuzz: the broker's ConnInfo stream", () => {
  it("plain mode: any ConnInfo sequence, then a dial for a fresh id still gets its ConnInfo", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(connInfo, { maxLength: 30 }), fc.constantFrom("unix", "tcp", "udp", ""), async (infos, network) => {
        const { core, sent } = broker(false);
        try {
          for (const info of infos) core.receive(info);
          expect(sent.every((info) => info.knock?.ack === true && info.knock.error !== "")).toBe(true);
          const fresh = Math.max(0, ...infos.map((info) => info.serviceId)) + 1;
          const dialed = core.dial(fresh, { timeoutMs: 1000 });
          core.receive(create(ConnInfoSchema, { serviceId: fresh, network, address: network === "tcp" ? "127.0.0.1:1" : "/tmp/nothing-here" }));
          const result = await valueOrTypedErrorAsync(() => dialed, TransportError);
          if (network === "unix" || network === "tcp") expect(result).toHaveProperty("value");
          else expect((result as { error: Error }).error.message).toContain("unknown address type");
        } finally {
          await core.close();
        }
      }),
      fuzzParameters(),
    );
  });

  it("multiplexed mode: knocks for served ids get one ack each, the others wait; nothing throws", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(connInfo, { maxLength: 30 }), fc.array(serviceId, { maxLength: 3 }), async (infos, served) => {
        const { core, sent } = broker(true);
        try {
          for (const id of served) await core.acceptAndServe(id, () => {});
          for (const info of infos) core.receive(info);
          const knocked = infos.filter((info) => info.knock?.knock && !info.knock.ack).map((info) => info.serviceId);
          const acks = sent.filter((info) => info.knock?.ack);
          for (const ack of acks) expect(knocked).toContain(ack.serviceId);
          expect(acks.filter((ack) => !served.includes(ack.serviceId))).toEqual([]);
          expect(acks.length).toBe(knocked.filter((id) => served.includes(id)).length);
        } finally {
          await core.close();
        }
      }),
      fuzzParameters(),
    );
  });
});
