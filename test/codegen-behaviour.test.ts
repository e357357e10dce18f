// Generated code at work: each generated plugin served in-process on a real
// grpc-js server (through `Plugin.server(handler).register`, i.e. the
// runtime's addService) and called through the generated client classes.
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { type Broker, Code, type Logger, type Plugin, RpcError } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { type MembersHandler, MembersPlugin, type ThenableHandler, ThenablePlugin } from "../fixtures/codegen/gen/clash/v1/clash_rpcplugin.js";
import { EchoServiceClient, type EchoServiceHandler, EchoServicePlugin } from "../fixtures/codegen/gen/echo/v1/echo_rpcplugin.js";
import { CounterPlugin } from "../fixtures/codegen/gen/editions/v1/editions_rpcplugin.js";
import { LegacyPlugin } from "../fixtures/codegen/gen/legacy/v1/legacy_rpcplugin.js";
import { MirrorPlugin } from "../fixtures/codegen/gen/mirror/v1/mirror_rpcplugin.js";
import { ClockPlugin } from "../fixtures/codegen/gen/wkt/v1/wkt_rpcplugin.js";

class Echo implements EchoServiceHandler {
  echo(request: { text: string }) {
    return { text: request.text };
  }
  async *expand(request: { text: string; count: number }) {
    for (let index = 0; index < request.count; index++) yield { text: request.text, index };
  }
  async collect(requests: AsyncIterable<{ text: string }>) {
    const texts: string[] = [];
    for await (const request of requests) texts.push(request.text);
    return { text: texts.join(","), index: texts.length };
  }
  async *chat(requests: AsyncIterable<{ text: string }>) {
    let index = 0;
    for await (const request of requests) yield { text: request.text.toUpperCase(), index: index++ };
  }
  fail(request: { code: number; message: string }): never {
    throw new RpcError(request.message, request.code);
  }
  async oldEcho(request: { text: string }) {
    return { text: `old ${request.text}` };
  }
}

const memberNames = [
  "constructor$",
  "toString$",
  "valueOf$",
  "toJSON$",
  "delete",
  "new",
  "class",
  "function",
  "default",
  "client",
  "request",
  "options",
  "transport",
  "service",
] as const satisfies readonly (keyof MembersHandler)[];
const membersCalled: string[] = [];
const members = Object.fromEntries(
  memberNames.map((name) => [
    name,
    (_request: unknown, context: { method: string }) => {
      membersCalled.push(`${name} ${context.method}`);
      return {};
    },
  ]),
) as unknown as MembersHandler;

// Not used by these services: the plugin context exists for broker callbacks and logging.
const serverContext = { broker: {} as Broker, logger: {} as Logger };

describe("generated plugins served and called in-process", () => {
  let server: grpc.Server;
  let transport: grpc.Client;
  const dispense = <C>(plugin: Plugin<C>): C => {
    if (!plugin.client) throw new Error("the plugin has no client");
    return plugin.client({ transport, broker: serverContext.broker });
  };

  beforeAll(async () => {
    server = new grpc.Server();
    const plugins: Plugin[] = [
      EchoServicePlugin.server(new Echo()),
      MembersPlugin.server(members),
      ClockPlugin.server({
        now: () => timestampFromDate(new Date(Date.UTC(2030, 0, 2, 3, 4, 5))),
        describe: (request) => {
          if (request.fields.name?.kind.case !== "stringValue") throw new RpcError("name must be a string", Code.INVALID_ARGUMENT);
          return {};
        },
      }),
      MirrorPlugin.server({
        copy: (item) => ({ value: new TextEncoder().encode(`${item.key}:${item.detail?.note ?? ""}`) }),
        detail: (detail) => ({ name: detail.note }),
      }),
      ThenablePlugin.server({ then$: () => ({}) }),
      LegacyPlugin.server({ lookup: (request) => ({ values: Array.from({ length: request.limit }, () => request.key) }) }),
      CounterPlugin.server(() => {
        let total = 0n;
        return { add: (request) => ({ total: (total += request.delta) }) };
      }),
    ];
    for (const plugin of plugins) plugin.register?.(server, serverContext);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    transport?.close();
    server?.forceShutdown();
  });

  it("dispenses the generated client class", () => {
    expect(dispense(EchoServicePlugin)).toBeInstanceOf(EchoServiceClient);
    expect(dispense(EchoServicePlugin.server(new Echo()))).toBeInstanceOf(EchoServiceClient);
  });

  it("unary", async () => {
    const response = await dispense(EchoServicePlugin).echo({ text: "hello" });
    expect(response.$typeName).toBe("echo.v1.EchoResponse");
    expect(response.text).toBe("hello");
    expect((await dispense(EchoServicePlugin).oldEcho({ text: "x" })).text).toBe("old x");
  });

  it("server streaming", async () => {
    const responses = [];
    for await (const response of dispense(EchoServicePlugin).expand({ text: "a", count: 3 })) responses.push([response.text, response.index]);
    expect(responses).toEqual([
      ["a", 0],
      ["a", 1],
      ["a", 2],
    ]);
  });

  it("client streaming, from an async generator and from an array", async () => {
    const client = dispense(EchoServicePlugin);
    async function* requests() {
      yield { text: "x" };
      yield { text: "y" };
    }
    expect(await client.collect(requests())).toMatchObject({ text: "x,y", index: 2 });
    expect(await client.collect([{ text: "p" }, { text: "q" }, { text: "r" }])).toMatchObject({ text: "p,q,r", index: 3 });
  });

  it("bidi streaming", async () => {
    async function* requests() {
      yield { text: "one" };
      yield { text: "two" };
    }
    const responses = [];
    for await (const response of dispense(EchoServicePlugin).chat(requests())) responses.push(`${response.index}:${response.text}`);
    expect(responses).toEqual(["0:ONE", "1:TWO"]);
  });

  it("an RpcError thrown by the handler reaches the client with its code and message", async () => {
    const failure = dispense(EchoServicePlugin).fail({ code: Code.NOT_FOUND, message: "no such key" });
    await expect(failure).rejects.toBeInstanceOf(RpcError);
    await expect(failure).rejects.toMatchObject({ code: Code.NOT_FOUND, message: expect.stringContaining("no such key") });
    await expect(dispense(EchoServicePlugin).fail({ code: Code.PERMISSION_DENIED, message: "go away" })).rejects.toMatchObject({
      code: Code.PERMISSION_DENIED,
    });
  });

  it("calls RPCs named like reserved words and object members", async () => {
    const client = dispense(MembersPlugin);
    for (const name of memberNames) expect(await client[name]({})).toMatchObject({ $typeName: "clash.v1.Empty" });
    expect(membersCalled).toEqual(memberNames.map((name) => `${name} /clash.v1.Members/${name.replace(/\$$/, "").replace(/^./, (c) => c.toUpperCase())}`));
  });

  it("a client with an RPC named Then is not a thenable: the method is then$", async () => {
    const client = dispense(ThenablePlugin);
    expect(await Promise.resolve(client)).toBe(client);
    expect(await client.then$({})).toMatchObject({ $typeName: "clash.v1.Empty" });
  });

  it("a handler for an RPC named Then is not a thenable either: the member is then$, and an async factory's handler can be awaited", async () => {
    let called = 0;
    const makeHandler = async (): Promise<ThenableHandler> => ({
      then$: () => {
        called++;
        return {};
      },
    });
    const handler = await makeHandler();
    expect(called).toBe(0);
    expect(Object.keys(handler)).toEqual(["then$"]);
    expectTypeOf<ThenableHandler>().not.toHaveProperty("then");
    // What the runtime serves for Then is the handler's then$ (the served one answers the client above).
    expect(await handler.then$({ $typeName: "clash.v1.Empty" }, {} as never)).toEqual({});
    expect(called).toBe(1);
  });

  it("well-known types", async () => {
    const clock = dispense(ClockPlugin);
    expect(timestampDate(await clock.now({})).toISOString()).toBe("2030-01-02T03:04:05.000Z");
    await clock.describe({ fields: { name: { kind: { case: "stringValue", value: "x" } } } });
    await expect(clock.describe({})).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT });
    // Methods the handler left out answer UNIMPLEMENTED.
    await expect(clock.stamp({})).rejects.toMatchObject({ code: Code.UNIMPLEMENTED });
  });

  it("imported and nested messages, proto2 and editions", async () => {
    const mirror = dispense(MirrorPlugin);
    const copied = await mirror.copy({ key: "k", detail: { note: "n" } });
    expect(copied.$typeName).toBe("beta.v1.Item");
    expect(new TextDecoder().decode(copied.value)).toBe("k:n");
    expect(await mirror.detail({ note: "deep" })).toMatchObject({ $typeName: "mirror.v1.Outer.Inner", name: "deep" });

    const legacy = dispense(LegacyPlugin);
    expect((await legacy.lookup({ key: "a" })).values).toEqual(Array(10).fill("a")); // proto2 [default = 10]
    expect((await legacy.lookup({ key: "b", limit: 2 })).values).toEqual(["b", "b"]);

    const counter = dispense(CounterPlugin);
    await counter.add({ delta: 2n });
    expect((await counter.add({ delta: 3n })).total).toBe(5n);
  });
});
