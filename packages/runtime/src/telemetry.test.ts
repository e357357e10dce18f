import * as grpc from "@grpc/grpc-js";
import { context, type Span, SpanKind, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "./rpc/client.js";
import { Code } from "./rpc/code.js";
import { RpcError } from "./rpc/errors.js";
import { addService, type ServiceHandler, useInterceptors } from "./rpc/server.js";
import { EchoService } from "./rpc/testdata/gen/echo_pb.js";
import { aborted, deferred, within } from "./rpc/testdata/harness.js";
import {
  clientTelemetryInterceptor,
  contextFromEnvironment,
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
  serverTelemetryInterceptor,
  traced,
  traceEnvironment,
} from "./telemetry.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

function register(): void {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
}

function unregister(): void {
  trace.disable();
  context.disable();
}

beforeAll(register);
afterAll(unregister);

let close: (() => void) | undefined;
afterEach(() => {
  close?.();
  close = undefined;
  exporter.reset();
});

/** An echo server with the server interceptor and a client with the client interceptor, over real grpc-js. */
async function serveEcho(handler: Partial<ServiceHandler<typeof EchoService>>) {
  const server = new grpc.Server();
  useInterceptors(server, [serverTelemetryInterceptor]);
  addService(server, EchoService, handler);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [clientTelemetryInterceptor] });
  close = () => {
    transport.close();
    server.forceShutdown();
  };
  return createClient(EchoService, transport);
}

/** The finished spans once `count` have ended (the server's may end a moment after the client's status). */
async function spans(count: number): Promise<ReadableSpan[]> {
  for (let attempt = 0; attempt < 200 && exporter.getFinishedSpans().length < count; attempt++) await new Promise((r) => setTimeout(r, 10));
  return exporter.getFinishedSpans();
}

function only(all: ReadableSpan[], kind: SpanKind, name?: string): ReadableSpan {
  const found = all.filter((span) => span.kind === kind && (name === undefined || span.name === name));
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
}

describe("spans of calls, both sides", () => {
  it("a unary call: CLIENT and SERVER spans of one trace, the server's a child of the client's, with rpc attributes", async () => {
    const echo = await serveEcho({ echo: (request) => ({ text: request.text }) });
    const root = trace.getTracer("test").startSpan("root");
    await context.with(trace.setSpan(context.active(), root), () => echo.echo({ text: "hi" }));
    root.end();
    const all = await spans(3);
    const client = only(all, SpanKind.CLIENT);
    const server = only(all, SpanKind.SERVER);
    expect(client.name).toBe("rpcplugin.test.echo.v1.EchoService/Echo");
    expect(server.name).toBe(client.name);
    expect(client.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(client.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(server.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(server.parentSpanContext?.isRemote).toBe(true);
    for (const span of [client, server]) {
      expect(span.attributes).toEqual({
        "rpc.system": "grpc",
        "rpc.service": "rpcplugin.test.echo.v1.EchoService",
        "rpc.method": "Echo",
        "rpc.grpc.status_code": 0,
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
  });

  it("a failed call: status ERROR and the gRPC code on both spans", async () => {
    const echo = await serveEcho({
      echo: () => {
        throw new RpcError("no such thing", Code.NOT_FOUND);
      },
    });
    await expect(echo.echo({ text: "x" })).rejects.toMatchObject({ code: Code.NOT_FOUND });
    const all = await spans(2);
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const span = only(all, kind);
      expect(span.attributes["rpc.grpc.status_code"]).toBe(Code.NOT_FOUND);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "no such thing" });
    }
  });

  it("the handler runs with its server span active, for its own spans and outgoing calls", async () => {
    let inner: Span | undefined;
    const echo = await serveEcho({
      echo: async (request) => {
        await new Promise((r) => setTimeout(r, 1));
        inner = trace.getTracer("test").startSpan("inside the handler");
        inner.end();
        return { text: request.text };
      },
      async *serverStream(request) {
        for (let index = 0; index < 3; index++) {
          await new Promise((r) => setTimeout(r, 1));
          trace.getTracer("test").startSpan(`step ${index}`).end();
          yield { text: request.text, index };
        }
      },
    });
    await echo.echo({ text: "a" });
    let server = only(await spans(3), SpanKind.SERVER);
    expect(inner?.spanContext().traceId).toBe(server.spanContext().traceId);
    expect((exporter.getFinishedSpans().find((span) => span.name === "inside the handler") as ReadableSpan).parentSpanContext?.spanId).toBe(
      server.spanContext().spanId,
    );
    exporter.reset();
    const received: number[] = [];
    for await (const response of echo.serverStream({ text: "s", count: 3 })) received.push(response.index);
    expect(received).toEqual([0, 1, 2]);
    const all = await spans(5);
    server = only(all, SpanKind.SERVER);
    expect(server.attributes["rpc.grpc.status_code"]).toBe(0);
    const steps = all.filter((span) => span.name.startsWith("step "));
    expect(steps).toHaveLength(3);
    for (const step of steps) expect(step.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });

  it("a stream the client cancels ends the server span CANCELLED, and the handler's iterator is closed", async () => {
    const closed = deferred();
    const echo = await serveEcho({
      async *serverStream(request, { signal }) {
        try {
          yield { text: request.text, index: 0 };
          await aborted(signal);
        } finally {
          closed.resolve();
        }
      },
    });
    for await (const response of echo.serverStream({ text: "c", count: 1 })) {
      expect(response.index).toBe(0);
      break;
    }
    await within(closed.promise, "the handler's finally block ran");
    const all = await spans(2);
    expect(only(all, SpanKind.SERVER).attributes["rpc.grpc.status_code"]).toBe(Code.CANCELLED);
    expect(only(all, SpanKind.CLIENT).attributes["rpc.grpc.status_code"]).toBe(Code.CANCELLED);
  });

  it("traced(): a lifecycle span around async work, ERROR with the exception when it throws", async () => {
    await traced("rpcplugin.start", { "rpcplugin.command": "x" }, async () => {
      await traced("rpcplugin.handshake", {}, async () => undefined);
    });
    await expect(traced("rpcplugin.shutdown", {}, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const all = await spans(3);
    const start = all.find((span) => span.name === "rpcplugin.start") as ReadableSpan;
    const handshake = all.find((span) => span.name === "rpcplugin.handshake") as ReadableSpan;
    const shutdown = all.find((span) => span.name === "rpcplugin.shutdown") as ReadableSpan;
    expect(start.attributes).toEqual({ "rpcplugin.command": "x" });
    expect(handshake.parentSpanContext?.spanId).toBe(start.spanContext().spanId);
    expect(shutdown.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(shutdown.events.map((event) => event.name)).toEqual(["exception"]);
  });
});

describe("W3C trace context", () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const spanId = "00f067aa0ba902b7";

  it("formats and parses traceparent; refuses invalid ones", () => {
    const parsed = parseTraceparent(`00-${traceId}-${spanId}-01`, "vendor=value");
    expect(parsed).toMatchObject({ traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(parsed?.traceState?.get("vendor")).toBe("value");
    expect(formatTraceparent(parsed as NonNullable<typeof parsed>)).toBe(`00-${traceId}-${spanId}-01`);
    expect(parseTraceparent(`01-${traceId}-${spanId}-00-future`)).toMatchObject({ traceId, traceFlags: 0 });
    for (const bad of [
      `00-${"0".repeat(32)}-${spanId}-01`,
      `00-${traceId}-${"0".repeat(16)}-01`,
      `ff-${traceId}-${spanId}-01`,
      `00-${traceId}-${spanId}-01-extra`,
      `00-${traceId.toUpperCase()}-${spanId}-01`,
      "garbage",
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  it("injects into and extracts from gRPC metadata", () => {
    const ctx = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: 1, isRemote: false });
    const metadata = new grpc.Metadata();
    injectTraceContext(ctx, metadata);
    expect(metadata.get("traceparent")).toEqual([`00-${traceId}-${spanId}-01`]);
    expect(trace.getSpanContext(extractTraceContext(metadata))).toMatchObject({ traceId, spanId, isRemote: true });
    expect(trace.getSpanContext(extractTraceContext(new grpc.Metadata()))).toBeUndefined();
  });

  it("hands a trace context to a child process through TRACEPARENT", () => {
    const ctx = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: 1, isRemote: false });
    const env = traceEnvironment(ctx);
    expect(env).toEqual({ TRACEPARENT: `00-${traceId}-${spanId}-01` });
    expect(trace.getSpanContext(contextFromEnvironment(env))).toMatchObject({ traceId, spanId });
    expect(traceEnvironment(context.active())).toEqual({});
    expect(trace.getSpanContext(contextFromEnvironment({ TRACEPARENT: "nonsense" }))).toBeUndefined();
  });
});
