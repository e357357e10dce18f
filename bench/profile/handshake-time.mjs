#!/usr/bin/env node
// Spawn → handshake line of plugin commands (no TLS, no host connection),
// next to `node -e 0` spawn → exit, alternated round by round. Answers "how
// far above bare node does a plugin start" without any host in the way.
// Also the CPU time each process spent until its line (all threads, from
// /proc/<pid>/task/*/schedstat, ns): far steadier than wall time on a busy
// machine; its floor is a `node -e` that prints a line.
//
//   node bench/profile/handshake-time.mjs [--rounds 15] <label>=<command> ...
//   e.g. ts=bench/plugin bundled=/tmp/bundle/plugin.mjs
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 15;
const commands = args.filter((a) => a.includes("=")).map((a) => a.split("="));
const dir = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-hs-"));
const env = { ...process.env, BASIC_PLUGIN: "hello", PLUGIN_PROTOCOL_VERSIONS: "1", PLUGIN_MIN_PORT: "10000", PLUGIN_MAX_PORT: "25000", TMPDIR: dir };

function floor() {
  const t0 = performance.now();
  return new Promise((resolve) => spawn(process.execPath, ["-e", "0"], { stdio: "ignore" }).on("exit", () => resolve(performance.now() - t0)));
}

/** CPU ms of all threads of a running process. */
function cpuMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

function handshake(command) {
  const t0 = performance.now();
  const argv = Array.isArray(command) ? command : command.endsWith(".mjs") || command.endsWith(".js") ? [process.execPath, command] : [command];
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    let t;
    let cpu;
    child.stdout.once("data", (d) => {
      t = performance.now() - t0;
      cpu = cpuMs(child.pid);
      if (!String(d).startsWith("1|")) reject(new Error(`not a handshake line: ${d}`));
      child.kill("SIGKILL");
    });
    child.once("exit", (code) => (t === undefined ? reject(new Error(`${argv.join(" ")} exited ${code} before its handshake`)) : resolve({ t, cpu })));
  });
}

const NODE_LINE = "node -e (prints a line)";
const results = { "node -e 0": [] };
const cpu = { [NODE_LINE]: [] };
for (const [label] of commands) {
  results[label] = [];
  cpu[label] = [];
}
for (let r = -1; r < rounds; r++) {
  const f = await floor();
  const line = await handshake([process.execPath, "-e", "process.stdout.write('1|\\n'); setInterval(() => {}, 1e6)"]);
  if (r >= 0) {
    results["node -e 0"].push(f);
    cpu[NODE_LINE].push(line.cpu);
  }
  for (const [label, command] of commands) {
    const { t, cpu: c } = await handshake(command);
    if (r >= 0) {
      results[label].push(t);
      cpu[label].push(c);
    }
  }
}
rmSync(dir, { recursive: true, force: true });
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const med = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const baseMed = med(results["node -e 0"]);
console.log(`spawn → handshake line (plugins) / spawn → exit (node -e 0), ms, ${rounds} rounds; load ${os.loadavg().map((l) => l.toFixed(1)).join("/")}`);
for (const [label, xs] of Object.entries(results)) {
  const s = sorted(xs);
  console.log(`${label.padEnd(28)} median ${med(xs).toFixed(1).padStart(6)}  min ${s[0].toFixed(1).padStart(6)}  max ${s[s.length - 1].toFixed(1).padStart(6)}  median − node ${(med(xs) - baseMed).toFixed(1).padStart(6)}`);
}
const cpuBase = med(cpu[NODE_LINE]);
console.log(`CPU ms (all threads) until the line, ${rounds} rounds`);
for (const [label, xs] of Object.entries(cpu)) {
  const s = sorted(xs);
  console.log(`${label.padEnd(28)} median ${med(xs).toFixed(1).padStart(6)}  min ${s[0].toFixed(1).padStart(6)}  max ${s[s.length - 1].toFixed(1).padStart(6)}  median − node ${(med(xs) - cpuBase).toFixed(1).padStart(6)}`);
}
