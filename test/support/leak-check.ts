// vitest globalSetup: the test run fails when something it started outlives it.
//
// Setup puts a marker in the environment (RPCPLUGIN_TEST_RUN=<random>), which the test workers
// inherit, and so every plugin, host, terraform and provider process they start with an
// environment made over process.env (as the tests' helpers, startPlugin and Terraform do; a process
// given an environment built from nothing is not seen). Teardown, after every worker has ended,
// looks for live processes carrying the marker and for unix socket files left in the run's own
// temporary directory (setup points TMPDIR at a fresh one, so every temp dir, socket and Go or
// Terraform temp file of the run is in it, and nothing else is); it kills what it finds, names it
// (command line, pid; the socket's path, which says whose temp dir it was in) and throws, which
// makes `vitest run` exit non-zero; scripts/test-summary.mjs counts each as a failure (from
// LEFTOVERS_FILE). Files a test wrote into the checkout (e.g. a plugin run with the repository as
// its working directory) count too: what `git status` lists at the end and did not at the start. Projects that extend the root config run setup again: the
// marker is made once.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const MARKER = "RPCPLUGIN_TEST_RUN";

/** Where teardown lists what it found, one line each, for scripts/test-summary.mjs to count as failures. */
export const LEFTOVERS_FILE = path.join(".cache", "test-leftovers.txt");

interface Leftover {
  pid: number;
  command: string;
}

/** Live processes (not zombies) whose environment carries `MARKER=value`, other than this one. */
export function processesMarked(value: string): Leftover[] {
  const needle = `${MARKER}=${value}`;
  const found: Leftover[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (!readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(needle)) continue;
      found.push({ pid: Number(name), command: readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Socket files under `dir` (at most `depth` levels deep). */
export function socketsUnder(dir: string, depth = 8): string[] {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const st = lstatSync(file);
      if (st.isSocket()) found.push(file);
      else if (st.isDirectory() && depth > 1) found.push(...socketsUnder(file, depth - 1));
    } catch {
      // removed meanwhile
    }
  }
  return found;
}

/** What `git status` lists in the checkout (untracked files one by one), or undefined outside a git checkout. */
export function checkoutChanges(cwd = process.cwd()): Set<string> | undefined {
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd, encoding: "utf8" });
  if (status.status !== 0) return undefined;
  return new Set(status.stdout.split("\n").filter(Boolean));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** " (made while <test files> ran)", from the JSON report's per-file times, to say whose it is. */
function madeDuring(file: string): string {
  try {
    const made = lstatSync(file).ctimeMs;
    const report = JSON.parse(readFileSync(path.join(".cache", "test-results.json"), "utf8")) as {
      testResults?: { name: string; startTime: number; endTime: number }[];
    };
    const files = (report.testResults ?? [])
      .filter((r) => r.startTime - 1000 <= made && made <= r.endTime + 1000)
      .map((r) => path.relative(process.cwd(), r.name));
    return files.length > 0 ? ` (made while ${files.join(", ")} ran)` : "";
  } catch {
    return "";
  }
}

export default function setup(): () => Promise<void> {
  if (process.env[MARKER]) return async () => {};
  const value = randomBytes(8).toString("hex");
  process.env[MARKER] = value;
  rmSync(LEFTOVERS_FILE, { force: true });
  // The caches of built peers live across runs, in the machine's temporary directory.
  process.env.RPCPLUGIN_GO_CACHE ||= path.join(os.tmpdir(), "rpcplugin-go-bin");
  process.env.RPCPLUGIN_PYTHON_CACHE ||= path.join(os.tmpdir(), "rpcplugin-python");
  // Short: unix socket paths are limited to ~104 bytes, and tests nest temp dirs in it.
  const tmp = mkdtempSync(path.join(os.tmpdir(), "rt-"));
  process.env.TMPDIR = tmp;
  const changedBefore = checkoutChanges();
  return async () => {
    if (process.platform !== "linux") {
      rmSync(tmp, { recursive: true, force: true });
      return;
    }
    // The workers themselves carry the marker: give them a moment to be gone, and esbuild's service
    // (the cli's bundler, a child of a worker) a moment to see its parent's pipe close.
    let left = processesMarked(value);
    for (let i = 0; i < 50 && left.some((p) => /vitest|esbuild --service/.test(p.command)); i++) {
      await sleep(100);
      left = processesMarked(value);
    }
    const leaked = left.filter((p) => !/vitest/.test(p.command));
    for (const p of leaked) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const sockets = socketsUnder(tmp);
    const changedAfter = changedBefore ? (checkoutChanges() ?? new Set<string>()) : new Set<string>();
    const written = [...changedAfter].filter((entry) => !changedBefore?.has(entry)).map((entry) => entry.slice(3));
    const problems = [
      ...leaked.map((p) => `process ${p.pid} still running: ${p.command} (killed)`),
      ...sockets.map((file) => `socket file left behind: ${file}${madeDuring(file)}`),
      ...written.map((file) => `file written into the checkout: ${file}${madeDuring(file)}`),
    ];
    rmSync(tmp, { recursive: true, force: true });
    if (problems.length > 0) {
      mkdirSync(path.dirname(LEFTOVERS_FILE), { recursive: true });
      writeFileSync(LEFTOVERS_FILE, `${problems.join("\n")}\n`);
      // vitest reports an error thrown here ("error during close") but keeps its exit code.
      process.exitCode = 1;
      throw new Error(`the test run left ${problems.length} thing(s) behind:\n  ${problems.join("\n  ")}`);
    }
  };
}
