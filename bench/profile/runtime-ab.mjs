#!/usr/bin/env node
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// Paired A/B of two builds of @rpcplugin/runtime (or of grpc-js options) on unary calls: client and
// server in one process over a unix socket with AutoMTLS-style TLS, the variants' windows alternating
// round by round, CPU µs per call (process.cpuUsage: both sides, all threads). Pairing the variants in
// one process cancels most of a busy machine's drift; the ratio is the figure to read. Build first.
//
//   cp -r packages/runtime/dist /tmp/runtime-before     # before a change, then change and rebuild
//   node bench/profile/runtime-ab.mjs --before /tmp/runtime-before [--rounds 10] [--calls 3000] [--conc 16] [--size 100]
//   node bench/profile/runtime-ab.mjs 'default={}' 'retries off={"channel":{"grpc.enable_retries":0}}'
//
// Variants: `name={"build":"before"|"current","channel":{…},"server":{…},"telemetry":true}`; with
// --before and no variants: before vs current. `telemetry` adds the runtime's client and server
// telemetry interceptors (no OpenTelemetry SDK registered: the no-SDK path).
import * as grpc from "@grpc/grpc-js";
import { KV } from "../dist/gen/kv_pb.js";

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const current = path.join(benchDir, "..", "packages", "runtime", "dist");
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const ROUNDS = Number(flag("--rounds", "10"));
const CALLS = Number(flag("--calls", "3000"));
const CONC = Number(flag("--conc", "16"));
const SIZE = Number(flag("--size", "100"));
const before = flag("--before");
const flagValues = new Set(["--before", "--rounds", "--calls", "--conc", "--size"].map((f) => flag(f)));
let variants = args
  .filter((a) => !a.startsWith("--") && a.includes("={") && !flagValues.has(a))
  .map((a) => ({ name: a.slice(0, a.indexOf("={")), ...JSON.parse(a.slice(a.indexOf("={") + 1)) }));
if (variants.length === 0) {
  if (!before) throw new Error("give --before <dist dir> or variants name={...}");
  variants = [
    { name: "before", build: "before" },
    { name: "current", build: "current" },
  ];
}

const builds = {};
async function build(name) {
  const dir = name === "before" ? path.resolve(before) : current;
  builds[name] ??= {
    rt: await import(path.join(dir, "index.js")),
    tls: await import(path.join(dir, "tls.js")),
    telemetry: await import(path.join(dir, "telemetry.js")).catch(() => undefined),
  };
  return builds[name];
}

const value = Buffer.alloc(SIZE, "a");
const sockets = [];
for (const [i, v] of variants.entries()) {
  const { rt, tls, telemetry } = await build(v.build ?? "current");
  const hostCert = rt.generateCertificate();
  const pluginCert = rt.generateCertificate();
  const server = new grpc.Server({ ...rt.SERVER_OPTIONS, ...(v.server ?? {}) });
  if (v.telemetry) rt.useInterceptors(server, [telemetry.serverTelemetryInterceptor]);
  rt.addService(server, KV, { get: () => ({ value }), put: () => ({}) });
  const socket = path.join(os.tmpdir(), `rpcplugin-ab-${process.pid}-${i}`);
  sockets.push(socket);
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, tls.pinnedServerCredentials(pluginCert, hostCert.certPem), (e) => (e ? reject(e) : resolve())),
  );
  const transport = new grpc.Client(`unix://${socket}`, tls.pinnedChannelCredentials(hostCert, pluginCert.certPem), {
    ...rt.CHANNEL_OPTIONS,
    ...(v.channel ?? {}),
    ...(v.telemetry ? { interceptors: [telemetry.clientTelemetryInterceptor] } : {}),
  });
  const kv = rt.createClient(KV, transport);
  v.run = async (n) => {
    let left = n;
    const worker = async () => {
      while (left-- > 0) {
        const { value: got } = await kv.get({ key: String(SIZE) });
        if (got.length !== SIZE) throw new Error(`got ${got.length} bytes`);
      }
    };
    await Promise.all(Array.from({ length: CONC }, worker));
  };
  v.close = () => {
    transport.close();
    server.forceShutdown();
  };
  v.samples = [];
}

for (const v of variants) await v.run(CALLS); // warm-up (JIT)
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    const c0 = process.cpuUsage();
    await v.run(CALLS);
    const c = process.cpuUsage(c0);
    v.samples.push((c.user + c.system) / CALLS);
  }
}
for (const v of variants) v.close();
for (const socket of sockets) rmSync(socket, { force: true });

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = med(variants[0].samples);
console.log(
  `unary ${SIZE} B, ${CONC} in flight, ${ROUNDS} × ${CALLS} calls per variant, client+server in one process, TLS; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(`${"variant".padEnd(40)} ${"CPU µs/call median".padStart(18)} ${"min".padStart(7)} ${"ratio".padStart(6)}`);
for (const v of variants) {
  console.log(
    `${v.name.padEnd(40)} ${med(v.samples).toFixed(1).padStart(18)} ${Math.min(...v.samples)
      .toFixed(1)
      .padStart(7)} ${`×${(med(v.samples) / base).toFixed(2)}`.padStart(6)}`,
  );
}
