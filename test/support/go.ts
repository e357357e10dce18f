// The Go side of the interop tests: find Go, build the peers in fixtures/go
// (cached by content hash), run them with a hard timeout in their own process
// group, and drive fixtures/go/cmd/host. See fixtures/go/README.md.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";
import { killProcessGroup, processGroupMembers, waitForProcessGroupGone } from "./process.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The main Go module (github.com/rpcplugin/rpcplugin/fixtures/go). */
export const goModuleDir = path.join(repoRoot, "fixtures", "go");

const INSTALL_HINT =
  "Go is required for rpcplugin's interop tests (they run against the real " +
  "hashicorp/go-plugin v1.8.0) but `go` was not found on PATH. Install Go 1.26 or " +
  "newer from https://go.dev/doc/install (or `apt-get install golang`), or opt out " +
  "of the Go interop suites explicitly with RPCPLUGIN_SKIP_GO=1.";

let goVersionCache: string | null | undefined;

/** `go env GOVERSION GOOS GOARCH`, or null when there is no usable `go`. */
function goVersion(): string | null {
  if (goVersionCache === undefined) {
    const r = spawnSync("go", ["env", "GOVERSION", "GOOS", "GOARCH"], { encoding: "utf8" });
    goVersionCache = r.status === 0 ? r.stdout.trim().split(/\s+/).join(" ") : null;
  }
  return goVersionCache;
}

/** Whether `go` is on PATH and runs. */
export function goAvailable(): boolean {
  return goVersion() !== null;
}

/** The explicit opt-out: RPCPLUGIN_SKIP_GO=1 (any value other than "", "0", "false"). */
export function goSkipped(): boolean {
  const v = process.env.RPCPLUGIN_SKIP_GO ?? "";
  return v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Throws, saying how to install Go or opt out, when `go` is not available. */
export function requireGo(): void {
  if (!goAvailable()) throw new Error(INSTALL_HINT);
}

/**
 * `describe` for suites that need Go: skipped only with RPCPLUGIN_SKIP_GO=1;
 * without Go and without the opt-out the suite fails with the install hint.
 */
export function describeGo(name: string, fn: () => void): void {
  const skip = goSkipped();
  if (skip) process.stderr.write(`[go] skipping "${name}": RPCPLUGIN_SKIP_GO=${process.env.RPCPLUGIN_SKIP_GO} (unset it to run the interop suite)\n`);
  describe.skipIf(skip)(name, () => {
    if (!skip) requireGo();
    fn();
  });
}

/** Where built binaries are kept: $RPCPLUGIN_GO_CACHE or <tmpdir>/rpcplugin-go-bin. */
export function goCacheDir(): string {
  return process.env.RPCPLUGIN_GO_CACHE || path.join(os.tmpdir(), "rpcplugin-go-bin");
}

/** go.mod, go.sum and *.go files of a module, sorted, without nested modules. */
function moduleFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  const entries = readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name.startsWith(".") || e.name === "testdata") continue;
      if (existsSync(path.join(dir, p, "go.mod"))) continue; // a nested module
      out.push(...moduleFiles(dir, p));
    } else if (e.name === "go.mod" || e.name === "go.sum" || e.name.endsWith(".go")) {
      out.push(p);
    }
  }
  return out;
}

/** Stripped binaries (-s -w): a third smaller and quicker to link; stack traces keep function names. */
const BUILD_FLAGS = ["-buildvcs=false", "-ldflags=-s -w"];

function buildKey(moduleDir: string, name: string, pkg: string): string {
  const h = createHash("sha256");
  const module = path.relative(repoRoot, moduleDir);
  h.update(`${goVersion()}\0${BUILD_FLAGS.join(" ")}\0${module}\0${pkg}\0${name}\0`);
  for (const f of moduleFiles(moduleDir)) {
    h.update(`${f}\0`);
    h.update(readFileSync(path.join(moduleDir, f)));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 20);
}

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

function execGo(args: string[], cwd: string): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn("go", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const downloaded = new Map<string, Promise<void>>();

/** `go mod download` once per module per test process, before the first real build. */
function modDownload(moduleDir: string): Promise<void> {
  let p = downloaded.get(moduleDir);
  if (!p) {
    p = execGo(["mod", "download"], moduleDir).then((r) => {
      if (r.code !== 0) {
        throw new Error(`go mod download in ${moduleDir} failed (exit ${r.code}):\n${r.stderr}`);
      }
    });
    downloaded.set(moduleDir, p);
  }
  return p;
}

const builds = new Map<string, Promise<string>>();

export interface BuildOptions {
  /** Module directory relative to the repo root; default fixtures/go. */
  module?: string;
}

/**
 * `go build -o <cache>/<key>/<name> <pkg>` in the module directory, where key
 * hashes the Go version, the module's go.mod/go.sum/*.go and the package, so
 * an unchanged fixture is never rebuilt. Builds go to a temporary name and are
 * renamed into place, so concurrent test files cannot see half-written
 * binaries. Resolves to the binary's path; rejects with Go's stderr.
 */
export function buildGo(name: string, pkg: string, opts: BuildOptions = {}): Promise<string> {
  requireGo();
  const moduleDir = opts.module ? path.join(repoRoot, opts.module) : goModuleDir;
  const dir = path.join(goCacheDir(), buildKey(moduleDir, name, pkg));
  const bin = path.join(dir, name);
  let p = builds.get(bin);
  if (!p) {
    p = (async () => {
      if (existsSync(bin) && statSync(bin).isFile()) return bin;
      await modDownload(moduleDir);
      await mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      const r = await execGo(["build", ...BUILD_FLAGS, "-o", tmp, pkg], moduleDir);
      if (r.code !== 0) {
        await rm(tmp, { force: true });
        throw new Error(`go build ${pkg} (in ${moduleDir}) failed (exit ${r.code}):\n${r.stderr}`);
      }
      await rename(tmp, bin);
      return bin;
    })();
    builds.set(bin, p);
    p.catch(() => builds.delete(bin));
  }
  return p;
}

export interface RunOptions {
  /** Merged over process.env; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Hard limit: the whole process group is SIGKILLed. Default 30 s. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /**
   * Processes still alive in the child's process group after it exited (e.g. a
   * plugin its host failed to stop). runGo SIGKILLs them before returning.
   */
  leftoverPids: number[];
}

const liveGroups = new Set<number>();
process.on("exit", () => {
  for (const pgid of liveGroups) killProcessGroup(pgid);
});

/**
 * Runs `bin` in a new process group with a hard timeout. Whatever happens,
 * nothing it started outlives the call: after it exits, any process left in
 * its group is reported in `leftoverPids` and killed.
 */
export function runGo(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) {
    if (v !== undefined) env[k] = v;
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env,
      detached: true, // own process group (pgid = pid), so the group can be killed
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pgid = child.pid;
    if (pgid === undefined) {
      child.on("error", reject);
      return;
    }
    liveGroups.add(pgid);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killProcessGroup(pgid);
    }, timeoutMs);
    const closed = new Promise<void>((r) => child.on("close", () => r()));
    child.on("error", (err) => {
      clearTimeout(timer);
      liveGroups.delete(pgid);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      void (async () => {
        const leftoverPids = processGroupMembers(pgid);
        if (leftoverPids.length > 0) {
          killProcessGroup(pgid);
          await waitForProcessGroupGone(pgid, 3000);
        }
        liveGroups.delete(pgid);
        // Pipes close once nothing holds them; a grandchild outside the group
        // could keep them open, so do not wait forever.
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
        resolve({ code, signal, stdout, stderr, timedOut, leftoverPids });
      })().catch(reject);
    });
  });
}

/** Flags of fixtures/go/cmd/host (durations in milliseconds). */
export interface HostFlags {
  plugin: string;
  pluginArgs?: string[];
  automtls?: boolean;
  /** UnixSocketConfig.TempDir; without runnerFunc also PLUGIN_UNIX_SOCKET_DIR in the plugin's env. */
  socketDir?: string;
  /** Start through a RunnerFunc, so go-plugin itself creates <socketDir>/plugin-dir*. */
  runnerFunc?: boolean;
  /** UnixSocketConfig.Group: go-plugin passes it as PLUGIN_UNIX_SOCKET_GROUP. */
  socketGroup?: string;
  mux?: boolean;
  /** VersionedPlugins keys; default: protocol version 1. */
  versions?: number[];
  startTimeoutMs?: number;
  /** put:<k>=<v>, get:<k>, putsize:<k>=<n>, ping — passed one by one, so values may contain commas. */
  ops?: string[];
  opTimeoutMs?: number;
  expectStdout?: string;
  expectStderr?: string;
  /** Wait for a host log record whose message contains this. */
  expectLog?: string;
  stdioWaitMs?: number;
  /** Before Kill, wait up to this long for the plugin to exit by itself. */
  waitExitMs?: number;
  killTimeoutMs?: number;
  /** Added to the host's environment, which go-plugin passes on to the plugin. */
  env?: Record<string, string>;
  /** Magic cookie KEY=VALUE instead of BASIC_PLUGIN=hello. */
  cookie?: string;
  logLevel?: "trace" | "debug" | "info" | "warn" | "error";
}

export interface HostLogRecord {
  level: string;
  message: string;
  module: string;
  timestamp: string;
  fields: Record<string, unknown>;
}

export interface HostOpResult {
  op: "put" | "get" | "putsize" | "ping";
  key?: string;
  ok: boolean;
  error: string | null;
  value?: string;
  valueBase64?: string;
  length?: number;
  sha256?: string;
}

export interface HostCertInfo {
  subject: string;
  issuer: string;
  dnsNames: string[];
  ipAddresses: string[];
  isCA: boolean;
  keyUsage: number;
  extKeyUsage: string[];
  publicKeyAlgorithm: string;
  curve?: string;
  signatureAlgorithm: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
}

/** The JSON report of cmd/host; see fixtures/go/README.md. */
export interface HostReport {
  startError: string | null;
  clientError: string | null;
  dispenseError: string | null;
  negotiatedVersion: number;
  protocol: string;
  network: string;
  address: string;
  pid: number;
  handshakeLine?: string;
  autoMTLS: boolean;
  mux: boolean;
  socketDir: string;
  serverCertInHandshake: boolean;
  tls: {
    used: boolean;
    version?: string;
    alpn?: string;
    cipherSuite?: string;
    peerCertificates?: HostCertInfo[];
  } | null;
  ops: HostOpResult[];
  /** base64 of the bytes received over SyncStdout / SyncStderr / the raw stderr pipe. */
  stdout: string | null;
  stderr: string | null;
  rawStderr: string | null;
  logs: HostLogRecord[];
  expectations: Record<string, boolean>;
  exitedBeforeKill?: boolean;
  killError: string | null;
  forcedKill: boolean;
  pluginGone: boolean;
  socketGone: boolean | null;
  socketDirEntries: string[] | null;
  /** The unix socket's permission bits in octal ("600"), read once the plugin started. */
  socketMode?: string;
  socketGid?: number;
}

export interface HostRun extends HostReport {
  /** The host process itself: its stderr and any process it left in its group. */
  harness: { leftoverPids: number[]; stderr: string };
}

function ms(n: number): string {
  return `${Math.round(n)}ms`;
}

/** The argv for cmd/host from typed flags. */
export function hostArgs(f: HostFlags): string[] {
  const a = ["-plugin", f.plugin];
  if (f.automtls) a.push("-automtls");
  if (f.socketDir !== undefined) a.push("-socket-dir", f.socketDir);
  if (f.runnerFunc) a.push("-runner-func");
  if (f.socketGroup !== undefined) a.push("-socket-group", f.socketGroup);
  if (f.mux) a.push("-mux");
  if (f.versions) a.push("-versions", f.versions.join(","));
  if (f.startTimeoutMs !== undefined) a.push("-start-timeout", ms(f.startTimeoutMs));
  for (const op of f.ops ?? []) a.push("-op", op);
  if (f.opTimeoutMs !== undefined) a.push("-op-timeout", ms(f.opTimeoutMs));
  if (f.expectStdout !== undefined) a.push("-expect-stdout", f.expectStdout);
  if (f.expectStderr !== undefined) a.push("-expect-stderr", f.expectStderr);
  if (f.expectLog !== undefined) a.push("-expect-log", f.expectLog);
  if (f.stdioWaitMs !== undefined) a.push("-stdio-wait", ms(f.stdioWaitMs));
  if (f.waitExitMs !== undefined) a.push("-wait-exit", ms(f.waitExitMs));
  if (f.killTimeoutMs !== undefined) a.push("-kill-timeout", ms(f.killTimeoutMs));
  for (const [k, v] of Object.entries(f.env ?? {})) a.push("-env", `${k}=${v}`);
  if (f.cookie !== undefined) a.push("-cookie", f.cookie);
  if (f.logLevel !== undefined) a.push("-log-level", f.logLevel);
  if (f.pluginArgs && f.pluginArgs.length > 0) a.push("--", ...f.pluginArgs);
  return a;
}

/**
 * Runs cmd/host (built on first use) and returns its parsed report. Throws if
 * the host did not produce one. `opts.env` is the host's own environment (the
 * plugin inherits it); the default start timeout is 20 s, not go-plugin's 1 min.
 */
export async function runHost(flags: HostFlags, opts: RunOptions = {}): Promise<HostRun> {
  const bin = await buildGo("host", "./cmd/host");
  const args = hostArgs({ startTimeoutMs: 20_000, ...flags });
  const r = await runGo(bin, args, { timeoutMs: 60_000, ...opts });
  if (r.code !== 0 || r.timedOut) {
    throw new Error(`cmd/host ${args.join(" ")} exited with ${r.timedOut ? "a timeout" : (r.signal ?? r.code)}:\n${r.stderr}\n${r.stdout}`);
  }
  let report: HostReport;
  try {
    report = JSON.parse(r.stdout) as HostReport;
  } catch (err) {
    throw new Error(`cmd/host printed no JSON report: ${String(err)}\n${r.stdout}\n${r.stderr}`);
  }
  return { ...report, harness: { leftoverPids: r.leftoverPids, stderr: r.stderr } };
}

/** Decodes a base64 report field (null → empty). */
export function reportBytes(b64: string | null | undefined): Buffer {
  return Buffer.from(b64 ?? "", "base64");
}

/** POSIX shell quoting, for env vars the go-plugin examples pass to `sh -c`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
