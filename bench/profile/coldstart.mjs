#!/usr/bin/env node
// Where a TS→TS cold start goes: the TypeScript host (startPlugin) launches
// bench/plugin-timed, which records its own start-up timeline; phases are
// medians over runs, alternating AutoMTLS on and off. Build first.
//
//   node bench/profile/coldstart.mjs [--runs 10]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, generateCertificate, startPlugin } from "@rpcplugin/runtime";
import { KV } from "../dist/gen/kv_pb.js";

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 10);
const dir = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-coldstart-"));
const timingFile = path.join(dir, "timing.jsonl");
const now = () => performance.timeOrigin + performance.now();
const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };

function nodeFloor() {
  const t0 = now();
  return new Promise((resolve) => spawn(process.execPath, ["-e", "0"], { stdio: "ignore" }).on("exit", () => resolve(now() - t0)));
}

const rows = { on: [], off: [] };
for (let i = -1; i < runs; i++) {
  for (const tls of ["on", "off"]) {
    const floor = await nodeFloor();
    const t0 = now();
    const plugin = await startPlugin({
      command: path.join(benchDir, "plugin-timed"),
      env: { BENCH_TIMING_FILE: timingFile, TMPDIR: dir },
      handshake,
      autoMTLS: tls === "on",
      plugins: { bench: { client: (c) => c } },
      onLog: () => undefined,
    });
    const t1 = now();
    await createClient(KV, plugin.dispense("bench").transport).get({ key: "100" });
    const t2 = now();
    await plugin.close();
    const line = readFileSync(timingFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((x) => x.pid === plugin.pid);
    if (i < 0) continue; // warm-up
    rows[tls].push({
      "node -e 0 (spawn → exit), for reference": floor,
      "host: startPlugin until spawn (certificate, env)": NaN,
      "spawn → node time origin (exec, node binary start)": line.origin - t0,
      "node bootstrap → launcher's first line": line.main - line.origin,
      "import @rpcplugin/runtime (grpc-js, protobuf-es, runtime)": line.runtime - line.main,
      "import generated messages (kv, streamer, grpctest)": line.gen - line.runtime,
      "serve(): cookie, certificate, server, listen → handshake line": line.handshake - line.gen,
      "host: handshake line → startPlugin resolves (connect, TLS, health, streams)": t1 - line.handshake,
      "first unary Get (100 B)": t2 - t1,
      "total: startPlugin → first answer": t2 - t0,
    });
  }
}
// The host's own part before spawning (generateCertificate dominates).
const certs = [];
for (let i = 0; i < 20; i++) {
  const t0 = now();
  generateCertificate();
  certs.push(now() - t0);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `TS host → TS plugin (unix) cold start, medians of ${runs} runs (ms); load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(`${"phase".padEnd(80)} ${"mTLS on".padStart(8)} ${"mTLS off".padStart(8)}`);
for (const key of Object.keys(rows.on[0])) {
  const on = key.startsWith("host: startPlugin until") ? median(certs) : median(rows.on.map((r) => r[key]));
  const off = key.startsWith("host: startPlugin until") ? 0 : median(rows.off.map((r) => r[key]));
  console.log(`${key.padEnd(80)} ${on.toFixed(1).padStart(8)} ${off.toFixed(1).padStart(8)}`);
}
rmSync(dir, { recursive: true, force: true });
