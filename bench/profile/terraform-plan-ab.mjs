#!/usr/bin/env node
// `terraform plan` wall time and the CPU time of everything it ran (terraform and its provider
// processes: the children's rusage), A/B over provider builds, rounds alternated. Each label is
// a built provider main module (e.g. examples/terraform-provider-files/dist/main.js or a copy of
// an older build), installed through its own filesystem mirror with a launcher that imports it.
// Same configuration as bench/terraform.mjs (one files_file resource to create, one data source).
//
//   node bench/profile/terraform-plan-ab.mjs [--rounds 7] [--binary terraform] <label>=<main.js> ...
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const rounds = Number(option("--rounds", 7));
const binaryName = option("--binary", "terraform");
const builds = args.filter((a) => a.includes("=")).map((a) => a.split("="));
if (builds.length === 0) throw new Error("usage: terraform-plan-ab.mjs [--rounds N] [--binary terraform|tofu] <label>=<main.js> ...");

const { ensureTerraformBinary } = await import(pathToFileURL(path.join(repoRoot, "scripts", "terraform-binaries.mjs")).href);
const { platformName, PROVIDER_SOURCE } = await import(
  pathToFileURL(path.join(repoRoot, "examples", "terraform-provider-files", "scripts", "mirror.mjs")).href
);
const bin = await ensureTerraformBinary(binaryName, { log: (line) => process.stderr.write(`${line}\n`) });

const root = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-planab-"));
function project(label, main) {
  const dir = path.join(root, label);
  const [mirror, work, files, tmp] = ["mirror", "work", "files", "t"].map((d) => path.join(dir, d));
  for (const d of [mirror, work, files, tmp]) mkdirSync(d, { recursive: true });
  const pkg = path.join(mirror, ...PROVIDER_SOURCE.split("/"), "0.1.0", platformName());
  mkdirSync(pkg, { recursive: true });
  const launcher = path.join(pkg, "terraform-provider-files");
  writeFileSync(launcher, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(path.resolve(main)).href)});\n`);
  chmodSync(launcher, 0o755);
  const cli = path.join(dir, "cli.tfrc");
  writeFileSync(
    cli,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = [${JSON.stringify(PROVIDER_SOURCE)}]\n  }\n}\n`,
  );
  writeFileSync(path.join(files, "motd.txt"), "hello\n");
  writeFileSync(
    path.join(work, "main.tf"),
    `terraform {\n  required_providers {\n    files = { source = ${JSON.stringify(PROVIDER_SOURCE)}, version = "0.1.0" }\n  }\n}\n` +
      `provider "files" { directory = ${JSON.stringify(files)} }\n` +
      `resource "files_file" "a" {\n  path    = "a.txt"\n  content = "a"\n}\n` +
      `data "files_file" "motd" {\n  path = "motd.txt"\n}\n`,
  );
  const env = { PATH: process.env.PATH, HOME: dir, TMPDIR: tmp, TF_CLI_CONFIG_FILE: cli, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  return { label, work, env };
}

/** Wall and children CPU ms of one command (a fresh `sh` so its rusage covers only this command's tree). */
function timed(p, cmdArgs, okCodes) {
  const t0 = performance.now();
  const r = spawnSync("/bin/sh", ["-c", `"$0" "$@" >/dev/null 2>"$TMPDIR/../err.txt"; code=$?; times >&2; exit $code`, bin.path, ...cmdArgs], {
    cwd: p.work,
    env: p.env,
    encoding: "utf8",
  });
  const wall = performance.now() - t0;
  if (!okCodes.includes(r.status))
    throw new Error(
      `${bin.name} ${cmdArgs.join(" ")} (${p.label}) exited with ${r.status}: ${execFileSync("cat", [path.join(p.work, "..", "err.txt")], { encoding: "utf8" }).slice(-2000)}`,
    );
  // `times`: shell user/sys, then children user/sys, as "0m1.234s 0m0.123s".
  const lines = r.stderr.trim().split("\n");
  const seconds = (t) => {
    const m = /(\d+)m([\d.]+)s/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const [user, sys] = lines[lines.length - 1].trim().split(/\s+/).map(seconds);
  return { wall, cpu: (user + sys) * 1000 };
}

const projects = builds.map(([label, main]) => project(label, main));
const samples = Object.fromEntries(builds.map(([label]) => [label, { wall: [], cpu: [] }]));
const plan = ["plan", "-input=false", "-no-color", "-detailed-exitcode"];
try {
  for (const p of projects) {
    timed(p, ["init", "-input=false", "-no-color"], [0]);
    timed(p, plan, [2]); // unmeasured
  }
  for (let i = 0; i < rounds; i++) {
    for (const p of i % 2 ? [...projects].reverse() : projects) {
      const s = timed(p, plan, [2]);
      samples[p.label].wall.push(s.wall);
      samples[p.label].cpu.push(s.cpu);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `${bin.name} ${bin.version} plan, ${rounds} rounds; load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}`,
);
console.log(
  `${"label".padEnd(12)} ${"wall med".padStart(9)} ${"wall min".padStart(9)} ${"cpu med".padStart(9)} ${"cpu min".padStart(9)}  (ms; cpu = terraform and every provider process it ran)`,
);
for (const [label] of builds) {
  const { wall, cpu } = samples[label];
  console.log(
    `${label.padEnd(12)} ${median(wall).toFixed(0).padStart(9)} ${Math.min(...wall)
      .toFixed(0)
      .padStart(9)} ${median(cpu).toFixed(0).padStart(9)} ${Math.min(...cpu)
      .toFixed(0)
      .padStart(9)}`,
  );
}
