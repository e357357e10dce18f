#!/usr/bin/env node
// Terraform figures: the TypeScript `files` provider (examples/terraform-provider-files,
// launched through its filesystem-mirror launcher as Terraform launches it), the same provider
// bundled into one file (`rpcplugin bundle`, copied alone into its mirror), the same built into a
// standalone executable (`rpcplugin build`, copied alone into its mirror), and its Go twin on
// HashiCorp's terraform-plugin-go (fixtures/go-tfprovider, same schema):
//   - cold start: spawn → handshake → AutoMTLS connection → first GetProviderSchema answer,
//     timed by our TypeScript host (startPlugin with Terraform's cookie, offering protocols 5
//     and 6 as Terraform does, AutoMTLS on), one unmeasured start first, TS and Go alternated;
//   - `terraform plan` wall time on the same config (one files_file resource to create and one
//     files_file data source to read), each provider installed from its own filesystem mirror,
//     after one unmeasured plan; TS and Go alternated.
// Run by bench/run.mjs (`npm run bench`, `--only terraform`), or alone after a build:
//   node bench/terraform.mjs [--quick] [--json]
// Prints a markdown table (or, with --json, one JSON object) on stdout.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startPlugin } from "@rpcplugin/runtime";
import { TERRAFORM_HANDSHAKE } from "@rpcplugin/terraform";
import * as tfplugin5 from "@rpcplugin/terraform/tfplugin5";
import * as tfplugin6 from "@rpcplugin/terraform/tfplugin6";
import { buildExecutable } from "../packages/cli/dist/build.js";
import { bundlePlugin } from "../packages/cli/dist/bundle.js";
import { buildGo, runGo } from "./dist/go.js";
import { summarize } from "./stats.mjs";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const config = quick ? { cold: 3, plans: 2, binaries: ["terraform"] } : { cold: 15, plans: 7, binaries: ["terraform", "tofu"] };

const { ensureTerraformBinary } = await import(pathToFileURL(path.join(repoRoot, "scripts", "terraform-binaries.mjs")).href);
const { layOutMirror, platformName, PROVIDER_SOURCE } = await import(
  pathToFileURL(path.join(repoRoot, "examples", "terraform-provider-files", "scripts", "mirror.mjs")).href
);

const log = (line) => process.stderr.write(`[bench terraform] ${line}\n`);

/** Spawn → first GetProviderSchema answer, AutoMTLS on, protocols 5 and 6 offered. */
async function coldStart(command, env) {
  const t0 = performance.now();
  const client = await startPlugin({
    command,
    env,
    handshake: TERRAFORM_HANDSHAKE,
    versionedPlugins: { 5: { provider: tfplugin5.ProviderPlugin }, 6: { provider: tfplugin6.ProviderPlugin } },
    autoMTLS: true,
    onLog: () => {},
  });
  try {
    if (client.protocolVersion !== 6) throw new Error(`${command} negotiated protocol ${client.protocolVersion}, expected 6`);
    const provider = client.dispense("provider");
    const schema = await provider.getProviderSchema({});
    if (!schema.resourceSchemas.files_file) throw new Error(`${command}: no files_file in the schema`);
    return performance.now() - t0;
  } finally {
    await client.close();
  }
}

/** A working dir whose provider comes from a mirror holding `executable` (or the TS launcher). */
function project(root, name, goBinary) {
  const dir = path.join(root, name);
  const mirror = path.join(dir, "mirror");
  const work = path.join(dir, "work");
  const files = path.join(dir, "files");
  const tmp = path.join(dir, "t");
  for (const d of [mirror, work, files, tmp]) mkdirSync(d, { recursive: true });
  let executable;
  if (goBinary) {
    const pkg = path.join(mirror, ...PROVIDER_SOURCE.split("/"), "0.1.0", platformName());
    mkdirSync(pkg, { recursive: true });
    executable = path.join(pkg, "terraform-provider-files");
    copyFileSync(goBinary, executable);
    chmodSync(executable, 0o755);
  } else {
    executable = layOutMirror({ mirrorDir: mirror }).executable;
  }
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
  const env = {
    HOME: dir,
    TMPDIR: tmp,
    TF_CLI_CONFIG_FILE: cli,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_LOG: undefined,
    TF_LOG_PATH: undefined,
    TF_REATTACH_PROVIDERS: undefined,
    TF_DISABLE_PLUGIN_TLS: undefined,
    TF_DATA_DIR: undefined,
    TF_PLUGIN_CACHE_DIR: undefined,
    TF_CLI_ARGS: undefined,
    TF_CLI_ARGS_plan: undefined,
    TF_CLI_ARGS_init: undefined,
  };
  return { name, work, tmp, env, executable };
}

async function tf(bin, p, cmdArgs, okCodes = [0]) {
  const t0 = performance.now();
  const r = await runGo(bin, cmdArgs, { cwd: p.work, env: p.env, timeoutMs: 180_000 });
  const took = performance.now() - t0;
  if (r.timedOut || !okCodes.includes(r.code) || r.leftoverPids.length > 0) {
    throw new Error(
      `${path.basename(bin)} ${cmdArgs.join(" ")} (${p.name}) ${r.timedOut ? "timed out" : `exited with ${r.signal ?? r.code}`}${r.leftoverPids.length ? `, left ${r.leftoverPids}` : ""}:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`,
    );
  }
  return took;
}

async function main() {
  const started = Date.now();
  const tsMain = path.join(repoRoot, "examples", "terraform-provider-files", "dist", "main.js");
  if (!existsSync(tsMain)) throw new Error(`${tsMain} does not exist: build first (npm run bench does)`);
  const goProvider = await buildGo("terraform-provider-files", ".", { module: "fixtures/go-tfprovider" });
  const root = mkdtempSync(path.join(os.tmpdir(), "rtfb-"));
  const result = { mode: quick ? "quick" : "full", config, samples: {}, stats: {}, binaries: [], processesPerPlan: {}, problems: [] };
  const add = (key, v) => (result.samples[key] ??= []).push(v);
  try {
    const bundled = path.join(root, "terraform-provider-files.bundle.mjs");
    await bundlePlugin({ entry: tsMain, out: bundled });
    const ts = project(root, "ts", null);
    const tsb = project(root, "tsb", bundled);
    const built = await buildExecutable({ entry: tsMain, out: path.join(root, "terraform-provider-files") });
    result.executableBytes = built.bytes;
    const tse = project(root, "tse", built.out);
    mkdirSync(path.join(root, "snapshot"));
    const snapshotBuilt = await buildExecutable({ entry: tsMain, out: path.join(root, "snapshot", "terraform-provider-files"), snapshot: true });
    result.snapshotExecutableBytes = snapshotBuilt.bytes;
    const tss = project(root, "tss", snapshotBuilt.out);
    const go = project(root, "go", goProvider);
    const projects = [ts, tsb, tse, tss, go];

    // Cold start, timed by our host. The providers run in a private TMPDIR (their sockets).
    const sides = projects.map((p) => [p.name, p.executable, { TMPDIR: p.tmp }]);
    for (const [, cmd, env] of sides) await coldStart(cmd, env); // unmeasured: page cache, host JIT
    for (let i = 0; i < config.cold; i++) {
      // Rotated, so that no side always runs first.
      for (let k = 0; k < sides.length; k++) {
        const [side, cmd, env] = sides[(k + i) % sides.length];
        add(`cold.${side}`, await coldStart(cmd, env));
      }
    }
    log(`cold start: ${config.cold} samples each`);

    for (const name of config.binaries) {
      const bin = await ensureTerraformBinary(name, { log });
      result.binaries.push({ name: bin.name, version: bin.version });
      for (const p of projects) {
        rmSync(path.join(p.work, ".terraform"), { recursive: true, force: true });
        rmSync(path.join(p.work, ".terraform.lock.hcl"), { force: true });
        await tf(bin.path, p, ["init", "-input=false", "-no-color"]);
        await tf(bin.path, p, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], [2]); // unmeasured
      }
      // How many provider processes one plan starts (go-plugin logs each start at DEBUG).
      for (const p of projects) {
        const logFile = path.join(p.tmp, "..", "plan.log");
        await tf(
          bin.path,
          { ...p, env: { ...p.env, TF_LOG: "debug", TF_LOG_PATH: logFile } },
          ["plan", "-input=false", "-no-color", "-detailed-exitcode"],
          [2],
        );
        const starts = (readFileSync(logFile, "utf8").match(/plugin started/g) ?? []).length;
        result.processesPerPlan[`${bin.name}.${p.name}`] = starts;
        rmSync(logFile, { force: true });
      }
      for (let i = 0; i < config.plans; i++) {
        for (let k = 0; k < projects.length; k++) {
          const p = projects[(k + i) % projects.length];
          add(`plan.${bin.name}.${p.name}`, await tf(bin.path, p, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], [2]));
        }
      }
      log(`${bin.name} ${bin.version} plan: ${config.plans} samples each`);
    }
    for (const p of projects) {
      const left = readdirSync(p.tmp);
      if (left.length > 0) result.problems.push(`${p.name} provider left in TMPDIR: ${left.join(", ")}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(result.samples)) result.stats[k] = summarize(v);
  result.durationS = Math.round((Date.now() - started) / 1000);
  result.table = render(result);
  return result;
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** Markdown: one row per figure, TS, bundled TS, built TS (code cache, snapshot) and Go medians (p90 · min–max) and the ratios to Go. */
export function render(result) {
  const lines = [];
  lines.push(
    "| Terraform provider: TS (examples/terraform-provider-files), the same bundled (`rpcplugin bundle`) and built (`rpcplugin build`, `--snapshot`), Go (terraform-plugin-go) | unit ↓ | TS | TS bundled | TS built | TS built --snapshot | Go | TS/Go | bundled/Go | built/Go | snapshot/Go |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  const row = (label, key) => {
    const [t, b, e, n, g] = ["ts", "tsb", "tse", "tss", "go"].map((side) => result.stats[`${key}.${side}`]);
    if (!t || !g) return;
    const c = (s) => (s ? `${fmt(s.median)} <sub>p90 ${fmt(s.p90)} · ${fmt(s.min)}–${fmt(s.max)}</sub>` : "n/a");
    const ratio = (s) => (s ? `**×${(s.median / g.median).toFixed(2)}**` : "n/a");
    lines.push(`| ${label} | ms | ${c(t)} | ${c(b)} | ${c(e)} | ${c(n)} | ${c(g)} | ${ratio(t)} | ${ratio(b)} | ${ratio(e)} | ${ratio(n)} |`);
  };
  row("spawn → first GetProviderSchema answer (AutoMTLS, our TS host)", "cold");
  for (const b of result.binaries) {
    const ts = result.processesPerPlan[`${b.name}.ts`];
    const go = result.processesPerPlan[`${b.name}.go`];
    const starts = ts === go ? ts : `${ts} (Go: ${go})`;
    row(
      `\`${b.name} plan\` wall time, ${b.name} ${b.version} (1 resource to create + 1 data source; ${starts ?? "?"} provider processes per plan)`,
      `plan.${b.name}`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.on("SIGINT", () => process.exit(130));
  process.on("SIGTERM", () => process.exit(143));
  try {
    const result = await main();
    process.stdout.write(args.includes("--json") ? `${JSON.stringify(result)}\n` : `${result.table}\n`);
    if (result.problems.length > 0) {
      process.stderr.write(`problems:\n${result.problems.map((p) => `  - ${p}`).join("\n")}\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
