#!/usr/bin/env node
// What importing @rpcplugin/runtime costs, module group by module group: each
// fresh `node` imports the list in order and reports the wall and CPU time of
// each step (so a step's cost excludes what earlier steps already loaded).
// Minimum over runs, which is what the code costs when nothing else competes
// for the CPU. Build first.
//
//   node bench/profile/imports.mjs [--runs 9]
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const runtime = (p) => path.join(root, "packages", "runtime", "dist", p);
const runs = process.argv.includes("--runs") ? Number(process.argv[process.argv.indexOf("--runs") + 1]) : 9;

const steps = [
  ["node:crypto, node:http2, node:net, node:tls", ["node:crypto", "node:http2", "node:net", "node:tls"]],
  ["@grpc/grpc-js", ["@grpc/grpc-js"]],
  ["@bufbuild/protobuf (index)", ["@bufbuild/protobuf"]],
  ["@bufbuild/protobuf/codegenv2 + wire", ["@bufbuild/protobuf/codegenv2", "@bufbuild/protobuf/wire"]],
  ["@bufbuild/protobuf/wkt (descriptor.proto & co.)", ["@bufbuild/protobuf/wkt"]],
  ["@opentelemetry/api (runtime telemetry)", ["@opentelemetry/api"]],
  [
    "runtime gen: plugin/* + health",
    ["gen/plugin/grpc_broker_pb.js", "gen/plugin/grpc_controller_pb.js", "gen/plugin/grpc_stdio_pb.js", "gen/grpc/health/v1/health_pb.js"].map(runtime),
  ],
  ["runtime gen: reflection v1 + v1alpha", ["gen/grpc/reflection/v1/reflection_pb.js", "gen/grpc/reflection/v1alpha/reflection_pb.js"].map(runtime)],
  ["runtime rpc layer", [runtime("rpc/index.js")]],
  ["runtime serve() and what it loads (services, tls, broker…)", [runtime("serve.js")]],
  ["runtime host side (startPlugin, process, reattach…)", [runtime("index.js")]],
];

const script = `
const boot = performance.now(); const out = [];
const list = ${JSON.stringify(steps.map(([, mods]) => mods))};
for (const mods of list) {
  const t = performance.now(); const c = process.cpuUsage();
  for (const m of mods) await import(m);
  const u = process.cpuUsage(c);
  out.push([performance.now() - t, (u.user + u.system) / 1000]);
}
console.log(JSON.stringify({ boot, out }));`;

const samples = [];
for (let i = 0; i < runs; i++) {
  samples.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: path.join(root, "bench"), encoding: "utf8" })));
}
const min = (xs) => Math.min(...xs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `import cost of @rpcplugin/runtime, step by step, ${runs} fresh processes; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(`${"step".padEnd(56)} ${"wall min".padStart(9)} ${"wall med".padStart(9)} ${"cpu min".padStart(8)}`);
console.log(
  `${"(node bootstrap until the first line runs)".padEnd(56)} ${min(samples.map((s) => s.boot))
    .toFixed(1)
    .padStart(9)} ${median(samples.map((s) => s.boot))
    .toFixed(1)
    .padStart(9)}`,
);
let total = [0, 0, 0];
steps.forEach(([name], i) => {
  const w = samples.map((s) => s.out[i][0]);
  const c = samples.map((s) => s.out[i][1]);
  total = [total[0] + min(w), total[1] + median(w), total[2] + min(c)];
  console.log(`${name.padEnd(56)} ${min(w).toFixed(1).padStart(9)} ${median(w).toFixed(1).padStart(9)} ${min(c).toFixed(1).padStart(8)}`);
});
console.log(`${"total import".padEnd(56)} ${total[0].toFixed(1).padStart(9)} ${total[1].toFixed(1).padStart(9)} ${total[2].toFixed(1).padStart(8)}`);
