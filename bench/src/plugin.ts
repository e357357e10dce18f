/**
 * The TypeScript plugin of the benchmarks: the twin of
 * fixtures/go/cmd/benchplugin (see its doc comment for what each call does).
 * One plugin, "bench", serving proto.KV, proto.StreamerService and
 * grpctest.Test from memory. BENCH_NETWORK=tcp serves over TCP.
 */
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type * as grpc from "@grpc/grpc-js";
import { createClient, type Plugin, serve, servicePlugin } from "@rpcplugin/runtime";
import { PingPong, Test } from "../gen/grpctest/test_pb.js";
import { KV } from "../gen/kv_pb.js";
import { StreamerService } from "../gen/streamer_pb.js";
import { applyOptionOverrides, handshake, quantile } from "./common.js";

applyOptionOverrides();

const values = new Map<number, Buffer>();
function value(n: number): Buffer {
  let v = values.get(n);
  if (!v) {
    v = Buffer.alloc(n);
    for (let i = 0; i < n; i++) v[i] = 97 + (i % 26);
    values.set(n, v);
  }
  return v;
}

/** A full GC on demand (for Get("mem")), without starting the plugin with --expose-gc. */
let gc: (() => void) | undefined;
function collect(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

/** How long broker:rtt pings unmeasured before timing (the same in the Go twin). */
const BROKER_WARM_UP_MS = 1000;

let total = 0;
let chunkSize = 64 * 1024;
let callback: grpc.Client | undefined;

/**
 * /bench.Raw/Get: a plain grpc-js handler answering GetResponse{value: 100 bytes}, pre-encoded
 * (no protobuf-es, no rpc layer), for bench/profile/unary-layers.mjs to split the rpc layer's
 * cost from grpc-js's in real host and plugin processes.
 */
const rawResponse = Buffer.concat([Buffer.from([0x0a, 100]), value(100)]);
const identity = (b: Buffer) => b;
const rawService: grpc.ServiceDefinition = {
  get: {
    path: "/bench.Raw/Get",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

const bench: Plugin = {
  register(server, context) {
    server.addService(rawService, { get: (_call: unknown, respond: (error: null, value: Buffer) => void) => respond(null, rawResponse) });

    servicePlugin(KV, {
      async get({ key }) {
        if (key.startsWith("stdout:")) {
          const n = Number(key.slice("stdout:".length));
          const chunk = value(64 * 1024);
          for (let left = n; left > 0; left -= chunk.length) {
            process.stdout.write(left < chunk.length ? chunk.subarray(0, left) : chunk);
          }
          return {};
        }
        if (key === "mem") {
          // RSS as it is, then the live heap after a full collection: growth of the latter is a leak.
          const rss = process.memoryUsage.rss();
          collect();
          const { heapUsed, external } = process.memoryUsage();
          return { value: Buffer.from(JSON.stringify({ rssMiB: rss / 2 ** 20, heapMiB: (heapUsed + external) / 2 ** 20 })) };
        }
        if (key.startsWith("broker:rtt:")) {
          const n = Number(key.slice("broker:rtt:".length));
          if (!callback) throw new Error("no callback connection: call Test.Bidirectional first");
          const client = createClient(PingPong, callback);
          // Unmeasured calls first (1 s, as the Go twin): the callback reverses the roles (this
          // process as gRPC client, the host as server), code paths the JIT has not warmed yet.
          for (const warm = performance.now(); performance.now() - warm < BROKER_WARM_UP_MS; ) await client.ping({});
          const rtts: number[] = [];
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            await client.ping({});
            rtts.push((performance.now() - t0) * 1e6);
          }
          rtts.sort((a, b) => a - b);
          return { value: Buffer.from(JSON.stringify({ p50Ns: quantile(rtts, 0.5), p99Ns: quantile(rtts, 0.99), n })) };
        }
        const n = Number(key);
        if (!Number.isInteger(n) || n < 0) throw new Error(`bad key ${JSON.stringify(key)}`);
        return { value: value(n) };
      },
      put() {
        return {};
      },
    }).register?.(server, context);

    servicePlugin(StreamerService, {
      configure({ path, chunkSize: size }) {
        total = Number(path);
        if (!Number.isInteger(total)) throw new Error("path must be the total byte count");
        chunkSize = Number(size) > 0 ? Number(size) : 64 * 1024;
        return {};
      },
      async *read() {
        const chunk = value(chunkSize);
        for (let left = total; left > 0; left -= chunk.length) {
          yield { readBytes: left < chunk.length ? chunk.subarray(0, left) : chunk };
        }
      },
      async write(chunks) {
        for await (const _ of chunks) {
          // counted by the client; nothing to keep
        }
        return {};
      },
    }).register?.(server, context);

    servicePlugin(Test, {
      double({ Input }) {
        return { Output: Input * 2 };
      },
      async *stream(requests) {
        for await (const { Input } of requests) yield { Output: Input };
      },
      async bidirectional({ id }) {
        const connection = await context.broker.dial(id);
        try {
          await createClient(PingPong, connection).ping({});
        } catch (error) {
          connection.close();
          throw error;
        }
        callback?.close();
        callback = connection;
        return { id };
      },
    }).register?.(server, context);
  },
};

await serve({
  handshake,
  network: process.env.BENCH_NETWORK === "tcp" ? "tcp" : "unix",
  plugins: { bench },
});
