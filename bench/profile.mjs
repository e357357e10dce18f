#!/usr/bin/env node
// CPU-profiles one bench job: the TypeScript host runs with --cpu-prof and the
// TypeScript plugin through bench/plugin-cpu-prof (node --cpu-prof), then each profile is
// summarized (self time by function and by package). Used for the findings in
// docs/benchmarks.md. Build first (npm run bench does; or tsc -b && tsc -b bench bench/tsconfig.support.json).
//
//   node bench/profile.mjs --pairing ts-ts --job steady --params '{"phases":["unary"],"sizes":[100],"conc":[16]}'
//   node bench/profile.mjs --pairing go-ts --job coldstart --params '{"n":5,"configs":[{"name":"unix.mtls","mtls":true,"enabled":true}]}'
//   node bench/profile.mjs --summarize file.cpuprofile [--top 30]
//
// Profiles are kept in the directory printed at the end (under the OS temp dir).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const top = Number(flag("--top", "25"));

/** Self time by function and by package of one .cpuprofile. */
export function summarize(file, n = top) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFn = new Map();
  const byPkg = new Map();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const file = url.replace(/^file:\/\//, "");
    const short = file.split("/").slice(-2).join("/");
    const fn = `${functionName || "(anonymous)"} ${short}${short ? `:${lineNumber + 1}` : ""}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    let pkg;
    if (file.includes("node_modules/")) {
      const rest = file.split("node_modules/").pop().split("/");
      pkg = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    } else if (file.includes("/packages/runtime/")) pkg = `runtime ${file.split("/packages/runtime/dist/").pop()}`;
    else if (file.startsWith("node:"))
      pkg = file
        .replace(/^node:internal\//, "node:")
        .split("/")
        .slice(0, 2)
        .join("/");
    else pkg = file ? path.relative(path.dirname(benchDir), file) : functionName;
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
  }
  const lines = [`${path.basename(file)}: ${(total / 1000).toFixed(0)} ms sampled`];
  const show = (map, title) => {
    lines.push(`  -- self time by ${title}`);
    for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      lines.push(`  ${(t / 1000).toFixed(1).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
    }
  };
  show(byPkg, "package / file");
  show(byFn, "function");
  return lines.join("\n");
}

async function main() {
  const summarizeFile = flag("--summarize");
  if (summarizeFile) {
    console.log(summarize(summarizeFile));
    return;
  }
  const { buildGo, runGo } = await import("./dist/go.js");
  const pairing = flag("--pairing", "ts-ts");
  const job = flag("--job", "steady");
  const [host, plugin] = pairing.split("-");
  const dir = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-profile-"));
  const pluginBin = plugin === "ts" ? path.join(benchDir, "plugin-cpu-prof") : await buildGo("benchplugin", "./cmd/benchplugin");
  const extra = JSON.parse(flag("--params", "{}"));
  const params = {
    warmMs: 200,
    durMs: 2000,
    sizes: [100],
    conc: [16],
    streamMiB: 64,
    streamReps: 2,
    stdioMiB: 16,
    stdioReps: 2,
    brokerReps: 3,
    pings: 500,
    ...extra,
    plugin: pluginBin,
    pluginEnv: { BENCH_CPU_PROF_DIR: path.join(dir, "plugin") },
  };
  const [bin, argv] =
    host === "ts"
      ? [
          process.execPath,
          ["--expose-gc", "--cpu-prof", `--cpu-prof-dir=${path.join(dir, "host")}`, path.join(benchDir, "dist", "src", "host.js"), job, JSON.stringify(params)],
        ]
      : [await buildGo("benchhost", "./cmd/benchhost"), ["-job", job, "-params", JSON.stringify(params)]];
  const r = await runGo(bin, argv, { timeoutMs: 300_000, env: { TMPDIR: dir } });
  if (r.code !== 0) throw new Error(`host failed (${r.code}): ${r.stderr}`);
  console.log(r.stdout.trim());
  for (const side of ["host", "plugin"]) {
    let files = [];
    try {
      files = readdirSync(path.join(dir, side)).filter((f) => f.endsWith(".cpuprofile"));
    } catch {
      continue;
    }
    for (const f of files) console.log(`\n== ${side}\n${summarize(path.join(dir, side, f))}`);
  }
  console.log(`\nprofiles: ${dir}`);
}

await main();
