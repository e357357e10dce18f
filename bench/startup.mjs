#!/usr/bin/env node
// Start-up of a shipped plugin: spawn → handshake line of the bench plugin (bench/plugin) run
// four ways — plain (node and node_modules), bundled (`rpcplugin bundle`: one .mjs file) and
// built (`rpcplugin build`: a standalone executable with a code cache; and with `--snapshot`: one
// that starts from a V8 startup snapshot) — next to a `node -e`
// that prints a line, alternated round by round, no TLS, no host connection. Wall time and the
// CPU each process spent until its line (all threads, /proc/<pid>/task/*/schedstat): far steadier
// than wall time on a busy machine. Also the built executable's size.
// Run by bench/run.mjs (`npm run bench`, `--only startup`), or alone after a build:
//   node bench/startup.mjs [--quick] [--json]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMs, summarize } from "./stats.mjs";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

/** Spawns `argv`, waits for its first stdout line (a handshake), returns wall and CPU ms until then, and kills it. */
function untilFirstLine(argv, env) {
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    let wall;
    let cpu;
    child.stdout.once("data", (data) => {
      wall = performance.now() - t0;
      cpu = cpuMs(child.pid);
      if (!String(data).startsWith("1|")) reject(new Error(`${argv.join(" ")}: not a handshake line: ${data}`));
      child.kill("SIGKILL");
    });
    child.once("error", reject);
    child.once("exit", (code) => (wall === undefined ? reject(new Error(`${argv.join(" ")} exited ${code} before its handshake`)) : resolve({ wall, cpu })));
  });
}

/** The floor: a node that prints a line and stays up, as a plugin would. */
export const NODE_LINE = "node -e (prints a line)";
const nodeLine = [process.execPath, "-e", "process.stdout.write('1|\\n'); setInterval(() => {}, 1e6)"];

/**
 * Rounds of spawn → first line for each command (label → argv), the floor first in every round,
 * one unmeasured round first. Returns `{ wall: {label: ms[]}, cpu: {label: ms[]} }`.
 */
export async function measureHandshakes(commands, rounds) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-hs-"));
  const env = { ...process.env, BASIC_PLUGIN: "hello", PLUGIN_PROTOCOL_VERSIONS: "1", PLUGIN_MIN_PORT: "10000", PLUGIN_MAX_PORT: "25000", TMPDIR: dir };
  const all = [[NODE_LINE, nodeLine], ...Object.entries(commands)];
  const wall = Object.fromEntries(all.map(([label]) => [label, []]));
  const cpu = Object.fromEntries(all.map(([label]) => [label, []]));
  try {
    for (let round = -1; round < rounds; round++) {
      for (const [label, argv] of all) {
        const r = await untilFirstLine(argv, env);
        if (round >= 0) {
          wall[label].push(r.wall);
          cpu[label].push(r.cpu);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { wall, cpu };
}

async function main(quick) {
  const started = Date.now();
  const { bundlePlugin } = await import("../packages/cli/dist/bundle.js");
  const { buildExecutable } = await import("../packages/cli/dist/build.js");
  const entry = path.join(benchDir, "dist", "src", "plugin.js");
  const work = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-startup-"));
  try {
    const bundled = path.join(work, "plugin.bundle.mjs");
    await bundlePlugin({ entry, out: bundled });
    const built = await buildExecutable({ entry, out: path.join(work, "plugin") });
    const snapshot = await buildExecutable({ entry, out: path.join(work, "plugin-snapshot"), snapshot: true });
    const rounds = quick ? 3 : 15;
    const { wall, cpu } = await measureHandshakes(
      {
        plain: [process.execPath, path.join(benchDir, "plugin")],
        bundled: [process.execPath, bundled],
        built: [built.out],
        snapshot: [snapshot.out],
      },
      rounds,
    );
    const stats = { wall: {}, cpu: {} };
    for (const [kind, byLabel] of Object.entries({ wall, cpu })) for (const [label, xs] of Object.entries(byLabel)) stats[kind][label] = summarize(xs);
    const result = {
      rounds,
      stats,
      executableBytes: built.bytes,
      snapshotExecutableBytes: snapshot.bytes,
      codeCache: built.codeCache,
      bundleBytes: statSync(bundled).size,
      durationS: Math.round((Date.now() - started) / 1000),
    };
    return { ...result, table: render(result) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const signed = (x) => `${x < 0 ? "−" : "+"}${fmt(Math.abs(x))}`;

/** Markdown: one row per way of shipping, wall and CPU medians and CPU over the floor. */
export function render(result) {
  const floor = result.stats.cpu[NODE_LINE].median;
  const wallFloor = result.stats.wall[NODE_LINE].median;
  const lines = [
    "| bench plugin, spawn → handshake line (no TLS, no host) | wall ms ↓ | CPU ms ↓ | CPU over the floor | wall over the floor |",
    "|---|---|---|---|---|",
  ];
  const labels = {
    [NODE_LINE]: "floor: `node -e` that prints a line",
    plain: "plain: `node bench/plugin` (node_modules)",
    bundled: "bundled: `rpcplugin bundle` (one .mjs)",
    built: "built: `rpcplugin build` (standalone executable, code cache)",
    snapshot: "built: `rpcplugin build --snapshot` (standalone executable, startup snapshot)",
  };
  for (const [label, text] of Object.entries(labels)) {
    const w = result.stats.wall[label];
    const c = result.stats.cpu[label];
    if (!w || !c) continue;
    const over = label === NODE_LINE ? "–" : `**${signed(c.median - floor)}**`;
    lines.push(
      `| ${text} | ${fmt(w.median)} <sub>p90 ${fmt(w.p90)}</sub> | ${fmt(c.median)} <sub>p90 ${fmt(c.p90)}</sub> | ${over} | ${label === NODE_LINE ? "–" : signed(w.median - wallFloor)} |`,
    );
  }
  lines.push(
    `(${result.rounds} rounds, alternated; executable ${(result.executableBytes / 2 ** 20).toFixed(1)} MiB, code cache ${result.codeCache}; with the snapshot ${(result.snapshotExecutableBytes / 2 ** 20).toFixed(1)} MiB; bundle ${(result.bundleBytes / 2 ** 20).toFixed(1)} MiB; bench/startup.mjs)`,
  );
  return lines.join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    const result = await main(args.includes("--quick"));
    process.stdout.write(args.includes("--json") ? `${JSON.stringify(result)}\n` : `${result.table}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
