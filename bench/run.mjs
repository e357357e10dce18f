#!/usr/bin/env node
// rpcplugin benchmarks: every scenario for every pairing of host and plugin
// (TS→TS, TS→Go, Go→TS, Go→Go), alternated so that machine drift hits all
// alike. See docs/benchmarks.md.
//
//   npm run bench                 full run (< 10 min on 2 cores)
//   npm run bench -- --quick      quick run (< 1 min)
//   options: --repeats N  --only floor,coldstart,steady,memidle,certgen,memcalls,codegen,startup,pyvider,terraform
//
// Hosts are bench/dist/src/host.js (TypeScript, @rpcplugin/runtime) and
// fixtures/go/cmd/benchhost (go-plugin v1.8.0); plugins are bench/plugin and
// fixtures/go/cmd/benchplugin. Each job is one host process, in its own
// process group, killed with everything it started on timeout, and nothing it
// started may outlive it (leftovers are reported and killed). Prints a
// markdown table and writes bench/results/<time>-<mode>.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGo, goAvailable, runGo } from "./dist/go.js";
import { summarize } from "./stats.mjs";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes("--quick");
const mode = quick ? "quick" : "full";
const only = flag("--only")?.split(",");

/** Per-mode sizes. Every phase is bounded in time or count. */
const config = quick
  ? {
      // One repeat (every pairing still runs each job, in rotated order) keeps it under a minute.
      repeats: 1,
      floor: { n: 3 },
      coldstart: { n: 1 },
      steady: { jitWarmMs: 500, warmMs: 50, durMs: 120, streamMiB: 8, streamReps: 1, stdioMiB: 4, stdioReps: 1, brokerReps: 2, pings: 50 },
      memidle: { plugins: 2, settleMs: 150 },
      certgen: { n: 5 },
      // calls per pairing: TS→TS exercises both TS sides, so it gets the long run
      memcalls: { calls: { "ts-ts": 4_000, other: 2_000 }, conc: 64, checkpoints: 4, maxSeconds: 20, otherSeconds: 10 },
      budgetSeconds: 55,
    }
  : {
      repeats: 3,
      floor: { n: 5 },
      coldstart: { n: 3 },
      steady: { jitWarmMs: 3000, warmMs: 200, durMs: 700, streamMiB: 64, streamReps: 2, stdioMiB: 16, stdioReps: 2, brokerReps: 3, pings: 300 },
      memidle: { plugins: 4, settleMs: 500 },
      certgen: { n: 20 },
      // 1M calls for TS→TS unless that takes over maxSeconds, or over what is left of the run's
      // budget (then the calls made are reported); otherSeconds is kept for each other pairing.
      memcalls: { calls: { "ts-ts": 1_000_000, other: 50_000 }, conc: 64, checkpoints: 10, maxSeconds: 330, otherSeconds: 25 },
      // The whole run (builds excluded) is to end within 10 minutes: the memory run, last, gets what is left.
      budgetSeconds: 570,
    };
config.repeats = Number(flag("--repeats") ?? config.repeats);
const SIZES = [100, 64 * 1024];
const CONC = [1, 16, 64];

// TS sides run the default engine (h2); "TS→TS grpc-js" is the same pairing on the grpc-js engine,
// alternated with the others like any pairing: the engine A/B (last column: h2 over grpc-js).
const H2 = { PLUGIN_RPC_ENGINE: "h2" };
const PAIRINGS = [
  { id: "ts-ts", host: "ts", plugin: "ts", label: "TS→TS", env: H2 },
  { id: "ts-go", host: "ts", plugin: "go", label: "TS→Go", env: H2 },
  { id: "go-ts", host: "go", plugin: "ts", label: "Go→TS", env: H2 },
  { id: "go-go", host: "go", plugin: "go", label: "Go→Go", env: H2 },
  { id: "ts-ts-grpc-js", host: "ts", plugin: "ts", label: "TS→TS grpc-js", env: { PLUGIN_RPC_ENGINE: "grpc-js" } },
];

// ---------------------------------------------------------------------------------------------
// Metrics: label, unit, which direction is better, and where they are reported.

const M = [];
const metric = (key, label, unit, better, extra = {}) => M.push({ key, label, unit, better, ...extra });
metric("floor", "runtime floor: spawn → exit of `node -e 0` / Go no-op", "ms", "low", { group: "cold" });
for (const net of ["unix", "tcp"]) {
  for (const tls of ["mtls", "plain"]) {
    metric(`cold.${net}.${tls}`, `cold start ${net}, AutoMTLS ${tls === "mtls" ? "on" : "off"}`, "ms", "low", { group: "cold", tcp: net === "tcp" });
  }
}
for (const size of ["100B", "64KiB"]) {
  metric(`unary.p50.${size}`, `unary ${size} latency p50, c=1`, "µs", "low", { group: "unary" });
  metric(`unary.p99.${size}`, `unary ${size} latency p99, c=1`, "µs", "low", { group: "unary" });
  for (const c of CONC) metric(`unary.tput.c${c}.${size}`, `unary ${size} throughput, c=${c}`, "calls/s", "high", { group: "unary" });
  for (const c of CONC) metric(`unary.cpu.c${c}.${size}`, `unary ${size} CPU per call (host+plugin), c=${c}`, "µs", "low", { group: "unary" });
}
metric("unary.coldjit.tput", "unary 100B throughput, c=16, first seconds of a fresh host/plugin (cold JIT)", "calls/s", "high", { group: "unary" });
metric("unary.coldjit.cpu", "unary 100B CPU per call (host+plugin), c=16, cold JIT", "µs", "low", { group: "unary" });
metric("stream.server", "server streaming, 64 KiB chunks", "MB/s", "high", { group: "stream" });
metric("stream.client", "client streaming, 64 KiB chunks", "MB/s", "high", { group: "stream" });
metric("stream.server.cpu", "server streaming CPU (host+plugin)", "ms/MB", "low", { group: "stream" });
metric("stream.client.cpu", "client streaming CPU (host+plugin)", "ms/MB", "low", { group: "stream" });
metric("bidi.p50", "bidi ping-pong p50", "µs", "low", { group: "stream" });
metric("bidi.p99", "bidi ping-pong p99", "µs", "low", { group: "stream" });
metric("bidi.cpu", "bidi ping-pong CPU per round trip (host+plugin)", "µs", "low", { group: "stream" });
metric("stdio", "stdout forwarding to SyncStdout", "MB/s", "high", { group: "stdio" });
metric("broker.open", "broker: open callback connection + first call", "ms", "low", { group: "broker" });
metric("broker.rtt.p50", "broker: callback round trip p50", "µs", "low", { group: "broker" });
metric("mem.pluginIdle", "RSS of an idle plugin", "MiB", "low", { group: "mem" });
metric("mem.hostPerPlugin", "host RSS per running plugin", "MiB", "low", { group: "mem" });
for (const who of ["plugin", "host"]) {
  metric(`memcalls.${who}Start`, `${who} RSS after warm-up calls`, "MiB", "low", { group: "memcalls" });
  metric(`memcalls.${who}End`, `${who} RSS after all calls`, "MiB", "low", { group: "memcalls" });
  metric(`memcalls.${who}Growth`, `${who} RSS growth over the calls`, "MiB", "low", { group: "memcalls" });
}
metric("memcalls.pluginHeapGrowth", "plugin live heap growth (after full GC)", "MiB", "low", { group: "memcalls" });
metric("memcalls.hostHeapGrowth", "host live heap growth (after full GC)", "MiB", "low", { group: "memcalls" });
metric("memcalls.tput", "throughput during the memory run (c=64, 100 B)", "calls/s", "high", { group: "memcalls" });
metric("memcalls.calls", "calls made in the memory run (incl. warm-up)", "calls", "high", { group: "memcalls" });

// ---------------------------------------------------------------------------------------------
// Jobs: which pairings run them and with which parameters.

function coldConfigs(pairing) {
  return [
    { name: "unix.mtls", mtls: true, env: {}, enabled: true },
    { name: "unix.plain", mtls: false, env: {}, enabled: true },
    // Go plugins listen only on unix sockets on Linux.
    { name: "tcp.mtls", mtls: true, env: { BENCH_NETWORK: "tcp" }, enabled: pairing.plugin === "ts" },
    { name: "tcp.plain", mtls: false, env: { BENCH_NETWORK: "tcp" }, enabled: pairing.plugin === "ts" },
  ];
}

const JOBS = {
  floor: {
    pairings: PAIRINGS,
    params: (p, bins) => ({ n: config.floor.n, commands: [{ name: "", argv: p.plugin === "ts" ? [process.execPath, "-e", "0"] : [bins.goNoop] }] }),
    timeoutMs: 60_000,
  },
  coldstart: { pairings: PAIRINGS, params: (p) => ({ n: config.coldstart.n, configs: coldConfigs(p) }), timeoutMs: 120_000 },
  steady: { pairings: PAIRINGS, params: () => ({ ...config.steady, sizes: SIZES, conc: CONC }), timeoutMs: 180_000 },
  memidle: { pairings: PAIRINGS, params: () => config.memidle, timeoutMs: 120_000 },
  certgen: {
    pairings: PAIRINGS.filter((p) => p.id === "ts-ts" || p.id === "go-go"),
    params: (p) => ({ n: config.certgen.n, curves: p.host === "ts" ? ["P-256", "P-521"] : ["P-256", "P-521"] }),
    timeoutMs: 60_000,
  },
  memcalls: {
    pairings: PAIRINGS,
    params: (p, _bins, run) => ({
      calls: config.memcalls.calls[p.id] ?? config.memcalls.calls.other,
      checkpoints: config.memcalls.checkpoints,
      conc: [config.memcalls.conc],
      maxSeconds: (run.memcallsSeconds[p.id] = memcallsSeconds(p, run)),
    }),
    timeoutMs: 600_000,
    last: true,
  },
};

/**
 * The time limit of one pairing's memory run: TS→TS (the 1M-call run) gets what is left of the
 * run's budget once the other pairings' share is set aside, at least 30 s and at most maxSeconds.
 */
function memcallsSeconds(pairing, run) {
  if (pairing.id !== "ts-ts") return config.memcalls.otherSeconds;
  const othersLeft = JOBS.memcalls.pairings.filter((p) => p.id !== "ts-ts" && !(p.id in run.memcallsSeconds)).length;
  const left = config.budgetSeconds - run.elapsedSeconds() - othersLeft * config.memcalls.otherSeconds;
  const { maxSeconds } = config.memcalls;
  return Math.round(Math.min(maxSeconds, Math.max(Math.min(30, maxSeconds), left)));
}

// ---------------------------------------------------------------------------------------------

function sh(cmd, cmdArgs) {
  try {
    return execFileSync(cmd, cmdArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "n/a";
  }
}

function machine() {
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "?",
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    go: sh("go", ["env", "GOVERSION"]),
    kernel: os.release(),
  };
}

/**
 * Machine noise: the load average inside this machine, and a fixed CPU-bound loop timed here
 * (the "CPU probe"). On a VM the probe also moves with what other guests do, which the load
 * average cannot see.
 */
const loads = [];
const load = (when) => {
  const [l1, l5, l15] = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 50_000_000; i++) x += i % 7;
  const probeMs = Math.round((performance.now() - t0) * 10) / 10;
  loads.push({ when, at: new Date().toISOString(), l1, l5, l15, probeMs, x: x > 0 });
};

async function main() {
  if (!goAvailable()) throw new Error("the benchmarks need Go (go-plugin peers): install Go ≥ 1.26");
  const started = Date.now();
  load("start");
  const [goHost, goPlugin, goNoop] = await Promise.all([
    buildGo("benchhost", "./cmd/benchhost"),
    buildGo("benchplugin", "./cmd/benchplugin"),
    buildGo("benchnoop", "./cmd/benchnoop"),
  ]);
  const bins = { goHost, goPlugin, goNoop, tsHost: path.join(benchDir, "dist", "src", "host.js"), tsPlugin: path.join(benchDir, "plugin") };
  // Plugins (and the hosts' broker sockets) put their unix sockets in TMPDIR: a private one, checked and removed at the end.
  const tmp = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-bench-"));
  const samples = {}; // metric -> pairing -> number[]
  const extra = {}; // e.g. memcalls series
  const problems = [];
  const jobTimes = [];
  const run = { elapsedSeconds: () => (Date.now() - started) / 1000, memcallsSeconds: {} };

  const runJob = async (name, pairing) => {
    const job = JOBS[name];
    const params = { plugin: pairing.plugin === "ts" ? bins.tsPlugin : bins.goPlugin, pluginEnv: {}, ...job.params(pairing, bins, run) };
    const [bin, argv] =
      pairing.host === "ts"
        ? [process.execPath, ["--expose-gc", bins.tsHost, name, JSON.stringify(params)]]
        : [bins.goHost, ["-job", name, "-params", JSON.stringify(params)]];
    const t0 = Date.now();
    const r = await runGo(bin, argv, { timeoutMs: job.timeoutMs, cwd: tmp, env: { ...pairing.env, TMPDIR: tmp } });
    const took = ((Date.now() - t0) / 1000).toFixed(1);
    if (r.leftoverPids.length > 0) problems.push(`${name} ${pairing.label}: left processes ${r.leftoverPids.join(",")} (killed)`);
    if (r.code !== 0 || r.timedOut) {
      const why = r.timedOut ? `timed out after ${job.timeoutMs} ms` : `exit ${r.signal ?? r.code}`;
      problems.push(`${name} ${pairing.label}: ${why}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
      process.stderr.write(`  ${name.padEnd(9)} ${pairing.label}  FAILED (${why}, ${took}s)\n`);
      return;
    }
    const out = JSON.parse(r.stdout.trim().split("\n").pop());
    for (const [key, values] of Object.entries(out.metrics)) {
      const k = name === "floor" ? "floor" : key;
      ((samples[k] ??= {})[pairing.id] ??= []).push(...values);
    }
    if (out.info?.memcallsSeries) (extra.memcallsSeries ??= {})[pairing.id] = out.info.memcallsSeries;
    process.stderr.write(`  ${name.padEnd(9)} ${pairing.label}  ${took}s\n`);
    jobTimes.push({ job: name, pairing: pairing.id, s: Number(took) });
  };

  const names = Object.keys(JOBS).filter((n) => !only || only.includes(n));
  for (let rep = 0; rep < config.repeats; rep++) {
    process.stderr.write(`repeat ${rep + 1}/${config.repeats} (${((Date.now() - started) / 1000).toFixed(0)}s)\n`);
    for (const name of names) {
      const job = JOBS[name];
      if (job.last) continue;
      // Rotate the order every repeat so no pairing always runs first (or right after another).
      const order = job.pairings.map((_, i) => job.pairings[(i + rep) % job.pairings.length]);
      for (const pairing of order) await runJob(name, pairing);
    }
    load(`after repeat ${rep + 1}`);
  }

  const codegen = !only || only.includes("codegen") ? await runCodegen() : { status: "skipped", note: "not selected with --only" };
  const startup = !only || only.includes("startup") ? await runScript("startup.mjs", 5 * 60_000) : { status: "skipped", note: "not selected with --only" };
  const pyvider = !only || only.includes("pyvider") ? await runScript("pyvider.mjs", 15 * 60_000) : { status: "skipped", note: "not selected with --only" };
  const terraform =
    !only || only.includes("terraform") ? await runScript("terraform.mjs", 40 * 60_000) : { status: "skipped", note: "not selected with --only" };
  // Jobs that run once, after everything else: the memory run takes what is left of the budget.
  for (const name of names.filter((n) => JOBS[n].last)) {
    process.stderr.write(`${name} (${run.elapsedSeconds().toFixed(0)}s)\n`);
    for (const pairing of JOBS[name].pairings) await runJob(name, pairing);
  }
  load("end");

  const leftovers = readdirSync(tmp);
  if (leftovers.length > 0) problems.push(`left in TMPDIR: ${leftovers.join(", ")}`);
  rmSync(tmp, { recursive: true, force: true });

  const stats = {};
  for (const [key, byPairing] of Object.entries(samples)) {
    stats[key] = {};
    for (const [pid, values] of Object.entries(byPairing)) stats[key][pid] = summarize(values);
  }
  const result = {
    mode,
    date: new Date().toISOString(),
    command: `npm run bench${quick ? " -- --quick" : ""}${args.filter((a) => a !== "--quick").length ? ` ${args.filter((a) => a !== "--quick").join(" ")}` : ""}`,
    durationS: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    load: loads,
    config,
    stats,
    samples,
    extra,
    codegen,
    startup,
    pyvider,
    terraform,
    problems,
    jobTimes,
    memcallsSeconds: run.memcallsSeconds,
  };
  if (terraform.status !== "ran" && terraform.status !== "skipped") problems.push(`terraform: ${terraform.status}: ${terraform.note}`);
  if (startup.status !== "ran" && startup.status !== "skipped") problems.push(`startup: ${startup.status}: ${startup.note}`);
  if (pyvider.status !== "ran" && pyvider.status !== "skipped") problems.push(`pyvider: ${pyvider.status}: ${pyvider.note}`);
  for (const p of terraform.problems ?? []) problems.push(`terraform: ${p}`);
  const table = render(result);
  mkdirSync(path.join(benchDir, "results"), { recursive: true });
  const file = path.join(benchDir, "results", `${result.date.replace(/[:.]/g, "-")}-${mode}.json`);
  writeFileSync(file, `${JSON.stringify({ ...result, table }, null, 1)}\n`);
  process.stdout.write(`${table}\n`);
  process.stderr.write(`\n${mode} run: ${result.durationS}s; results in ${path.relative(repoRoot, file)}\n`);
  if (problems.length > 0) {
    process.stderr.write(`problems:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
    process.exitCode = 1;
  }
}

/**
 * A figure script of bench/ in its own process, `--json` (and `--quick`): startup.mjs (spawn →
 * handshake line, plain, bundled and built), pyvider.mjs (TS and pyvider-rpcplugin hosts and
 * plugins, paired four ways) and terraform.mjs (the TS files provider, bundled and
 * built, against its terraform-plugin-go twin: first GetProviderSchema, `terraform plan`).
 */
async function runScript(script, timeoutMs) {
  const argv = [path.join(benchDir, script), "--json", ...(quick ? ["--quick"] : [])];
  const r = await runGo(process.execPath, argv, { timeoutMs, cwd: repoRoot });
  if (r.code !== 0 || r.timedOut) {
    const why = r.timedOut ? `timed out after ${timeoutMs / 1000} s` : `failed (exit ${r.code})`;
    return { status: why, note: r.stderr.trim().split("\n").slice(-3).join(" | ") };
  }
  return { status: "ran", ...JSON.parse(r.stdout.trim().split("\n").pop()) };
}

/**
 * Code generation: packages/protoc-gen-rpcplugin/bench/generate.bench.mjs (protoc-gen-rpcplugin vs
 * protoc-gen-es, in-process, same synthetic request), owned by the generator's author; run as it is,
 * on a smaller input than its default so that it fits the full run. Not run in --quick.
 */
async function runCodegen() {
  const script = path.join(repoRoot, "packages", "protoc-gen-rpcplugin", "bench", "generate.bench.mjs");
  if (!existsSync(script)) return { status: "pending", note: "packages/protoc-gen-rpcplugin/bench/generate.bench.mjs does not exist yet" };
  if (quick) return { status: "skipped", note: "not run with --quick (it takes ~30 s); see the full run" };
  const argv = ["--services", "20", "--runs", "3"];
  const timeoutMs = 240_000;
  const r = await runGo(process.execPath, [script, ...argv], { timeoutMs, cwd: repoRoot });
  const ok = r.code === 0 && !r.timedOut;
  const ratios = [...r.stdout.matchAll(/^(target=\S+)[\s\S]*?ratio rpcplugin \/ es: ([\d.]+)/gm)].map((m) => ({ target: m[1], ratio: Number(m[2]) }));
  return {
    status: ok ? "ran" : r.timedOut ? `timed out after ${timeoutMs / 1000} s` : `failed (exit ${r.code})`,
    command: `node packages/protoc-gen-rpcplugin/bench/generate.bench.mjs ${argv.join(" ")}`,
    stdout: r.stdout.trim(),
    stderr: r.stderr.trim().split("\n").slice(-5).join("\n"),
    ratios,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function fmt(x) {
  if (x === undefined || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function cell(st, base, m) {
  if (!st) return "n/a";
  const spread = st.n > 1 ? ` <sub>p90 ${fmt(st.p90)} · ${fmt(st.min)}–${fmt(st.max)}</sub>` : "";
  const ratio =
    base && base.median !== 0 && m.key !== "floor" && m.key !== "memcalls.calls" && !m.key.endsWith("Growth")
      ? ` **×${(st.median / base.median).toFixed(2)}**`
      : "";
  return `${fmt(st.median)}${ratio}${spread}`;
}

function render(result) {
  const { stats } = result;
  const lines = [];
  lines.push(`rpcplugin benchmarks — ${result.mode} run, ${result.date}, ${result.durationS}s`);
  const mc = result.machine;
  lines.push(`machine: ${mc.nproc} CPUs (${mc.cpu}), ${mc.memGiB} GiB, Node ${mc.node}, ${mc.go}, Linux ${mc.kernel}`);
  lines.push(
    `load average (1/5/15 min) and CPU probe (fixed loop, ms): ${result.load.map((l) => `${l.when} ${l.l1}/${l.l5}/${l.l15}, probe ${l.probeMs}`).join("; ")}`,
  );
  lines.push("");
  lines.push("Cells: median (×ratio to Go→Go's median) with p90 · min–max over all samples. ↓ lower is better, ↑ higher is better.");
  lines.push("");
  if (M.some((m) => stats[m.key])) {
    lines.push(`| scenario | unit | ${PAIRINGS.map((p) => p.label).join(" | ")} | engine A/B: h2 ÷ grpc-js (TS→TS) |`);
    lines.push(`|---|---|${PAIRINGS.map(() => "---").join("|")}|---|`);
  }
  for (const m of M) {
    const row = stats[m.key];
    if (!row) continue;
    const base = row["go-go"];
    const cells = PAIRINGS.map((p) => (m.tcp && p.plugin === "go" ? "n/a (Go plugins: unix only)" : cell(row[p.id], p.id === "go-go" ? undefined : base, m)));
    const h2 = row["ts-ts"];
    const grpcJs = row["ts-ts-grpc-js"];
    // The memory run makes far more calls TS→TS than for any other pairing: no like-for-like ratio there.
    const ab = m.group !== "memcalls" && h2 && grpcJs && grpcJs.median !== 0 ? `**×${(h2.median / grpcJs.median).toFixed(2)}**` : "–";
    lines.push(`| ${m.label} | ${m.unit} ${m.better === "low" ? "↓" : "↑"} | ${cells.join(" | ")} | ${ab} |`);
  }
  const certs = Object.keys(stats)
    .filter((k) => k.startsWith("certgen."))
    .sort();
  if (certs.length > 0) {
    lines.push("");
    lines.push("| certificate generation (one side) | unit | TS (generateCertificate) | Go (go-plugin mtls.go generateCert) | TS/Go |");
    lines.push("|---|---|---|---|---|");
    for (const key of certs) {
      const ts = stats[key]["ts-ts"];
      const go = stats[key]["go-go"];
      const ratio = ts && go ? `×${(ts.median / go.median).toFixed(2)}` : "–";
      lines.push(
        `| ${key.slice("certgen.".length)}${key.endsWith("P-256") ? " (TS default)" : key.endsWith("P-521") ? " (go-plugin's curve)" : ""} | ms ↓ | ${cell(ts, undefined, { key })} | ${cell(go, undefined, { key })} | ${ratio} |`,
      );
    }
  }
  lines.push("");
  const cg = result.codegen;
  lines.push("| code generation: protoc-gen-rpcplugin vs protoc-gen-es | result |");
  lines.push("|---|---|");
  if (cg.status === "ran" && cg.ratios.length > 0) {
    for (const { target, ratio } of cg.ratios)
      lines.push(`| ${target}: time of protoc-gen-rpcplugin / protoc-gen-es (same request, in-process) | ×${ratio.toFixed(2)} |`);
  } else {
    lines.push(`| packages/protoc-gen-rpcplugin/bench | **${cg.status === "pending" ? "pending" : cg.status}**${cg.note ? ` — ${cg.note}` : ""} |`);
  }
  if (cg.stdout) lines.push("", "```", `$ ${cg.command}`, cg.stdout || cg.stderr, "```");
  lines.push("");
  const st = result.startup;
  lines.push(st.status === "ran" ? st.table : `Start-up (bench/startup.mjs): **${st.status}**${st.note ? ` — ${st.note}` : ""}`);
  lines.push("");
  const py = result.pyvider;
  lines.push(py.status === "ran" ? py.table : `pyvider-rpcplugin (bench/pyvider.mjs): **${py.status}**${py.note ? ` — ${py.note}` : ""}`);
  lines.push("");
  const tf = result.terraform;
  if (tf.status === "ran") {
    lines.push(tf.table);
    lines.push(
      `(${tf.binaries.map((b) => `${b.name} ${b.version}`).join(", ")}; ${tf.config.cold} cold starts and ${tf.config.plans} plans per side, alternated; bench/terraform.mjs)`,
    );
  } else {
    lines.push(`Terraform providers (bench/terraform.mjs): **${tf.status}**${tf.note ? ` — ${tf.note}` : ""}`);
  }
  if (result.extra.memcallsSeries) {
    lines.push("");
    const calls = result.config.memcalls.calls;
    lines.push(
      `Memory run: unary 100 B, ${result.config.memcalls.conc} in flight, ${calls["ts-ts"].toLocaleString("en-US")} calls for TS→TS, ${calls.other.toLocaleString("en-US")} for the other pairings ` +
        `(in ${result.config.memcalls.checkpoints} segments after a warm-up of a fifth of one; stopped after the segment crossing ${result.memcallsSeconds?.["ts-ts"] ?? result.config.memcalls.maxSeconds} s for TS→TS, ${result.config.memcalls.otherSeconds} s for the others: what was left of the run's ${result.config.budgetSeconds} s budget, at most ${result.config.memcalls.maxSeconds} s).`,
    );
    lines.push("RSS over the memory run, MiB, after N calls: plugin RSS (live heap after full GC) / host RSS (live heap):");
    for (const p of PAIRINGS) {
      const s = result.extra.memcallsSeries[p.id];
      if (s)
        lines.push(
          `- ${p.label}: ${s.map((x) => `${x.calls.toLocaleString("en-US")}: ${x.pluginMiB.toFixed(1)} (${x.pluginHeapMiB.toFixed(1)}) / ${x.hostMiB.toFixed(1)} (${x.hostHeapMiB.toFixed(1)})`).join(" → ")}`,
        );
    }
  }
  if (result.problems.length > 0) {
    lines.push("");
    lines.push("Problems:");
    for (const p of result.problems) lines.push(`- ${p}`);
  }
  return lines.join("\n");
}

process.on("SIGINT", () => process.exit(130)); // runs runGo's exit hook, which kills every live job's process group
process.on("SIGTERM", () => process.exit(143));
await main();
