#!/usr/bin/env node
// pyvider-rpcplugin figures: the same KV plugin work for four pairings of host and plugin, TS and
// pyvider-rpcplugin 0.5.5 (Python): cold start (spawn → first Put answered, AutoMTLS on, as each
// host does by default), unary 100 B Put throughput and CPU per call (host + plugin) at c=1/16/64,
// and the plugin's idle RSS (all of it, and RssAnon: its own pages, without the file pages of its
// executable that every process running it shares). The TS host is startPlugin(); the Python host
// is pyvider's RPCPluginClient (bench/python/bench_host.py); plugins are fixtures/ts-plugin/plugin.mjs and
// fixtures/python/kv_plugin.py, both keeping values in memory. Ratios are to Python→Python.
// Run by bench/run.mjs (`npm run bench`, `--only pyvider`), or alone after a build:
//   node bench/pyvider.mjs [--quick] [--json]
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clientPlugin, startPlugin } from "@rpcplugin/runtime";
import { KV } from "../examples/go-plugin/dist/gen/kv/kv_pb.js";
import { runGo } from "./dist/go.js";
import { pythonFixtures, pyviderPython } from "./dist/python.js";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const params = quick ? { cold: 2, seconds: 0.5, conc: [1, 16, 64], size: 100 } : { cold: 7, seconds: 2, conc: [1, 16, 64], size: 100 };
const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
const TICKS_PER_S = 100; // /proc/<pid>/stat clock ticks (USER_HZ) on Linux

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop().trim().split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}
/** A /proc/<pid>/status memory field in MiB: VmRSS, or RssAnon (the process's own pages, without the shared file pages of its executable). */
function rssMiB(pid, field = "VmRSS") {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return Number(line.split(/\s+/)[1]) / 1024;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The TS host's side: the same jobs as bench_host.py. */
const tsStart = (command, commandArgs) =>
  startPlugin({ command, args: commandArgs, handshake, plugins: { kv_grpc: clientPlugin(KV) }, autoMTLS: true, onLog: () => {} });

/** Spawn → first Put answered by the TS host: one unmeasured start (page cache), then `n` measured. */
async function tsColdStarts(command, commandArgs, n) {
  const cold = [];
  for (let i = 0; i <= n; i++) {
    const t0 = performance.now();
    const client = await tsStart(command, commandArgs);
    await client.dispense("kv_grpc").put({ key: "k", value: Buffer.from("v") });
    cold.push(performance.now() - t0);
    await client.close();
  }
  return cold.slice(1);
}

async function tsHost(command, commandArgs) {
  const client = await tsStart(command, commandArgs);
  try {
    const pid = client.pid;
    await sleep(1000);
    const idle = rssMiB(pid);
    const idleAnon = rssMiB(pid, "RssAnon");
    const kv = client.dispense("kv_grpc");
    const request = { key: "key", value: Buffer.alloc(params.size, 0x78) };
    for (let i = 0; i < 200; i++) await kv.put(request);
    const unary = {};
    for (const conc of params.conc) {
      let calls = 0;
      const deadline = performance.now() + params.seconds * 1000;
      const host0 = process.cpuUsage();
      const plugin0 = cpuSeconds(pid);
      const wall0 = performance.now();
      await Promise.all(
        Array.from({ length: conc }, async () => {
          while (performance.now() < deadline) {
            await kv.put(request);
            calls++;
          }
        }),
      );
      const wall = (performance.now() - wall0) / 1000;
      const host = process.cpuUsage(host0);
      const pluginCpu = cpuSeconds(pid) - plugin0;
      const cpu = (host.user + host.system) / 1e6 + pluginCpu;
      unary[String(conc)] = { calls_per_s: calls / wall, cpu_us_per_call: (cpu / calls) * 1e6, plugin_cpu_us_per_call: (pluginCpu / calls) * 1e6 };
    }
    return { plugin_idle_rss_mib: idle, plugin_idle_anon_rss_mib: idleAnon, unary };
  } finally {
    await client.close();
  }
}

async function pythonHost(python, pluginCommand, jobParams = { ...params, cold: 0 }) {
  const r = await runGo(python, [path.join(benchDir, "python", "bench_host.py"), JSON.stringify(jobParams), ...pluginCommand], {
    cwd: repoRoot,
    timeoutMs: 300_000,
    env: { PLUGIN_AUTO_MTLS: "true" },
  });
  if (r.code !== 0 || r.timedOut)
    throw new Error(`bench_host.py ${pluginCommand.join(" ")}: ${r.timedOut ? "timed out" : `exit ${r.code}`}\n${r.stderr.slice(-2000)}`);
  if (r.leftoverPids.length > 0) throw new Error(`bench_host.py left ${r.leftoverPids.join(",")}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function main() {
  const started = Date.now();
  const python = pyviderPython();
  const tsPlugin = [process.execPath, path.join(repoRoot, "fixtures", "ts-plugin", "plugin.mjs")];
  const pyPlugin = [python, path.join(pythonFixtures, "kv_plugin.py")];
  // Cold starts round by round, the pairings alternated (the plugin's own start dominates them, so
  // a drift of the machine's load between pairings run one after another would decide the ratios).
  const coldStarts = {
    "py-py": () => pythonHost(python, pyPlugin, { ...params, cold: 1, coldOnly: true }).then((r) => r.cold_samples_ms),
    "py-ts": () => pythonHost(python, tsPlugin, { ...params, cold: 1, coldOnly: true }).then((r) => r.cold_samples_ms),
    "ts-py": () => tsColdStarts(pyPlugin[0], pyPlugin.slice(1), 1),
    "ts-ts": () => tsColdStarts(tsPlugin[0], tsPlugin.slice(1), 1),
  };
  const cold = Object.fromEntries(Object.keys(coldStarts).map((key) => [key, []]));
  for (let round = 0; round < params.cold; round++) {
    const order = round % 2 ? Object.keys(coldStarts).reverse() : Object.keys(coldStarts);
    for (const key of order) cold[key].push(...(await coldStarts[key]()));
  }
  const results = {
    "py-py": { cold_ms: median(cold["py-py"]), ...(await pythonHost(python, pyPlugin)) },
    "py-ts": { cold_ms: median(cold["py-ts"]), ...(await pythonHost(python, tsPlugin)) },
    "ts-py": { cold_ms: median(cold["ts-py"]), ...(await tsHost(pyPlugin[0], pyPlugin.slice(1))) },
    "ts-ts": { cold_ms: median(cold["ts-ts"]), ...(await tsHost(tsPlugin[0], tsPlugin.slice(1))) },
  };
  const result = { mode: quick ? "quick" : "full", params, results, durationS: Math.round((Date.now() - started) / 1000) };
  return { ...result, table: render(result) };
}

const fmt = (x) => (x >= 1000 ? Math.round(x).toLocaleString("en-US") : x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** Markdown: one row per figure, the four pairings and each one's ratio to Python→Python (↓ or ↑ better as marked). */
export function render(result) {
  const sides = [
    ["py-py", "Python→Python"],
    ["py-ts", "Python→TS"],
    ["ts-py", "TS→Python"],
    ["ts-ts", "TS→TS"],
  ];
  const lines = [
    `| pyvider-rpcplugin 0.5.5 and rpcplugin, KV plugin in memory, AutoMTLS on | unit | ${sides.map(([, l]) => l).join(" | ")} |`,
    `|---|---|${sides.map(() => "---|").join("")}`,
  ];
  const row = (label, unit, better, pick) => {
    const base = pick(result.results["py-py"]);
    const cells = sides.map(([id]) => {
      const v = pick(result.results[id]);
      return id === "py-py" ? fmt(v) : `${fmt(v)} (×${(v / base).toFixed(2)})`;
    });
    lines.push(`| ${label} | ${unit} ${better} | ${cells.join(" | ")} |`);
  };
  row("cold start: spawn → first Put answered", "ms", "↓", (r) => r.cold_ms);
  for (const c of result.params.conc) {
    row(`unary 100 B Put throughput, c=${c}`, "calls/s", "↑", (r) => r.unary[String(c)].calls_per_s);
    row(`unary 100 B Put CPU per call (host + plugin), c=${c}`, "µs", "↓", (r) => r.unary[String(c)].cpu_us_per_call);
  }
  row("plugin RSS, idle after start", "MiB", "↓", (r) => r.plugin_idle_rss_mib);
  row("plugin's own memory (RssAnon: RSS without the executable's shared file pages), idle", "MiB", "↓", (r) => r.plugin_idle_anon_rss_mib);
  lines.push(
    `(${result.params.cold} cold starts and ${result.params.seconds} s per concurrency per pairing, cold starts alternated round by round, the rest one pairing after another; bench/pyvider.mjs)`,
  );
  return lines.join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = await main();
    process.stdout.write(args.includes("--json") ? `${JSON.stringify(result)}\n` : `${result.table}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
