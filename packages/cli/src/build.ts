/**
 * `rpcplugin build`: a plugin as one standalone executable, a Node
 * single-executable application: the running `node` with the bundled plugin
 * (sea-script.ts) and a code cache made by a warm-up run (sea-loader.ts)
 * injected (sea-inject.ts). It runs with no `node` on PATH and no
 * node_modules, as go-plugin hosts and terraform/tofu launch Go plugins.
 * With `snapshot`, a V8 startup snapshot of the imported plugin replaces the
 * code cache (sea-loader.ts, snapshotMainSource).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NOT_A_PLUGIN_MESSAGE } from "@rpcplugin/runtime";
import { describeBuildError } from "./bundle.js";
import { assertSeaSupport, BuildError, injectSeaBlob, makeSeaBlob } from "./sea-inject.js";
import { apartAsset, CACHE_ASSET, loaderSource, SCRIPT_ASSET, SNAPSHOT_NO_SERVE_MESSAGE, snapshotMainSource, WARMUP_SOURCE } from "./sea-loader.js";
import { type ApartScript, bundleFunctionScript, bundleSnapshotScripts } from "./sea-script.js";

export { BuildError, type BuildFailure } from "./sea-inject.js";

export const BUILD_USAGE = `  rpcplugin build <entry> [--out FILE] [--snapshot] [--no-code-cache] [--no-verify]
      Build a plugin — its compiled entry module (.js/.mjs) and every package it imports — into one
      executable for this platform (default: ./<entry name without extension>) that runs with no
      node on PATH and no node_modules: Node's single-executable application with a code cache.
      The entry runs once while building, without a magic cookie, to make the code cache and to
      check that it reaches serve(); --no-verify accepts an entry that does not.
      --snapshot: start from a V8 startup snapshot taken after the entry's imports ran (at build
      time) up to serve(); starts faster, but what the entry's top-level code read while building
      (environment, arguments, files) is what the executable has.
`;

export interface BuildOptions {
  /** The plugin's entry module, as Node would run it. */
  entry: string;
  /** Where to write the executable. */
  out: string;
  /** Embed a code cache made by a warm-up run (default true): a faster start for ~0.3 MB. */
  codeCache?: boolean;
  /**
   * Start from a V8 startup snapshot instead (default false): the entry runs while building, its
   * imports are evaluated into the snapshot, and serve() is called when the executable starts.
   * Top-level code of the entry and its modules runs at build time, so what it reads there
   * (environment, arguments, files) is the build machine's.
   */
  snapshot?: boolean;
  /** Fail unless the entry reaches serve() (default true). */
  verify?: boolean;
  /** Bound on each run of the plugin while building (default 30 s). */
  timeoutMs?: number;
}

export interface BuildResult {
  out: string;
  /** Size of the executable in bytes. */
  bytes: number;
  /** Whether the executable's V8 accepted the embedded code cache on its check run. */
  codeCache: "accepted" | "rejected" | "absent";
  /** Whether the executable starts from a startup snapshot. */
  snapshot: boolean;
}

/** Builds the executable; rejects with a {@link BuildError} naming the step and what to do. */
export async function buildExecutable(given: BuildOptions): Promise<BuildResult> {
  const options: Required<BuildOptions> = {
    ...given,
    codeCache: given.codeCache ?? true,
    snapshot: given.snapshot ?? false,
    verify: given.verify ?? true,
    timeoutMs: given.timeoutMs ?? 30_000,
  };
  const { entry, out, snapshot } = options;
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new BuildError("entry", `the entry ${JSON.stringify(entry)} is not a file (give the compiled .js/.mjs module your plugin runs)`);
  }
  assertWritable(out);
  assertSeaSupport();
  const work = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-build-"));
  const partial = path.join(path.dirname(out), `.${path.basename(out)}.rpcplugin-build`);
  try {
    let scripts: { script: string; apart: ApartScript[] };
    try {
      scripts = snapshot ? await bundleSnapshotScripts(entry) : { script: await bundleFunctionScript(entry), apart: [] };
    } catch (error) {
      throw new BuildError("bundle", `could not bundle ${entry}:\n${describeBuildError(error)}`);
    }
    const scriptFile = path.join(work, "plugin.js");
    writeFileSync(scriptFile, scripts.script);
    if (snapshot) await buildFromSnapshot(options, work, scriptFile, scripts.apart, partial);
    else await buildWithCodeCache(options, work, scriptFile, partial);
    const check = options.verify ? await checkExecutable(partial, options.timeoutMs) : "absent";
    renameSync(partial, out);
    return { out, bytes: statSync(out).size, codeCache: !snapshot && options.codeCache ? check : "absent", snapshot };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

/** The loader with the script and its code cache as assets, the cache made by a warm-up run under this node. */
async function buildWithCodeCache({ entry, out, codeCache, verify, timeoutMs }: Required<BuildOptions>, work: string, scriptFile: string, partial: string) {
  const cacheFile = path.join(work, "plugin.cache");
  const filename = path.basename(entry);
  const warmup = await warmUp(work, scriptFile, cacheFile, filename, out, timeoutMs);
  if (verify && !warmup.reachedServe) {
    throw new BuildError(
      "no-serve",
      `${entry} ran to its end without reaching serve() (${warmup.ending}); a plugin must call serve() (or serveProvider()) when it is run — build with --no-verify if it does so only under conditions this run did not meet.${tail(warmup.output)}`,
    );
  }
  const assets: Record<string, string> = { [SCRIPT_ASSET]: scriptFile };
  if (codeCache) assets[CACHE_ASSET] = cacheFile;
  const blob = await makeSeaBlob({ workDir: work, mainSource: loaderSource(filename), assets });
  await injectSeaBlob(blob, partial);
}

/** The snapshot main, run by Node's snapshot builder: the executable starts from the plugin's heap after its imports. */
async function buildFromSnapshot({ entry, out, timeoutMs }: Required<BuildOptions>, work: string, scriptFile: string, apart: ApartScript[], partial: string) {
  const apartAssets = apart.map(({ name, source }, i) => {
    const file = path.join(work, `apart-${i}.js`);
    writeFileSync(file, source);
    return { name, file, asset: apartAsset(name) };
  });
  let blob: string;
  try {
    const mainSource = snapshotMainSource(path.basename(entry), scriptFile, out, apartAssets);
    const assets = Object.fromEntries(apartAssets.map(({ file, asset }) => [asset, file]));
    blob = await makeSeaBlob({ workDir: work, mainSource, assets, useSnapshot: true, timeoutMs });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    const builtin = /node:\S+ cannot be in a startup snapshot, .*?: use it only once serving/.exec(error.message)?.[0];
    const why =
      builtin ??
      (/still running after/.test(error.message)
        ? "Node takes the snapshot once the event loop is empty, and something the entry starts while it is imported (a timer, a server, a connection) keeps it busy"
        : "something its modules do while they are imported cannot be in a snapshot (an open handle, or a built-in that is not snapshot-safe)");
    throw new BuildError(
      "snapshot",
      `the startup snapshot of ${entry} could not be built: ${why}. Move that work into what runs after serve() is called, or build without --snapshot.${builtin ? "" : `\n${withoutBuilderNoise(error.message)}`}`,
    );
  }
  await injectSeaBlob(blob, partial);
}

function assertWritable(out: string): void {
  const dir = path.dirname(out);
  if (existsSync(out) && statSync(out).isDirectory()) throw new BuildError("output", `--out ${out} is a directory; give a file name`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BuildError("output", `cannot write ${out}: the directory ${dir} does not exist`);
  try {
    accessSync(dir, constants.W_OK);
    if (existsSync(out)) accessSync(out, constants.W_OK);
  } catch {
    throw new BuildError("output", `cannot write ${out}: permission denied (choose another --out)`);
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
}

/** The environment of the build-time runs: no go-plugin configuration, so serve() stops at its cookie check. */
export function runEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("PLUGIN_") && key !== "NODE_OPTIONS" && !key.endsWith("_MAGIC_COOKIE")) env[key] = value;
  }
  return env;
}

/** The snapshot builder's output without Node's notes on built-ins it has not verified and without native stack frames. */
export function withoutBuilderNoise(output: string): string {
  return output
    .replace(
      /^\(node:\d+\) Warning: It's not yet fully verified whether built-in module .*\n(?:(?:It may still work|To request support|\(Use `node --trace-warnings).*\n)*/gm,
      "",
    )
    .replace(/^\(node:\d+\) ExperimentalWarning: Single executable application .*\n?/gm, "")
    .replace(/^ *\d+: 0x[0-9a-f]+ .*\n?/gm, "")
    .trim()
    .replace(/:$/, "");
}

/** Runs a command to its end (SIGTERM when it prints a handshake line after all, SIGKILL after the timeout). */
export function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (data: Buffer) => {
      output += data;
      // A cookie this function did not know to remove was set: the plugin is serving.
      if (/^\d+\|\d+\|/m.test(output)) child.kill("SIGTERM");
    });
    child.stderr.on("data", (data: Buffer) => (output += data));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new BuildError("inject", `${command} could not be started: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

const reachedServe = (run: Run) => run.output.includes(NOT_A_PLUGIN_MESSAGE.split("\n", 1)[0] as string) || /^\d+\|\d+\|/m.test(run.output);

const ending = (run: Run, timeoutMs: number) =>
  run.timedOut ? `still running after ${timeoutMs / 1000} s` : run.signal ? `ended by ${run.signal}` : `exit code ${run.code}`;

/** Runs the script under this node without a cookie; writes the code cache; says whether serve() was reached. */
async function warmUp(work: string, scriptFile: string, cacheFile: string, filename: string, executable: string, timeoutMs: number) {
  const warmup = path.join(work, "warmup.cjs");
  writeFileSync(warmup, WARMUP_SOURCE);
  const run = await runToEnd(process.execPath, [warmup, scriptFile, cacheFile, filename, executable], runEnvironment(), timeoutMs);
  if (!existsSync(cacheFile)) writeFileSync(cacheFile, "");
  return { reachedServe: reachedServe(run), ending: ending(run, timeoutMs), output: run.output };
}

/** Runs the executable as a user would by mistake (no cookie, no node on PATH): it must answer as a plugin does. */
async function checkExecutable(file: string, timeoutMs: number): Promise<BuildResult["codeCache"]> {
  const env = { ...runEnvironment(), PATH: pathWithoutNode(process.env.PATH ?? ""), RPCPLUGIN_BUILD_DEBUG: "1" };
  const run = await runToEnd(file, [], env, timeoutMs);
  if (run.output.includes(SNAPSHOT_NO_SERVE_MESSAGE)) {
    throw new BuildError(
      "no-serve",
      `the entry did not call serve() (or serveProvider()) while the startup snapshot was built: with --snapshot it runs at build time, so a serve() behind a condition on the environment, the arguments or files is decided then — build without --snapshot.`,
    );
  }
  if (!reachedServe(run)) {
    throw new BuildError("inject", `the executable was made but does not start as a plugin (${ending(run, timeoutMs)}).${tail(run.output)}`);
  }
  return /code cache accepted/.test(run.output) ? "accepted" : /code cache rejected/.test(run.output) ? "rejected" : "absent";
}

/** PATH without the directories that hold a `node`. */
export function pathWithoutNode(value: string): string {
  return value
    .split(path.delimiter)
    .filter((dir) => dir !== "" && !existsSync(path.join(dir, process.platform === "win32" ? "node.exe" : "node")))
    .join(path.delimiter);
}

function tail(output: string): string {
  const lines = output.trim().split("\n").slice(-15);
  return lines.length === 0 || lines[0] === "" ? "" : `\nIts output:\n${lines.map((line) => `  ${line}`).join("\n")}`;
}

/** The `build` command: returns the exit code (2: bad arguments, 1: the build failed). */
export async function build(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const positional: string[] = [];
  let outFile: string | undefined;
  let codeCache = true;
  let snapshot = false;
  let verify = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--out" || arg === "-o") {
      outFile = argv[++i];
      if (outFile === undefined) return usageError(out, `${arg} needs a file name`);
    } else if (arg === "--no-code-cache") codeCache = false;
    else if (arg === "--snapshot") snapshot = true;
    else if (arg === "--no-verify") verify = false;
    else if (arg.startsWith("-")) return usageError(out, `unknown option ${JSON.stringify(arg)}`);
    else positional.push(arg);
  }
  if (positional.length !== 1)
    return usageError(out, positional.length === 0 ? "give the plugin's entry module" : `one entry module, not ${positional.length}`);
  const entry = path.resolve(positional[0] as string);
  const target = path.resolve(outFile ?? path.basename(entry).replace(/\.[cm]?js$/, "") + (process.platform === "win32" ? ".exe" : ""));
  if (target === entry) return usageError(out, "--out is the entry itself; choose another file");
  try {
    const result = await buildExecutable({ entry, out: target, codeCache, snapshot, verify });
    out(`wrote ${result.out} (${(result.bytes / 2 ** 20).toFixed(1)} MiB, ${result.snapshot ? "startup snapshot" : `code cache ${result.codeCache}`})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    out(`rpcplugin build: ${error.message}\n`);
    return error.reason === "entry" || error.reason === "output" || error.reason === "arguments" ? 2 : 1;
  }
}

function usageError(out: (text: string) => void, message: string): number {
  out(`rpcplugin build: ${message}\n\nUsage:\n${BUILD_USAGE}`);
  return 2;
}
