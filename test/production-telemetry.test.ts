// OpenTelemetry across a host and a real plugin process: both export spans
// (the host to an in-memory exporter, the plugin to a file as JSON lines), and
// together they make one trace: the plugin's SERVER span is a child of the
// host's CLIENT span, the plugin's serve span a child of the host's start span.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { addService, Code, type PluginClientContext, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { AddHelper } from "../examples/go-plugin/gen/counter/counter_pb.js";
import { CounterClient } from "../examples/go-plugin/gen/counter/counter_rpcplugin.js";
import { handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";
import { useInMemoryTracing } from "./support/telemetry.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "telemetry-plugin.mjs");
const exporter = useInMemoryTracing();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  exporter.reset();
});

/** A span as the plugin fixture writes it. */
interface PluginSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode; message?: string };
}

function readPluginSpans(file: string): PluginSpan[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as PluginSpan);
}

function one<T extends { name: string; kind: SpanKind }>(spans: T[], name: string, kind: SpanKind): T {
  const found = spans.filter((span) => span.name === name && span.kind === kind);
  expect(found, `${name} (kind ${kind})`).toHaveLength(1);
  return found[0] as T;
}

/** The counter's host side: each Put serves AddHelper through the broker for the plugin to call back. */
function counterClient({ transport, broker }: PluginClientContext) {
  const counter = new CounterClient(transport);
  return {
    async put(key: string, value: bigint): Promise<void> {
      const id = broker.nextId();
      const helper = await broker.acceptAndServe(id, (server) => addService(server, AddHelper, { sum: ({ a, b }) => ({ r: a + b }) }));
      try {
        await counter.put({ addServer: id, key, value });
      } finally {
        await helper.close();
      }
    },
  };
}

describe("telemetry across host and plugin (real process)", () => {
  it("one trace from the host's call into the plugin's handler; lifecycle spans on both sides", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const spansFile = join(dir.path, "plugin-spans.jsonl");
    const tracer = trace.getTracer("test-host");

    const client = await startPlugin({ command: plugin, handshake, plugins: kvPlugins, env: { FIXTURE_SPANS_FILE: spansFile }, onLog: () => {} });
    cleanups.push(() => client.close());
    const kv = client.dispense("kv_grpc");
    await tracer.startActiveSpan("host.operation", async (operation) => {
      await kv.put({ key: "a", value: Buffer.from("1") });
      await expect(kv.get({ key: "missing" })).rejects.toMatchObject({ code: Code.NOT_FOUND });
      operation.end();
    });
    await client.close();

    const host = exporter.getFinishedSpans();
    const pluginSpans = readPluginSpans(spansFile);

    // The call: host CLIENT span → plugin SERVER span → the handler's own span.
    const operation = one(host, "host.operation", SpanKind.INTERNAL);
    const hostPut = one(host, "proto.KV/Put", SpanKind.CLIENT);
    const pluginPut = one(pluginSpans, "proto.KV/Put", SpanKind.SERVER);
    const store = one(pluginSpans, "kv.store", SpanKind.INTERNAL);
    const traceId = operation.spanContext().traceId;
    expect(hostPut.spanContext().traceId).toBe(traceId);
    expect(hostPut.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(pluginPut.traceId).toBe(traceId);
    expect(pluginPut.parentSpanId).toBe(hostPut.spanContext().spanId);
    expect(store.traceId).toBe(traceId);
    expect(store.parentSpanId).toBe(pluginPut.spanId);
    for (const attributes of [hostPut.attributes, pluginPut.attributes]) {
      expect(attributes).toEqual({ "rpc.system": "grpc", "rpc.service": "proto.KV", "rpc.method": "Put", "rpc.grpc.status_code": 0 });
    }

    // A failed call: ERROR with the gRPC code on both sides.
    const hostGet = one(host, "proto.KV/Get", SpanKind.CLIENT);
    const pluginGet = one(pluginSpans, "proto.KV/Get", SpanKind.SERVER);
    expect(pluginGet.parentSpanId).toBe(hostGet.spanContext().spanId);
    expect(hostGet.attributes["rpc.grpc.status_code"]).toBe(Code.NOT_FOUND);
    expect(pluginGet.attributes["rpc.grpc.status_code"]).toBe(Code.NOT_FOUND);
    expect(hostGet.status).toEqual({ code: SpanStatusCode.ERROR, message: "no value for key missing" });
    expect(pluginGet.status.code).toBe(SpanStatusCode.ERROR);

    // Lifecycle: the host's start contains the handshake and the first health check; the plugin's
    // serve span continues the start span's trace (TRACEPARENT in its environment).
    const start = one(host, "rpcplugin.start", SpanKind.INTERNAL);
    const handshakeSpan = one(host, "rpcplugin.handshake", SpanKind.INTERNAL);
    const shutdown = one(host, "rpcplugin.shutdown", SpanKind.INTERNAL);
    expect(handshakeSpan.parentSpanContext?.spanId).toBe(start.spanContext().spanId);
    const firstCheck = host.find((span) => span.name === "grpc.health.v1.Health/Check" && span.kind === SpanKind.CLIENT);
    expect(firstCheck?.parentSpanContext?.spanId).toBe(start.spanContext().spanId);
    const serve = one(pluginSpans, "rpcplugin.serve", SpanKind.INTERNAL);
    expect(serve.traceId).toBe(start.spanContext().traceId);
    expect(serve.parentSpanId).toBe(start.spanContext().spanId);
    const pluginCheck = pluginSpans.find((span) => span.name === "grpc.health.v1.Health/Check" && span.parentSpanId === firstCheck?.spanContext().spanId);
    expect(pluginCheck?.kind).toBe(SpanKind.SERVER);
    expect(shutdown.attributes["rpcplugin.pid"]).toBe(client.pid);
    // The plugin's own shutdown (Controller.Shutdown from the host's close()) is a span too, ended before it exits.
    const pluginShutdown = one(pluginSpans, "rpcplugin.shutdown", SpanKind.INTERNAL);
    expect(pluginShutdown.attributes["rpcplugin.shutdown_grace_ms"]).toBe(2000);
    expect(pluginShutdown.status.code).toBe(SpanStatusCode.UNSET);
    // The plugin-long stdio and broker streams are not traced.
    expect([...host, ...pluginSpans].filter((span) => /GRPCStdio|GRPCBroker/.test(span.name))).toEqual([]);
  });

  it("a callback through the broker continues the trace: host → plugin → host", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const spansFile = join(dir.path, "plugin-spans.jsonl");
    const client = await startPlugin({
      command: plugin,
      handshake,
      plugins: { counter: { client: counterClient } },
      env: { FIXTURE_SPANS_FILE: spansFile },
      onLog: () => {},
    });
    cleanups.push(() => client.close());
    await client.dispense("counter").put("hits", 2n);
    await client.close();

    const host = exporter.getFinishedSpans();
    const pluginSpans = readPluginSpans(spansFile);
    const hostPut = one(host, "proto.Counter/Put", SpanKind.CLIENT);
    const pluginPut = one(pluginSpans, "proto.Counter/Put", SpanKind.SERVER);
    const pluginSum = one(pluginSpans, "proto.AddHelper/Sum", SpanKind.CLIENT);
    const hostSum = one(host, "proto.AddHelper/Sum", SpanKind.SERVER);
    const traceId = hostPut.spanContext().traceId;
    expect([pluginPut.traceId, pluginSum.traceId, hostSum.spanContext().traceId]).toEqual([traceId, traceId, traceId]);
    expect(pluginPut.parentSpanId).toBe(hostPut.spanContext().spanId);
    expect(pluginSum.parentSpanId).toBe(pluginPut.spanId);
    expect(hostSum.parentSpanContext?.spanId).toBe(pluginSum.spanId);
    expect(hostSum.attributes["rpc.grpc.status_code"]).toBe(0);
  });

  it("a plugin without an SDK still serves a traced host (it gets traceparent and ignores it); the host's spans are unaffected", async () => {
    const client = await startPlugin({ command: plugin, handshake, plugins: kvPlugins, onLog: () => {} });
    cleanups.push(() => client.close());
    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "b", value: Buffer.from("2") });
    expect(Buffer.from((await kv.get({ key: "b" })).value).toString()).toBe("2");
    const hostSpans: ReadableSpan[] = exporter.getFinishedSpans();
    expect(hostSpans.filter((span) => span.kind === SpanKind.CLIENT && span.name.startsWith("proto.KV/")).map((span) => span.name)).toEqual([
      "proto.KV/Put",
      "proto.KV/Get",
    ]);
  });
});
