#!/usr/bin/env node --expose-gc
// What the runtime's OpenTelemetry hooks cost when no SDK is registered (the
// API's no-op tracer), per call, on both sides:
//
//   node --expose-gc bench/telemetry-noop.mjs        (after npx tsc -b)
//
// 1. the server interceptor around a unary handler vs the bare handler;
// 2. the client interceptor (grpc-js Interceptor) vs passing the call through;
// 3. a real unary call over a loopback grpc-js connection with and without
//    both interceptors (the overhead next to an actual call).
// Heap bytes per call are heapUsed growth over a run with no GC in between
// (the young generation is made large enough to hold the run): a coarse
// allocation figure, not an exact count.
import * as grpc from "@grpc/grpc-js";
import { trace } from "@opentelemetry/api";
import { addService, clientTelemetryInterceptor, createClient, serverTelemetryInterceptor, useInterceptors } from "@rpcplugin/runtime";
import { KV } from "../examples/go-plugin/dist/gen/kv/kv_pb.js";

if (typeof globalThis.gc !== "function") {
  console.error("run with: node --expose-gc --max-semi-space-size=256 bench/telemetry-noop.mjs");
  process.exit(2);
}
if (trace.getTracer("probe").startSpan("probe").isRecording()) throw new Error("an SDK is registered; this measures the no-SDK path");

function measure(label, iterations, run) {
  for (let i = 0; i < 50_000; i++) run(); // warm up the JIT
  globalThis.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  const bytes = (process.memoryUsage().heapUsed - heapBefore) / iterations;
  return { label, nsPerCall: Math.round(ns * 10) / 10, heapBytesPerCall: Math.round(bytes) };
}

const method = KV.method.get;
const metadata = new grpc.Metadata();
const callContext = { requestMetadata: metadata, signal: new AbortController().signal, method: "/proto.KV/Get" };
const response = { value: new Uint8Array(0) };
const handler = () => response;
const wrapped = serverTelemetryInterceptor(handler, method);

const definition = { path: "/proto.KV/Get" };
const nextCall = () => definition; // stands for grpc-js's next call object
const interceptorOptions = { method_definition: definition };

const rows = [];
const n = 1_000_000;
rows.push(measure("server: bare handler", n, () => handler(undefined, callContext)));
rows.push(measure("server: telemetry interceptor, no SDK", n, () => wrapped(undefined, callContext)));
rows.push(measure("client: pass-through", n, () => nextCall(interceptorOptions)));
rows.push(measure("client: telemetry interceptor, no SDK", n, () => clientTelemetryInterceptor(interceptorOptions, nextCall)));

async function roundTrip(withTelemetry, calls) {
  const server = new grpc.Server();
  if (withTelemetry) useInterceptors(server, [serverTelemetryInterceptor]);
  addService(server, KV, { get: (request) => ({ value: Buffer.from(request.key) }) });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const transport = new grpc.Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    withTelemetry ? { interceptors: [clientTelemetryInterceptor] } : {},
  );
  const client = createClient(KV, transport);
  for (let i = 0; i < 2000; i++) await client.get({ key: "warm" });
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await client.get({ key: "x" });
  const us = Number(process.hrtime.bigint() - start) / calls / 1000;
  transport.close();
  server.forceShutdown();
  return us;
}

const calls = 10_000;
const round = [];
// Alternate to spread machine drift over both variants.
for (let repeat = 0; repeat < 3; repeat++) {
  round.push({ telemetry: false, us: await roundTrip(false, calls) });
  round.push({ telemetry: true, us: await roundTrip(true, calls) });
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const without = median(round.filter((r) => !r.telemetry).map((r) => r.us));
const withTelemetry = median(round.filter((r) => r.telemetry).map((r) => r.us));

console.log("| what | ns/call | heap bytes/call |");
console.log("|---|---:|---:|");
for (const row of rows) console.log(`| ${row.label} | ${row.nsPerCall} | ${row.heapBytesPerCall} |`);
console.log();
console.log(
  `unary round trip over loopback (median of 3 × ${calls} calls): ${without.toFixed(1)} µs without interceptors, ${withTelemetry.toFixed(1)} µs with both (no SDK)`,
);
