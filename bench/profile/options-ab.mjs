#!/usr/bin/env node
// A/B of grpc-js options or environments in the real bench processes, without
// changing the runtime: each variant sets BENCH_CHANNEL_OPTIONS /
// BENCH_SERVER_OPTIONS (merged into the runtime's exported CHANNEL_OPTIONS /
// SERVER_OPTIONS by the TypeScript bench host and plugin, see
// bench/src/common.ts) and any `env` it gives (e.g. PLUGIN_RPC_ENGINE, which
// the host reads and the plugin inherits), and runs the steady job (or --job); variants
// alternate round by round. Build first.
//
//   node bench/profile/options-ab.mjs --pairing ts-ts --rounds 5 \
//     'grpc-js={"env":{"PLUGIN_RPC_ENGINE":"grpc-js"}}' 'h2={"env":{"PLUGIN_RPC_ENGINE":"h2"}}'
//
//   node bench/profile/options-ab.mjs --pairing ts-ts --rounds 3 \
//     --params '{"phases":["stream","stdio"]}' \
//     'default={}' 'window 8 MiB={"channel":{"grpc-node.flow_control_window":8388608}}'
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGo, runGo } from "../dist/go.js";

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const pairing = flag("--pairing", "ts-ts");
const job = flag("--job", "steady");
const rounds = Number(flag("--rounds", "3"));
const [hostKind, pluginKind] = pairing.split("-");
const flagValues = new Set(["--pairing", "--rounds", "--params", "--job"].map((f) => flag(f)));
const variants = args
  .filter((a) => !a.startsWith("--") && a.includes("=") && !flagValues.has(a))
  .map((a) => {
    const i = a.indexOf("={");
    return { name: a.slice(0, i), ...JSON.parse(a.slice(i + 1)), samples: {} };
  });
const tmp = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-optab-"));
const params = {
  jitWarmMs: 3000,
  warmMs: 200,
  durMs: 1000,
  sizes: [100],
  conc: [1, 16],
  streamMiB: 64,
  streamReps: 2,
  stdioMiB: 16,
  stdioReps: 2,
  brokerReps: 2,
  pings: 200,
  ...JSON.parse(flag("--params", "{}")),
  plugin: pluginKind === "ts" ? path.join(benchDir, "plugin") : await buildGo("benchplugin", "./cmd/benchplugin"),
};
const goHost = hostKind === "go" ? await buildGo("benchhost", "./cmd/benchhost") : undefined;

for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    const env = { ...(v.env ?? {}), TMPDIR: tmp, BENCH_CHANNEL_OPTIONS: JSON.stringify(v.channel ?? {}), BENCH_SERVER_OPTIONS: JSON.stringify(v.server ?? {}) };
    const [bin, argv] = goHost
      ? [goHost, ["-job", job, "-params", JSON.stringify(params)]]
      : [process.execPath, ["--expose-gc", path.join(benchDir, "dist", "src", "host.js"), job, JSON.stringify(params)]];
    const res = await runGo(bin, argv, { env, timeoutMs: 300_000 });
    if (res.code !== 0) throw new Error(`${v.name}: ${res.stderr}`);
    for (const [k, xs] of Object.entries(JSON.parse(res.stdout.trim().split("\n").pop()).metrics)) (v.samples[k] ??= []).push(...xs);
  }
}
rmSync(tmp, { recursive: true, force: true });
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const keys = [...new Set(variants.flatMap((v) => Object.keys(v.samples)))].sort();
console.log(
  `${pairing}, ${job} job, ${rounds} rounds, medians; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(`${"metric".padEnd(26)}${variants.map((v) => v.name.padStart(22)).join("")}`);
for (const k of keys) console.log(`${k.padEnd(26)}${variants.map((v) => (v.samples[k] ? med(v.samples[k]).toFixed(1) : "–").padStart(22)).join("")}`);
