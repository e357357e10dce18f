// The exact signatures protoc-gen-rpcplugin generates, per method kind, and
// how they fit the runtime's types. The assertions are checked by tsc (the
// last test runs it over this file); at run time they do nothing.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Empty, EmptySchema, Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type {
  BidiStreamingHandler,
  BidiStreamingMethod,
  CallContext,
  CallOptions,
  ClientStreamingHandler,
  ClientStreamingMethod,
  DispensedClient,
  PluginClient,
  PluginDefinition,
  ServerStreamingHandler,
  ServerStreamingMethod,
  ServiceClient,
  ServiceHandler,
  Transport,
  UnaryHandler,
  UnaryMethod,
} from "@rpcplugin/runtime";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { Item as AlphaItem, ItemSchema as AlphaItemSchema, Store as AlphaStore } from "../fixtures/codegen/gen/alpha/v1/store_pb.js";
import type { StoreClient as AlphaStoreClient, StoreHandler as AlphaStoreHandler } from "../fixtures/codegen/gen/alpha/v1/store_rpcplugin.js";
import type { Item as BetaItem, ItemSchema as BetaItemSchema, Store as BetaStore } from "../fixtures/codegen/gen/beta/v1/store_pb.js";
import type { StoreClient as BetaStoreClient, StoreHandler as BetaStoreHandler } from "../fixtures/codegen/gen/beta/v1/store_rpcplugin.js";
import type { AsyncIterableSchema, Members, Promise as PromiseMessage, PromiseSchema, Shadows } from "../fixtures/codegen/gen/clash/v1/clash_pb.js";
import type { MembersClient, MembersHandler, ShadowsClient, ShadowsHandler } from "../fixtures/codegen/gen/clash/v1/clash_rpcplugin.js";
import type {
  EchoRequest,
  EchoRequestSchema,
  EchoResponse,
  EchoResponseSchema,
  EchoService,
  ExpandRequest,
  ExpandRequestSchema,
} from "../fixtures/codegen/gen/echo/v1/echo_pb.js";
import { EchoServiceClient, type EchoServiceHandler, EchoServicePlugin } from "../fixtures/codegen/gen/echo/v1/echo_rpcplugin.js";
import type { Counter } from "../fixtures/codegen/gen/editions/v1/editions_pb.js";
import type { CounterHandler } from "../fixtures/codegen/gen/editions/v1/editions_rpcplugin.js";
import type { Legacy } from "../fixtures/codegen/gen/legacy/v1/legacy_pb.js";
import type { LegacyHandler } from "../fixtures/codegen/gen/legacy/v1/legacy_rpcplugin.js";
import type { Mirror } from "../fixtures/codegen/gen/mirror/v1/mirror_pb.js";
import type { MirrorClient, MirrorHandler } from "../fixtures/codegen/gen/mirror/v1/mirror_rpcplugin.js";
import type { Clock } from "../fixtures/codegen/gen/wkt/v1/wkt_pb.js";
import type { ClockClient, ClockHandler } from "../fixtures/codegen/gen/wkt/v1/wkt_rpcplugin.js";
import { fixtureRoot, repoRoot } from "../fixtures/codegen/harness.js";

type EchoResponseInit = MessageInitShape<typeof EchoResponseSchema>;
type EchoRequestInit = MessageInitShape<typeof EchoRequestSchema>;

describe("handler interface", () => {
  it("unary: (request, context) => Promise<ResInit> | ResInit", () => {
    expectTypeOf<EchoServiceHandler["echo"]>().toEqualTypeOf<(request: EchoRequest, context: CallContext) => Promise<EchoResponseInit> | EchoResponseInit>();
    expectTypeOf<EchoServiceHandler["echo"]>().toEqualTypeOf<UnaryHandler<typeof EchoRequestSchema, typeof EchoResponseSchema>>();
  });

  it("server streaming: (request, context) => AsyncIterable<ResInit>", () => {
    expectTypeOf<EchoServiceHandler["expand"]>().toEqualTypeOf<(request: ExpandRequest, context: CallContext) => AsyncIterable<EchoResponseInit>>();
    expectTypeOf<EchoServiceHandler["expand"]>().toEqualTypeOf<ServerStreamingHandler<typeof ExpandRequestSchema, typeof EchoResponseSchema>>();
  });

  it("client streaming: (requests: AsyncIterable<Req>, context) => Promise<ResInit> | ResInit", () => {
    expectTypeOf<EchoServiceHandler["collect"]>().toEqualTypeOf<
      (requests: AsyncIterable<EchoRequest>, context: CallContext) => Promise<EchoResponseInit> | EchoResponseInit
    >();
    expectTypeOf<EchoServiceHandler["collect"]>().toEqualTypeOf<ClientStreamingHandler<typeof EchoRequestSchema, typeof EchoResponseSchema>>();
  });

  it("bidi streaming: (requests: AsyncIterable<Req>, context) => AsyncIterable<ResInit>", () => {
    expectTypeOf<EchoServiceHandler["chat"]>().toEqualTypeOf<(requests: AsyncIterable<EchoRequest>, context: CallContext) => AsyncIterable<EchoResponseInit>>();
    expectTypeOf<EchoServiceHandler["chat"]>().toEqualTypeOf<BidiStreamingHandler<typeof EchoRequestSchema, typeof EchoResponseSchema>>();
  });

  it("is exactly the runtime's ServiceHandler, so it fits addService and Plugin.server", () => {
    expectTypeOf<EchoServiceHandler>().toEqualTypeOf<ServiceHandler<typeof EchoService>>();
    expectTypeOf<EchoServiceHandler>().toExtend<Partial<ServiceHandler<typeof EchoService>>>();
    expectTypeOf<AlphaStoreHandler>().toExtend<Partial<ServiceHandler<typeof AlphaStore>>>();
    expectTypeOf<BetaStoreHandler>().toExtend<Partial<ServiceHandler<typeof BetaStore>>>();
    expectTypeOf<MembersHandler>().toExtend<Partial<ServiceHandler<typeof Members>>>();
    expectTypeOf<ShadowsHandler>().toExtend<Partial<ServiceHandler<typeof Shadows>>>();
    expectTypeOf<MirrorHandler>().toExtend<Partial<ServiceHandler<typeof Mirror>>>();
    expectTypeOf<ClockHandler>().toExtend<Partial<ServiceHandler<typeof Clock>>>();
    expectTypeOf<LegacyHandler>().toExtend<Partial<ServiceHandler<typeof Legacy>>>();
    expectTypeOf<CounterHandler>().toExtend<Partial<ServiceHandler<typeof Counter>>>();
  });

  it("can be implemented by a class and served", () => {
    class Echo implements EchoServiceHandler {
      readonly prefix = "> ";
      echo(request: EchoRequest) {
        return { text: this.prefix + request.text };
      }
      async *expand(request: ExpandRequest) {
        yield { text: request.text };
      }
      async collect() {
        return {};
      }
      async *chat(requests: AsyncIterable<EchoRequest>) {
        for await (const { text } of requests) yield { text };
      }
      fail(): EchoResponseInit {
        throw new Error("no");
      }
      oldEcho(request: EchoRequest) {
        return this.echo(request);
      }
    }
    expectTypeOf(EchoServicePlugin.server).toBeCallableWith(new Echo());
    expectTypeOf(EchoServicePlugin.server).toBeCallableWith({ echo: (request: EchoRequest) => ({ text: request.text }) });
    const wrong: EchoServiceHandler = {
      ...new Echo(),
      // @ts-expect-error a unary handler cannot return a stream
      echo: async function* () {},
    };
    void wrong;
  });

  it("names members and messages apart, whatever the proto calls them", () => {
    expectTypeOf<keyof MembersHandler>().toEqualTypeOf<
      | "constructor$"
      | "toString$"
      | "valueOf$"
      | "toJSON$"
      | "delete"
      | "new"
      | "class"
      | "function"
      | "default"
      | "client"
      | "request"
      | "options"
      | "transport"
      | "service"
    >();
    // A message named Promise does not shadow the global Promise.
    expectTypeOf<ShadowsHandler["promise"]>().toEqualTypeOf<
      (request: PromiseMessage, context: CallContext) => Promise<MessageInitShape<typeof AsyncIterableSchema>> | MessageInitShape<typeof AsyncIterableSchema>
    >();
    expectTypeOf<ShadowsClient["promise"]>().parameter(0).toEqualTypeOf<MessageInitShape<typeof PromiseSchema>>();
    // Two imported messages named Item stay apart.
    expectTypeOf<MirrorHandler["copy"]>().parameter(0).toEqualTypeOf<AlphaItem>();
    expectTypeOf<MirrorClient["copy"]>().returns.toEqualTypeOf<Promise<BetaItem>>();
    expectTypeOf<MirrorClient["back"]>().parameter(0).toEqualTypeOf<MessageInitShape<typeof BetaItemSchema>>();
    expectTypeOf<MirrorClient["back"]>().returns.toEqualTypeOf<Promise<AlphaItem>>();
    expectTypeOf<AlphaStoreClient["put"]>().parameter(0).toEqualTypeOf<MessageInitShape<typeof AlphaItemSchema>>();
    expectTypeOf<BetaStoreClient["put"]>().returns.toEqualTypeOf<Promise<BetaItem>>();
    // Well-known types come from @bufbuild/protobuf/wkt.
    expectTypeOf<ClockHandler["now"]>().toEqualTypeOf<
      (request: Empty, context: CallContext) => Promise<MessageInitShape<typeof TimestampSchema>> | MessageInitShape<typeof TimestampSchema>
    >();
    expectTypeOf<ClockClient["now"]>().toEqualTypeOf<(request: MessageInitShape<typeof EmptySchema>, options?: CallOptions) => Promise<Timestamp>>();
  });
});

describe("client class", () => {
  it("unary: (request: ReqInit, options?) => Promise<Res>", () => {
    expectTypeOf<EchoServiceClient["echo"]>().toEqualTypeOf<(request: EchoRequestInit, options?: CallOptions) => Promise<EchoResponse>>();
    expectTypeOf<EchoServiceClient["echo"]>().toEqualTypeOf<UnaryMethod<typeof EchoRequestSchema, typeof EchoResponseSchema>>();
  });

  it("server streaming: (request: ReqInit, options?) => AsyncIterable<Res>", () => {
    expectTypeOf<EchoServiceClient["expand"]>().toEqualTypeOf<
      (request: MessageInitShape<typeof ExpandRequestSchema>, options?: CallOptions) => AsyncIterable<EchoResponse>
    >();
    expectTypeOf<EchoServiceClient["expand"]>().toEqualTypeOf<ServerStreamingMethod<typeof ExpandRequestSchema, typeof EchoResponseSchema>>();
  });

  it("client streaming: (requests: AsyncIterable<ReqInit> | Iterable<ReqInit>, options?) => Promise<Res>", () => {
    expectTypeOf<EchoServiceClient["collect"]>().toEqualTypeOf<
      (requests: AsyncIterable<EchoRequestInit> | Iterable<EchoRequestInit>, options?: CallOptions) => Promise<EchoResponse>
    >();
    expectTypeOf<EchoServiceClient["collect"]>().toEqualTypeOf<ClientStreamingMethod<typeof EchoRequestSchema, typeof EchoResponseSchema>>();
  });

  it("bidi streaming: (requests, options?) => AsyncIterable<Res>", () => {
    expectTypeOf<EchoServiceClient["chat"]>().toEqualTypeOf<
      (requests: AsyncIterable<EchoRequestInit> | Iterable<EchoRequestInit>, options?: CallOptions) => AsyncIterable<EchoResponse>
    >();
    expectTypeOf<EchoServiceClient["chat"]>().toEqualTypeOf<BidiStreamingMethod<typeof EchoRequestSchema, typeof EchoResponseSchema>>();
  });

  it("has the RPCs as its only public members, and is a runtime ServiceClient", () => {
    expectTypeOf<keyof EchoServiceClient>().toEqualTypeOf<"echo" | "expand" | "collect" | "chat" | "fail" | "oldEcho">();
    expectTypeOf<keyof MembersClient>().toEqualTypeOf<keyof MembersHandler>();
    expectTypeOf<EchoServiceClient>().toExtend<ServiceClient<typeof EchoService>>();
    expectTypeOf<MembersClient>().toExtend<ServiceClient<typeof Members>>();
    expectTypeOf(EchoServiceClient).constructorParameters.toEqualTypeOf<[transport: Transport]>();
  });

  it("refuses what the RPC does not take", () => {
    const client = null as unknown as EchoServiceClient;
    // @ts-expect-error no such field
    void (() => client.echo({ txt: "x" }));
    // @ts-expect-error a client stream takes an iterable of requests
    void (() => client.collect({ text: "x" }));
    // @ts-expect-error a unary call is not iterable
    void (() => client.echo({ text: "x" })[Symbol.asyncIterator]);
  });
});

describe("plugin definition", () => {
  it("is a PluginDefinition of the service whose dispensed client is the client class", () => {
    expectTypeOf(EchoServicePlugin).toEqualTypeOf<PluginDefinition<typeof EchoService, EchoServiceClient>>();
    expectTypeOf<DispensedClient<typeof EchoServicePlugin>>().toEqualTypeOf<EchoServiceClient>();
    expectTypeOf<DispensedClient<ReturnType<typeof EchoServicePlugin.server>>>().toEqualTypeOf<EchoServiceClient>();
    const host = null as unknown as PluginClient<{ echo: typeof EchoServicePlugin }>;
    expectTypeOf(() => host.dispense("echo")).returns.toEqualTypeOf<EchoServiceClient>();
  });
});

describe("these assertions", () => {
  it("type-check (tsc --strict over this file and the generated code)", () => {
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "--strict", "--noEmit", "-p", join(fixtureRoot, "tsconfig.types.json")], { encoding: "utf8" });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      expect.fail(`tsc rejected the type tests:\n${stdout ?? ""}${stderr ?? ""}`);
    }
  });
});
