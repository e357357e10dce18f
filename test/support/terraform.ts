// Real terraform/tofu binaries driving the TypeScript `files` provider
// (examples/terraform-provider-files). The binaries come from
// scripts/terraform-binaries.mjs (built with Go, cached outside the repo);
// each TerraformProject is a private directory with its own HOME, TMPDIR, CLI
// config (a filesystem_mirror holding the provider, no network), working
// directory and the directory the provider writes files into. Every command
// runs in its own process group with a hard timeout, and anything it leaves
// running (a provider Terraform failed to stop) is reported and killed.
// FilesLifecycle holds the e2e's steps (create, empty plan, update, replace,
// import, data source, destroy) for every way Terraform meets the provider.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layOutMirror, PROVIDER_SOURCE, platformName } from "../../examples/terraform-provider-files/scripts/mirror.mjs";
import { BUILT_BINARIES, ensureTerraformBinary, type TerraformBinary, terraformOnPath } from "../../scripts/terraform-binaries.mjs";
import { type RunResult, repoRoot, runGo } from "./go.js";
import { isProcessGone, killProcessGroup } from "./process.js";

export type { TerraformBinary };
export { PROVIDER_SOURCE };

/** beforeAll timeout for a first (cold) build of terraform and tofu. */
export const BUILD_TIMEOUT_MS = 30 * 60_000;

/** Timeout of one test step (a few terraform commands, each starting providers; slow on a loaded 2-core machine). */
export const STEP_TIMEOUT_MS = 240_000;

/** A binary of the matrix, known when tests are collected and built (or found) in beforeAll. */
export interface BinarySpec {
  /** "terraform 1.5.7", "tofu 1.12.6", "terraform 1.11.4 (PATH)". */
  label: string;
  kind: "terraform" | "tofu";
  version: string;
  get(): Promise<TerraformBinary>;
}

/** The matrix: terraform 1.5.7 and tofu 1.12.6 (built), and a terraform on PATH of another version. */
export function binaryMatrix(): BinarySpec[] {
  const specs: BinarySpec[] = BUILT_BINARIES.map((s) => ({
    label: `${s.kind} ${s.version}`,
    kind: s.kind,
    version: s.version,
    get: () => ensureTerraformBinary(s.name),
  }));
  const onPath = terraformOnPath();
  if (onPath && !specs.some((s) => s.kind === onPath.kind && s.version === onPath.version)) {
    specs.push({ label: `terraform ${onPath.version} (PATH)`, kind: onPath.kind, version: onPath.version, get: async () => onPath });
  }
  return specs;
}

/** Versions a binary kind must have for a feature ("1.8"). */
export type FeatureSince = { readonly terraform: string; readonly tofu: string };

/** Why `spec` lacks `feature` (first in `since`), or undefined when its version has it. */
export function missingFeature(spec: BinarySpec, feature: string, since: FeatureSince): string | undefined {
  const want = since[spec.kind].split(".").map(Number);
  const have = spec.version.split(".").map(Number);
  for (let i = 0; i < Math.max(want.length, have.length); i++) {
    const [a = 0, b = 0] = [have[i], want[i]];
    if (a !== b) return a > b ? undefined : `${spec.kind} ${spec.version}: ${feature} require ${spec.kind} ${since[spec.kind]} or later`;
  }
  return undefined;
}

/**
 * A describe() per binary of the matrix and protocol 6 and 5, running `body`
 * where the binary has `feature`; where it has not, one skipped test whose
 * name says why (and the reason on stderr), never a silent gap.
 */
export function describeEachBinary(tag: string, feature: string, since: FeatureSince, body: (spec: BinarySpec, protocol: 5 | 6) => void): void {
  for (const spec of binaryMatrix()) {
    const missing = missingFeature(spec, feature, since);
    for (const protocol of [6, 5] as const) {
      describe(`${spec.label}, protocol ${protocol}`, () => {
        if (missing) {
          process.stderr.write(`[${tag}] skipped for ${spec.label}: ${missing}\n`);
          it.skip(`skipped: ${missing}`, () => {});
          return;
        }
        body(spec, protocol);
      });
    }
  }
}

/** The built provider the mirror's launcher runs. */
export const providerMain = path.join(repoRoot, "examples", "terraform-provider-files", "dist", "main.js");

/** Environment variables of the caller that would change what terraform does; never passed on. */
const SCRUBBED = /^(TF_|CHECKPOINT_|PLUGIN_|TERRAFORM_|TOFU_|OPENTOFU_|FILES_PROVIDER_)/;

export interface TfResult extends RunResult {
  /** The command line, for messages. */
  command: string;
  /** The command's TF_LOG=trace output. */
  log: string;
}

export interface TfRunOptions {
  env?: Record<string, string | undefined>;
  /** Hard limit for the command; default 120 s. */
  timeoutMs?: number;
  /** Accept these exit codes without throwing (default: only 0). */
  okCodes?: number[];
}

/** `terraform show -json` (the parts the tests read). */
export interface ShowJson {
  format_version: string;
  values?: {
    outputs?: Record<string, { value: unknown; sensitive: boolean }>;
    root_module: {
      resources?: Array<{ address: string; mode: string; type: string; name: string; values: Record<string, unknown>; schema_version?: number }>;
    };
  };
}

/** A private directory for one binary: HOME, TMPDIR, mirror, CLI config, working dir and the provider's files. */
export class TerraformProject {
  private constructor(
    readonly binary: TerraformBinary,
    readonly root: string,
    readonly work: string,
    /** The provider's `directory`: where files_file resources are written. */
    readonly files: string,
    /** TMPDIR of every command (and so of the providers, whose sockets go there). */
    readonly tmp: string,
    readonly cliConfig: string,
    readonly executable: string,
    private readonly baseEnv: Record<string, string | undefined>,
  ) {}

  private commands = 0;

  /**
   * `protocol: 5` makes the mirror's executable serve protocol 5 only: Terraform
   * always offers 5 and 6 (PLUGIN_PROTOCOL_VERSIONS=5,6) and the provider picks
   * the highest, so the launcher narrows the offer the provider sees to 5.
   */
  static async create(
    binary: TerraformBinary,
    opts: {
      env?: Record<string, string | undefined>;
      protocol?: 5 | 6;
      /** A release zip (`rpcplugin release`) to install from, in the mirror's packed layout, instead of the launcher. */
      packagedZip?: string;
    } = {},
  ): Promise<TerraformProject> {
    if (!existsSync(providerMain)) {
      throw new Error(`${providerMain} does not exist: run \`npx tsc -b\` before the Terraform tests`);
    }
    // Short: provider sockets go under TMPDIR, and unix socket paths are limited to ~104 bytes.
    const root = await mkdtemp(path.join(os.tmpdir(), "rtf-"));
    const dirs = {
      home: path.join(root, "home"),
      tmp: path.join(root, "t"),
      work: path.join(root, "work"),
      files: path.join(root, "files"),
      mirror: path.join(root, "mirror"),
    };
    for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
    const cliConfig = path.join(root, "cli.tfrc");
    let executable: string;
    if (opts.packagedZip) {
      // Packed layout: <mirror>/<host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip
      const packed = path.join(dirs.mirror, ...PROVIDER_SOURCE.split("/"));
      await mkdir(packed, { recursive: true });
      await copyFile(opts.packagedZip, path.join(packed, path.basename(opts.packagedZip)));
      // Where init unpacks it (the executable's name inside the zip).
      executable = path.join(dirs.work, ".terraform", "providers", ...PROVIDER_SOURCE.split("/"), "0.1.0", platformName(), "terraform-provider-files_v0.1.0");
    } else {
      executable = layOutMirror({ mirrorDir: dirs.mirror }).executable;
    }
    if (opts.protocol === 5) await writeFile(executable, protocol5Launcher(), { mode: 0o755 });
    await writeFile(
      cliConfig,
      [
        "provider_installation {",
        "  filesystem_mirror {",
        `    path    = ${JSON.stringify(dirs.mirror)}`,
        `    include = [${JSON.stringify(PROVIDER_SOURCE)}]`,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const baseEnv: Record<string, string | undefined> = {};
    for (const k of Object.keys(process.env)) if (SCRUBBED.test(k)) baseEnv[k] = undefined;
    Object.assign(baseEnv, {
      HOME: dirs.home,
      TMPDIR: dirs.tmp,
      XDG_CONFIG_HOME: path.join(dirs.home, ".config"),
      XDG_DATA_HOME: path.join(dirs.home, ".local", "share"),
      XDG_CACHE_HOME: path.join(dirs.home, ".cache"),
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      NO_COLOR: "1",
      ...opts.env,
    });
    return new TerraformProject(binary, root, dirs.work, dirs.files, dirs.tmp, cliConfig, executable, baseEnv);
  }

  /** Writes main.tf (the provider block pointing at `files` is added). */
  async writeConfig(body: string): Promise<void> {
    const head = [
      "terraform {",
      "  required_providers {",
      `    files = { source = ${JSON.stringify(PROVIDER_SOURCE)}, version = "0.1.0" }`,
      "  }",
      "}",
      "",
      `provider "files" { directory = ${JSON.stringify(this.files)} }`,
      "",
    ].join("\n");
    await writeFile(path.join(this.work, "main.tf"), `${head}${body}\n`);
  }

  /**
   * Runs the binary in the working dir, with TF_LOG=trace written to a file
   * (`result.log`; the caller may pass its own TF_LOG/TF_LOG_PATH). Throws
   * (with the command, exit, output and the plugin lines of the log) unless
   * the exit code is in `okCodes`, or when it timed out or left a process behind.
   */
  async run(args: string[], opts: TfRunOptions = {}): Promise<TfResult> {
    const command = `${this.binary.name} ${args.join(" ")}`;
    const logFile = path.join(this.root, "logs", `${String(++this.commands).padStart(3, "0")}-${args[0] ?? "none"}.log`);
    await mkdir(path.dirname(logFile), { recursive: true });
    const r = await runGo(this.binary.path, args, {
      cwd: this.work,
      env: { ...this.baseEnv, TF_LOG: "trace", TF_LOG_PATH: logFile, ...opts.env },
      timeoutMs: opts.timeoutMs ?? 120_000,
    });
    const logPath = opts.env?.TF_LOG_PATH ?? logFile;
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    const result = { ...r, command, log };
    const ok = opts.okCodes ?? [0];
    if (r.timedOut || r.code === null || !ok.includes(r.code) || r.leftoverPids.length > 0) {
      throw new Error(
        `${describeResult(result)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n` +
          `plugin lines of the TF_LOG (${logPath}):\n${pluginLogLines(log).join("\n")}`,
      );
    }
    return result;
  }

  /** `show -json`, parsed. */
  async state(env: Record<string, string | undefined> = {}): Promise<ShowJson> {
    const r = await this.run(["show", "-json", "-no-color"], { env });
    return JSON.parse(r.stdout) as ShowJson;
  }

  /** The resources in state, by address. */
  async resources(env: Record<string, string | undefined> = {}): Promise<Record<string, Record<string, unknown>>> {
    const s = await this.state(env);
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of s.values?.root_module.resources ?? []) out[r.address] = r.values;
    return out;
  }

  /** The environment every command of this project gets (over process.env; undefined = removed). */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...this.baseEnv, ...extra })) if (v !== undefined) env[k] = v;
    return env;
  }

  /**
   * Starts the mirror's executable with `--debug` (its own process group):
   * it serves plaintext on a unix socket and prints TF_REATTACH_PROVIDERS.
   */
  async startDebugProvider(extraEnv: Record<string, string | undefined> = {}, protocol: 5 | 6 = 6): Promise<DebugProviderProcess> {
    // Protocol 6 is what `--debug` serves; protocol 5 needs serveProviderDebug's option, from a launcher of ours.
    let command = this.executable;
    let args = ["--debug"];
    if (protocol === 5) {
      command = process.execPath;
      args = [path.join(this.root, "debug-v5.mjs")];
      await writeFile(args[0] as string, debugV5Launcher());
    }
    const child = spawn(command, args, {
      cwd: this.work,
      env: this.env(extraEnv),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${this.executable} --debug`);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    const reattach = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error("no TF_REATTACH_PROVIDERS line within 30 s")), 30_000);
      const onData = () => {
        const m = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(stdout);
        if (m?.[1]) done(undefined, m[1]);
      };
      const done = (err?: Error, value?: string) => {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        if (err || value === undefined) {
          killProcessGroup(pid);
          reject(new Error(`${this.executable} --debug: ${err?.message ?? "exited"}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        } else resolve(value);
      };
      child.stdout.on("data", onData);
      void exited.then(() => done(new Error("exited before printing TF_REATTACH_PROVIDERS")));
    });
    return {
      pid,
      command: [command, ...args],
      reattach,
      stdout: () => stdout,
      stderr: () => stderr,
      stop: async () => {
        killProcessGroup(pid, "SIGINT");
        const res = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
        if (res === null) {
          killProcessGroup(pid);
          throw new Error(`${this.executable} --debug did not exit within 10 s of SIGINT (killed)\nstderr:\n${stderr}`);
        }
        return res;
      },
    };
  }

  /** Names left in TMPDIR (provider sockets must be removed). */
  async tmpEntries(): Promise<string[]> {
    return readdir(this.tmp);
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A provider serving in debug mode for TF_REATTACH_PROVIDERS. */
export interface DebugProviderProcess {
  pid: number;
  /** What was started. */
  command: string[];
  /** The TF_REATTACH_PROVIDERS value it printed. */
  reattach: string;
  stdout(): string;
  stderr(): string;
  /** SIGINT, then its exit (SIGKILL and an error after 10 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A launcher like scripts/mirror.mjs writes, which offers the provider protocol 5 only. */
function protocol5Launcher(): string {
  return [
    `#!${process.execPath}`,
    "// Written by test/support/terraform.ts: the files provider, offered protocol 5 only.",
    'const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? "").split(",");',
    'process.env.PLUGIN_PROTOCOL_VERSIONS = offered.includes("5") ? "5" : offered.join(",");',
    `import(${JSON.stringify(pathToFileURL(providerMain).href)}).catch((error) => {`,
    '  process.stderr.write(String(error?.stack ?? error) + "\\n");',
    "  process.exit(1);",
    "});",
    "",
  ].join("\n");
}

/** Serves the files provider in debug mode over protocol 5 (what `--debug` does over 6). */
function debugV5Launcher(): string {
  const terraform = pathToFileURL(path.join(repoRoot, "packages", "terraform", "dist", "index.js")).href;
  const provider = pathToFileURL(path.join(repoRoot, "examples", "terraform-provider-files", "dist", "provider.js")).href;
  return [
    "// Written by test/support/terraform.ts: the files provider in debug mode, protocol 5.",
    `const { serveProviderDebug } = await import(${JSON.stringify(terraform)});`,
    `const { filesProvider, FILES_PROVIDER_ADDRESS } = await import(${JSON.stringify(provider)});`,
    "const served = await serveProviderDebug(filesProvider, { address: FILES_PROVIDER_ADDRESS, debugProtocolVersion: 5 });",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated script's own template literal
    "process.stdout.write(`TF_REATTACH_PROVIDERS='${served.reattachProviders}'\\n`);",
    'process.once("SIGINT", () => void served.stop());',
    "await served.plugin.stopped;",
    "",
  ].join("\n");
}

/**
 * The project of one describe(): `setup` makes it (and configures, inits…)
 * before the tests; after them whatever `current` returns (also when setup
 * failed half-way) is disposed, failing the suite if terraform left a
 * provider process running or a file in its TMPDIR.
 */
export function projectForSuite(current: () => TerraformProject | undefined, setup: () => Promise<void>): void {
  beforeAll(setup, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    const project = current();
    if (!project) return;
    expect(await disposeProject(project)).toEqual({ processes: [], tmp: [] });
  });
}

/**
 * What a project left: live processes mentioning its executable (SIGKILLed here, so that a failed
 * test does not leave them running) and entries in its TMPDIR. Then the project is removed.
 */
export async function disposeProject(p: TerraformProject, executable = p.executable): Promise<{ processes: number[]; tmp: string[] }> {
  const processes = processesMentioning(executable);
  for (const pid of processes) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  const tmp = await p.tmpEntries().catch(() => []);
  await p.dispose();
  return { processes, tmp };
}

/** Live processes whose command line mentions `needle` (e.g. a provider executable's path). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.split("\0").some((arg) => arg.includes(needle)) && !isProcessGone(Number(name))) out.push(Number(name));
  }
  return out;
}

/** "terraform plan … exited with 1 (left processes …)". */
export function describeResult(r: TfResult): string {
  const how = r.timedOut ? "timed out" : `exited with ${r.signal ?? r.code}`;
  const left = r.leftoverPids.length > 0 ? ` and left processes ${r.leftoverPids.join(",")} running (killed)` : "";
  return `${r.command} ${how}${left}`;
}

/** What go-plugin logged about the plugin processes (start, exit, their stderr), last 60 lines. */
export function pluginLogLines(log: string): string[] {
  return log
    .split("\n")
    .filter((l) => /plugin|provider\.terraform-provider-files/.test(l))
    .slice(-60);
}

/** The protocol go-plugin negotiated, from a TF_LOG=trace log ("using plugin: version=6"). */
export function negotiatedVersions(log: string): number[] {
  return [...log.matchAll(/using plugin: version=(\d+)/g)].map((m) => Number(m[1]));
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Any attempt to reach the network goes to a closed port and fails. */
export const NO_NETWORK = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };

/** The protocol every provider of a command negotiated (from its TF_LOG) is `protocol`. */
export function expectNegotiated(log: string, protocol: 5 | 6): void {
  const versions = negotiatedVersions(log);
  expect(versions.length, "provider starts in the log").toBeGreaterThan(0);
  expect(new Set(versions)).toEqual(new Set([protocol]));
}

/** go-plugin's line in a TF_LOG=trace log when Terraform itself starts a files provider process. */
export const STARTED_PROVIDER = /starting plugin: path=\S*terraform-provider-files/;

/** The flags of every terraform command the tests run. */
export const TF_FLAGS = ["-input=false", "-no-color"];

/** A `files_file` resource block. */
export const fileResource = (name: string, file: string, content: string) =>
  `resource "files_file" "${name}" {\n  path    = ${JSON.stringify(file)}\n  content = ${JSON.stringify(content)}\n}\n`;

const HELLO = fileResource("hello", "greetings/hello.txt", "hello\n");
const HELLO_AGAIN = fileResource("hello", "greetings/hello.txt", "hello again\n");
const MOVED = fileResource("hello", "moved/hello.txt", "hello again\n");
const ADOPTED = fileResource("adopted", "outside/made-by-hand.txt", "by hand\n");
const MOTD =
  'data "files_file" "motd" {\n  path = "motd.txt"\n}\n' +
  'output "motd" {\n  value = data.files_file.motd.content\n}\n' +
  'output "motd_sha256" {\n  value = data.files_file.motd.sha256\n}\n';

/**
 * The steps of test/terraform-e2e.test.ts, shared by every way Terraform can
 * meet the provider (managed with AutoMTLS, reattach, TF_DISABLE_PLUGIN_TLS):
 * create, an empty second plan, an in-place update, a replace, `import`, a data
 * source and destroy, in that order (each step starts from the state the one
 * before left). Each runs real commands with `env` added (e.g.
 * TF_REATTACH_PROVIDERS) and checks the files on disk and `show -json`;
 * `onRun` sees every command's result (e.g. to check how the provider was reached).
 */
export class FilesLifecycle {
  constructor(
    readonly p: TerraformProject,
    readonly env: Record<string, string | undefined> = {},
    private readonly onRun: (r: TfResult) => void = () => {},
  ) {}

  /** A file under the provider's directory. */
  file(rel: string): string {
    return path.join(this.p.files, rel);
  }

  async run(args: string[], opts: TfRunOptions = {}): Promise<TfResult> {
    const r = await this.p.run(args, { ...opts, env: { ...this.env, ...opts.env } });
    this.onRun(r);
    return r;
  }

  async state(): Promise<ShowJson> {
    const r = await this.run(["show", "-json", "-no-color"]);
    return JSON.parse(r.stdout) as ShowJson;
  }

  /** The managed resources in state, by address. */
  async resources(): Promise<Record<string, Record<string, unknown>>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of (await this.state()).values?.root_module.resources ?? []) if (r.mode === "managed") out[r.address] = r.values;
    return out;
  }

  /** The file `rel` holds `content`, and the state has `address` managing it (id = path, sha256 of the content). */
  async expectManaged(address: string, rel: string, content: string): Promise<void> {
    expect(readFileSync(this.file(rel), "utf8")).toBe(content);
    expect((await this.resources())[address]).toEqual({ path: rel, content, sha256: sha256(content), id: rel });
  }

  /** main.tf of the first step (write it before `init`). */
  writeFirstConfig(): Promise<void> {
    return this.p.writeConfig(HELLO);
  }

  /** Plan (one to create, sha256 unknown) and apply: the file is written, the state has it. */
  async create(): Promise<{ plan: TfResult; apply: TfResult }> {
    await this.writeFirstConfig();
    const plan = await this.run(["plan", ...TF_FLAGS, "-detailed-exitcode"], { okCodes: [2] });
    expect(plan.stdout).toMatch(/files_file\.hello will be created/);
    expect(plan.stdout).toMatch(/sha256\s+= \(known after apply\)/);
    expect(plan.stdout).toMatch(/Plan: 1 to add, 0 to change, 0 to destroy/);
    const apply = await this.run(["apply", "-auto-approve", ...TF_FLAGS]);
    expect(apply.stdout).toMatch(/Apply complete! Resources: 1 added, 0 changed, 0 destroyed/);
    await this.expectManaged("files_file.hello", "greetings/hello.txt", "hello\n");
    return { plan, apply };
  }

  /** A plan with nothing to do (exit 0 with -detailed-exitcode). */
  async emptyPlan(): Promise<TfResult> {
    const r = await this.run(["plan", ...TF_FLAGS, "-detailed-exitcode"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No changes/);
    return r;
  }

  /** A content change: updated in place, file and sha256 follow. */
  async update(): Promise<void> {
    await this.p.writeConfig(HELLO_AGAIN);
    // apply prints the plan it makes first.
    const apply = await this.run(["apply", "-auto-approve", ...TF_FLAGS]);
    expect(apply.stdout).toMatch(/files_file\.hello will be updated in-place/);
    expect(apply.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
    expect(apply.stdout).toMatch(/Resources: 0 added, 1 changed, 0 destroyed/);
    await this.expectManaged("files_file.hello", "greetings/hello.txt", "hello again\n");
  }

  /** A path change (requiresReplace): the old file goes, the new one comes. */
  async replace(): Promise<void> {
    await this.p.writeConfig(MOVED);
    const apply = await this.run(["apply", "-auto-approve", ...TF_FLAGS]);
    expect(apply.stdout).toMatch(/files_file\.hello must be replaced/);
    expect(apply.stdout).toMatch(/path\s+= "greetings\/hello\.txt" -> "moved\/hello\.txt" # forces replacement/);
    expect(apply.stdout).toMatch(/Resources: 1 added, 0 changed, 1 destroyed/);
    expect(existsSync(this.file("greetings/hello.txt"))).toBe(false);
    await this.expectManaged("files_file.hello", "moved/hello.txt", "hello again\n");
  }

  /** `terraform import` of a file made out of band; the plan after it is empty. */
  async importFile(): Promise<void> {
    await mkdir(this.file("outside"), { recursive: true });
    await writeFile(this.file("outside/made-by-hand.txt"), "by hand\n");
    await this.p.writeConfig(MOVED + ADOPTED);
    const r = await this.run(["import", ...TF_FLAGS, "files_file.adopted", "outside/made-by-hand.txt"]);
    expect(r.stdout).toMatch(/Import successful/);
    await this.expectManaged("files_file.adopted", "outside/made-by-hand.txt", "by hand\n");
    const plan = await this.run(["plan", ...TF_FLAGS, "-detailed-exitcode"]);
    expect(plan.code).toBe(0);
  }

  /** A data source reads a file into outputs; nothing managed changes. */
  async readDataSource(): Promise<void> {
    await writeFile(this.file("motd.txt"), "message of the day\n");
    await this.p.writeConfig(MOVED + ADOPTED + MOTD);
    const apply = await this.run(["apply", "-auto-approve", ...TF_FLAGS]);
    expect(apply.stdout).toMatch(/Resources: 0 added, 0 changed, 0 destroyed/);
    const state = await this.state();
    expect(state.values?.outputs?.motd?.value).toBe("message of the day\n");
    expect(state.values?.outputs?.motd_sha256?.value).toBe(sha256("message of the day\n"));
    const data = state.values?.root_module.resources?.find((r) => r.address === "data.files_file.motd");
    expect(data?.mode).toBe("data");
    expect(data?.values).toEqual({ path: "motd.txt", content: "message of the day\n", sha256: sha256("message of the day\n") });
  }

  /** Destroy: every managed file is removed and the state has no managed resource; files only read stay. */
  async destroy(): Promise<void> {
    const before = Object.values(await this.resources());
    expect(before.length).toBeGreaterThan(0);
    const motd = existsSync(this.file("motd.txt"));
    const r = await this.run(["destroy", "-auto-approve", ...TF_FLAGS]);
    expect(r.stdout).toMatch(new RegExp(`Resources: ${before.length} destroyed`));
    for (const values of before) expect(existsSync(this.file(String(values.path)))).toBe(false);
    if (motd) expect(readFileSync(this.file("motd.txt"), "utf8")).toBe("message of the day\n"); // read, never managed
    expect(await this.resources()).toEqual({});
  }
}

/**
 * Declares the e2e's steps after create as tests, in order: an empty second
 * plan, an in-place update, a replace, `import`, a data source, destroy.
 */
export function lifecycleTests(life: () => FilesLifecycle): void {
  it("a second plan is empty", () => life().emptyPlan(), STEP_TIMEOUT_MS);
  it("a content change is an in-place update", () => life().update(), STEP_TIMEOUT_MS);
  it("a path change replaces the file", () => life().replace(), STEP_TIMEOUT_MS);
  it("import brings a file created out of band under management", () => life().importFile(), STEP_TIMEOUT_MS);
  it("a data source reads a file into an output", () => life().readDataSource(), STEP_TIMEOUT_MS);
  it("destroy removes the managed files and empties the state", () => life().destroy(), STEP_TIMEOUT_MS);
}
