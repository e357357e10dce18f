#!/usr/bin/env node
// Cold start of Terraform provider executables, A/B: spawn → handshake → AutoMTLS connection →
// first GetProviderSchema answer, as bench/terraform.mjs times it (Terraform's cookie, protocols
// 5 and 6 offered), plus the CPU time the provider process spent until that answer (all
// threads, /proc/<pid>/task/*/schedstat): far steadier than wall time on a busy machine.
// Commands alternate round by round; one unmeasured start each first. Build first.
//
//   node bench/profile/terraform-coldstart.mjs [--rounds 15] <label>=<command> ...
//   e.g. ts=examples/terraform-provider-files/terraform-provider-files
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startPlugin } from "@rpcplugin/runtime";
import { TERRAFORM_HANDSHAKE } from "@rpcplugin/terraform";
import * as tfplugin5 from "@rpcplugin/terraform/tfplugin5";
import * as tfplugin6 from "@rpcplugin/terraform/tfplugin6";
import { cpuMs } from "../stats.mjs";

const args = process.argv.slice(2);
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 15;
const commands = args.filter((a) => a.includes("=")).map((a) => a.split("="));
if (commands.length === 0) throw new Error("usage: terraform-coldstart.mjs [--rounds N] <label>=<command> ...");
const dir = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-tfcold-"));

async function coldStart(command) {
  const t0 = performance.now();
  const client = await startPlugin({
    command: path.resolve(command),
    env: { TMPDIR: dir },
    handshake: TERRAFORM_HANDSHAKE,
    versionedPlugins: { 5: { provider: tfplugin5.ProviderPlugin }, 6: { provider: tfplugin6.ProviderPlugin } },
    autoMTLS: true,
    onLog: () => {},
  });
  try {
    const schema = await client.dispense("provider").getProviderSchema({});
    const wall = performance.now() - t0;
    const cpu = cpuMs(client.pid);
    if (Object.keys(schema.resourceSchemas).length === 0) throw new Error(`${command}: no resource in the schema`);
    return { wall, cpu };
  } finally {
    await client.close();
  }
}

const samples = Object.fromEntries(commands.map(([label]) => [label, { wall: [], cpu: [] }]));
try {
  for (const [, command] of commands) await coldStart(command);
  for (let i = 0; i < rounds; i++) {
    for (const [label, command] of i % 2 ? [...commands].reverse() : commands) {
      const s = await coldStart(command);
      samples[label].wall.push(s.wall);
      samples[label].cpu.push(s.cpu);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs) => Math.min(...xs);
console.log(
  `spawn → first GetProviderSchema answer, ${rounds} rounds; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(
  `${"label".padEnd(12)} ${"wall med".padStart(9)} ${"wall min".padStart(9)} ${"cpu med".padStart(9)} ${"cpu min".padStart(9)}  (ms; cpu = the provider process, all threads)`,
);
for (const [label] of commands) {
  const { wall, cpu } = samples[label];
  console.log(
    `${label.padEnd(12)} ${median(wall).toFixed(1).padStart(9)} ${min(wall).toFixed(1).padStart(9)} ${median(cpu).toFixed(1).padStart(9)} ${min(cpu).toFixed(1).padStart(9)}`,
  );
}
