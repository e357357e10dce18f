/**
 * Node's single-executable application steps (nodejs.org/api/single-executable-applications.html):
 * a preparation blob made by `node --experimental-sea-config`, a copy of the
 * running `node`, and the blob injected into it with postject.
 */
import { spawn } from "node:child_process";
import { chmodSync, closeSync, openSync, readSync, writeFileSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

/** The fuse a `node` binary with single-executable support carries; postject flips it. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Why a build step failed: what the user has to change. */
export type BuildFailure = "arguments" | "entry" | "bundle" | "output" | "unsupported-node" | "no-serve" | "snapshot" | "inject";

/** A build that could not be made; `reason` says which step, the message what to do. */
export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(
    readonly reason: BuildFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Throws a BuildError naming what to do when the running Node cannot make executables. */
export function assertSeaSupport(node = process.execPath, version = process.versions.node): void {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 12)) {
    throw new BuildError("unsupported-node", `Node ${version} cannot build single-executable plugins with assets; run rpcplugin build with Node ≥ 20.12`);
  }
  const fuse = findInFile(node, `${SEA_FUSE}:`);
  if (fuse === undefined) {
    throw new BuildError(
      "unsupported-node",
      `${node} was built without single-executable application support (no SEA fuse in the binary); run rpcplugin build with an official Node build from nodejs.org or a distribution that keeps SEA`,
    );
  }
  if (fuse === "1") throw new BuildError("unsupported-node", `${node} is itself a single-executable application; run rpcplugin build with a plain node`);
}

/** The character after `needle` in the file, or undefined when the needle is absent. Reads in chunks: node is ~100 MB. */
function findInFile(file: string, needle: string): string | undefined {
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.alloc(4 << 20);
    const overlap = needle.length + 1;
    let carry = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) return undefined;
      const window = Buffer.concat([carry, chunk.subarray(0, read)]);
      const at = window.indexOf(needle);
      if (at >= 0 && at + needle.length < window.length) return String.fromCharCode(window[at + needle.length] as number);
      carry = window.subarray(Math.max(0, window.length - overlap));
    }
  } finally {
    closeSync(fd);
  }
}

export interface SeaBlobInput {
  /** Folder for the intermediate files. */
  workDir: string;
  /** The executable's main script (CommonJS). */
  mainSource: string;
  /** Asset name → file. */
  assets: Record<string, string>;
  /** Run the main script now, as Node's snapshot builder, and start the executable from the snapshot. */
  useSnapshot?: boolean;
  /** Bound on making the blob (default none); a snapshot builder whose event loop never empties runs for ever. */
  timeoutMs?: number;
}

/** Writes the SEA config and the preparation blob; returns the blob's path. */
export async function makeSeaBlob({ workDir, mainSource, assets, useSnapshot = false, timeoutMs }: SeaBlobInput): Promise<string> {
  const main = path.join(workDir, "sea-main.cjs");
  const blob = path.join(workDir, "sea-prep.blob");
  const config = path.join(workDir, "sea-config.json");
  writeFileSync(main, mainSource);
  // The loader's own code cache (useCodeCache) is small; the plugin's is an asset made after a warm-up. A snapshot holds compiled code itself.
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: !useSnapshot, useSnapshot, assets }));
  await run(process.execPath, ["--experimental-sea-config", config], "node --experimental-sea-config", timeoutMs);
  return blob;
}

/** Copies the running node to `out` and injects the blob: `out` is then the executable. */
export async function injectSeaBlob(blob: string, out: string): Promise<void> {
  const postject = createRequire(import.meta.url).resolve("postject/dist/cli.js");
  const macos = process.platform === "darwin";
  await copyFile(process.execPath, out);
  chmodSync(out, 0o755);
  if (macos) await run("codesign", ["--remove-signature", out], "codesign --remove-signature");
  await run(
    process.execPath,
    [postject, out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE, ...(macos ? ["--macho-segment-name", "NODE_SEA"] : [])],
    "postject",
  );
  if (macos) await run("codesign", ["--sign", "-", out], "codesign --sign -");
}

/** Runs a build tool; rejects with a BuildError holding its output when it fails or outlasts `timeoutMs`. */
function run(command: string, args: string[], what: string, timeoutMs?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, timeoutMs);
    child.stdout.on("data", (data: Buffer) => (output += data));
    child.stderr.on("data", (data: Buffer) => (output += data));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new BuildError("inject", `${what} could not be started: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (timedOut)
        reject(new BuildError("inject", `${what} was still running after ${(timeoutMs ?? 0) / 1000} s${output.trim() ? `:\n${output.trim()}` : ""}`));
      else reject(new BuildError("inject", `${what} failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`));
    });
  });
}
