#!/usr/bin/env node
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// Where a TS→TS unary call's CPU goes, in real host and plugin processes: the
// host (this process, startPlugin) calls bench/plugin with the runtime's typed
// client or with a raw grpc-js call (pre-encoded bytes), against the runtime's
// handler (proto.KV/Get) or a raw grpc-js handler (/bench.Raw/Get). With
// AutoMTLS off the host also opens its own grpc-js clients to the plugin to try
// channel options. CPU per call is split by process (/proc/<pid>/stat, 10 ms
// ticks: windows of ≥ 1 s). Variants alternate round by round. Build first.
//
//   node bench/profile/unary-layers.mjs [--rounds 5] [--ms 1500] [--conc 16]
import * as grpc from "@grpc/grpc-js";
import { CHANNEL_OPTIONS, createClient, startPlugin } from "@rpcplugin/runtime";
import { KV } from "../dist/gen/kv_pb.js";

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const ROUNDS = opt("--rounds", 5);
const MS = opt("--ms", 1500);
const CONC = opt("--conc", 16);
const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
const cpuMs = (pid) => {
  const text = readFileSync(`/proc/${pid ?? "self"}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const identity = (b) => b;
const rawRequest = Buffer.from([0x0a, 3, 0x31, 0x30, 0x30]); // GetRequest{key:"100"}
const rawCall = (transport, pathName) => () =>
  new Promise((resolve, reject) => transport.makeUnaryRequest(pathName, identity, identity, rawRequest, (e, v) => (e ? reject(e) : resolve(v))));

async function launch(autoMTLS) {
  const plugin = await startPlugin({
    command: path.join(benchDir, "plugin"),
    handshake,
    autoMTLS,
    plugins: { bench: { client: (c) => c } },
    onLog: () => undefined,
  });
  return { plugin, transport: plugin.dispense("bench").transport };
}

const tls = await launch(true);
const plain = await launch(false);
const target = `unix://${plain.plugin.address.address}`;
const own = (options) => new grpc.Client(target, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, ...options });
const ownDefault = own({});
const ownNoRetry = own({ "grpc.enable_retries": 0 });

const variants = [
  [
    "AutoMTLS on: runtime client → runtime handler (= the bench)",
    tls,
    () => {
      const kv = createClient(KV, tls.transport);
      return () => kv.get({ key: "100" });
    },
  ],
  ["AutoMTLS on: raw call → runtime handler", tls, () => rawCall(tls.transport, "/proto.KV/Get")],
  [
    "AutoMTLS on: runtime client → raw handler",
    tls,
    () => {
      const t = tls.transport;
      return () =>
        new Promise((res, rej) =>
          t.makeUnaryRequest(
            "/bench.Raw/Get",
            (m) => Buffer.from(m),
            identity,
            rawRequest,
            (e, v) => (e ? rej(e) : res(v)),
          ),
        );
    },
  ],
  ["AutoMTLS on: raw call → raw handler", tls, () => rawCall(tls.transport, "/bench.Raw/Get")],
  [
    "AutoMTLS off: runtime client → runtime handler",
    plain,
    () => {
      const kv = createClient(KV, plain.transport);
      return () => kv.get({ key: "100" });
    },
  ],
  ["AutoMTLS off: raw call → raw handler", plain, () => rawCall(plain.transport, "/bench.Raw/Get")],
  [
    "off, own channel, no interceptor: runtime client → runtime handler",
    plain,
    () => {
      const kv = createClient(KV, ownDefault);
      return () => kv.get({ key: "100" });
    },
  ],
  [
    "off, own channel, no interceptor, enable_retries=0: runtime → runtime",
    plain,
    () => {
      const kv = createClient(KV, ownNoRetry);
      return () => kv.get({ key: "100" });
    },
  ],
  ["off, own channel, no interceptor, enable_retries=0: raw → raw", plain, () => rawCall(ownNoRetry, "/bench.Raw/Get")],
].map(([name, side, make]) => ({ name, side, call: make(), samples: [] }));

async function window(v) {
  let stop = false;
  let done = 0;
  const worker = async () => {
    while (!stop) {
      await v.call();
      done++;
    }
  };
  const workers = Array.from({ length: CONC }, worker);
  await new Promise((r) => setTimeout(r, 200)); // warm-up
  const n0 = done;
  const h0 = cpuMs();
  const p0 = cpuMs(v.side.plugin.pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MS));
  const n = done - n0;
  const wall = performance.now() - t0;
  const host = ((cpuMs() - h0) * 1000) / n;
  const plugin = ((cpuMs(v.side.plugin.pid) - p0) * 1000) / n;
  stop = true;
  await Promise.all(workers);
  return { tput: n / (wall / 1000), host, plugin };
}

for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    v.samples.push(await window(v));
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `TS host → TS plugin (bench/plugin), unary 100 B, ${CONC} in flight, ${ROUNDS} × ${MS} ms windows; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(`${"variant".padEnd(72)} ${"calls/s".padStart(8)} ${"host µs".padStart(8)} ${"plugin µs".padStart(9)} ${"total".padStart(6)}`);
for (const v of variants) {
  const h = med(v.samples.map((s) => s.host));
  const p = med(v.samples.map((s) => s.plugin));
  console.log(
    `${v.name.padEnd(72)} ${med(v.samples.map((s) => s.tput))
      .toFixed(0)
      .padStart(8)} ${h.toFixed(0).padStart(8)} ${p.toFixed(0).padStart(9)} ${(h + p).toFixed(0).padStart(6)}`,
  );
}
ownDefault.close();
ownNoRetry.close();
await tls.plugin.close();
await plain.plugin.close();
