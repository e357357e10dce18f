/**
 * The two small CommonJS programs around a plugin's function script
 * (sea-script.ts):
 *
 * - the *loader*, the executable's main script: compiles the script (an
 *   executable asset) with its code cache (another asset) and calls it;
 * - the *warm-up*, run once by `rpcplugin build` under the same `node`: runs
 *   the script up to the point where the plugin stops (serve() without a magic
 *   cookie exits), then writes the code cache of everything compiled so far.
 *
 * Node's own `useCodeCache` caches only what V8 compiles before running, the
 * top-level code; a cache made after a run also holds every function the
 * plugin's start-up called (protobuf-es, the descriptors, the runtime), which
 * V8 would otherwise compile lazily on each start. Both programs compile the
 * script with the same options, or V8 rejects the cache (then the loader
 * still runs the script, only without its help).
 *
 * The loader also holds what the plugin writes to stdout until serve()
 * takes it (the runtime's services/held-stdout.ts), so a module that prints
 * while it is imported cannot put text before the handshake line.
 *
 * With `--snapshot` there is a third program instead of the loader: the
 * *snapshot main*, the executable's main script run by Node's snapshot
 * builder. It runs the script while the executable is built, with the
 * runtime's snapshot hook installed (runtime plugin/snapshot-start.ts), so
 * every import is evaluated into the snapshot and serve() waits; the
 * executable starts by calling what serve() handed over.
 */

import { SNAPSHOT_START_HOOK } from "@rpcplugin/runtime";

/** Names of the assets inside the executable. */
export const SCRIPT_ASSET = "rpcplugin/plugin.js";
export const CACHE_ASSET = "rpcplugin/plugin.cache";

/** `(filename) => new vm.Script(...)` options, identical in both programs. */
const compile = (source: string, extra: string) => `new (require("node:vm").Script)(${source}, { filename, ${extra} })`;

/** Arguments of the script's function (sea-script.ts SCRIPT_PARAMETERS), for an executable or module at `file`. */
const callArguments = (file: string) =>
  `require, { url: require("node:url").pathToFileURL(${file}).href, filename: ${file}, dirname: require("node:path").dirname(${file}) }, require, ${file}, require("node:path").dirname(${file})`;

/** Holds process.stdout writes for serve() (a held-stdout.ts holder); written out at exit if serve() never takes them. */
const HOLD_STDOUT = `{
  const realWrite = process.stdout.write;
  let held = [];
  const hold = function (chunk, encoding, callback) {
    if (typeof encoding === "function") callback = encoding;
    held.push(typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8") : Buffer.from(chunk));
    if (typeof callback === "function") queueMicrotask(() => callback(null));
    return true;
  };
  process.stdout.write = hold;
  const key = Symbol.for("rpcplugin.heldStdout");
  const take = () => {
    const chunks = held;
    held = [];
    if (process.stdout.write === hold) process.stdout.write = realWrite;
    delete globalThis[key];
    return chunks;
  };
  globalThis[key] = { take };
  process.on("exit", () => {
    if (globalThis[key] === undefined) return;
    for (const chunk of take()) require("node:fs").writeSync(1, chunk);
  });
}`;

/** The executable's main script; `filename` names the script in stack traces. */
export function loaderSource(filename: string): string {
  return `"use strict";
const filename = ${JSON.stringify(filename)};
${HOLD_STDOUT}
const sea = require("node:sea");
let cachedData;
try {
  cachedData = new Uint8Array(sea.getAsset(${JSON.stringify(CACHE_ASSET)}));
} catch {
  // built without a cache (--no-code-cache)
}
const script = ${compile(`sea.getAsset(${JSON.stringify(SCRIPT_ASSET)}, "utf8")`, "cachedData")};
if (process.env.RPCPLUGIN_BUILD_DEBUG) process.stderr.write("rpcplugin build: code cache " + (cachedData === undefined ? "absent" : script.cachedDataRejected ? "rejected" : "accepted") + "\\n");
script.runInThisContext()(${callArguments("process.execPath")});
`;
}

/** A package a snapshot build keeps out of its snapshot (sea-script.ts): its script's file while building, its asset once built. */
export interface ApartAsset {
  name: string;
  file: string;
  asset: string;
}

/** The asset name of a package kept out of the snapshot. */
export const apartAsset = (name: string) => `rpcplugin/apart/${name}.js`;

/** What the executable of a snapshot build prints when nothing was handed over while it was built. */
export const SNAPSHOT_NO_SERVE_MESSAGE = "rpcplugin build: the entry did not call serve() while the startup snapshot was built";

/**
 * The snapshot main: `scriptFile` (read while building) is run as if it were
 * the executable at `executable`; once the executable runs, `import.meta`
 * describes the file it was started from.
 */
export function snapshotMainSource(filename: string, scriptFile: string, executable: string, apart: readonly ApartAsset[] = []): string {
  const apartFiles = Object.fromEntries(apart.map(({ name, file, asset }) => [name, { file, asset }]));
  return `"use strict";
const filename = ${JSON.stringify(filename)};
const path = require("node:path");
let started = false;
const file = () => (started ? process.execPath : ${JSON.stringify(executable)});
const meta = {
  get url() { return require("node:url").pathToFileURL(file()).href; },
  get filename() { return file(); },
  get dirname() { return path.dirname(file()); },
};
const hook = Symbol.for(${JSON.stringify(SNAPSHOT_START_HOOK.description)});
const starts = [];
globalThis[hook] = { defer: (start) => void starts.push(start) };
require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {
  started = true;
  delete globalThis[hook];
  ${HOLD_STDOUT.replace(/\n/g, "\n  ")}
  if (starts.length === 0) {
    process.stderr.write(${JSON.stringify(`${SNAPSHOT_NO_SERVE_MESSAGE}\n`)});
    process.exitCode = 1;
    return;
  }
  if (process.env.RPCPLUGIN_BUILD_DEBUG) process.stderr.write("rpcplugin build: started from the snapshot (" + performance.now().toFixed(1) + " ms after the process began)\\n");
  for (const start of starts.splice(0)) start();
});
// Packages kept out of the snapshot: from the build's files while building, from the executable's assets once started.
const apartFiles = ${JSON.stringify(apartFiles)};
const apartLoaded = new Map();
const apart = (name) => {
  if (apartLoaded.has(name)) return apartLoaded.get(name).exports;
  const { file, asset } = apartFiles[name];
  const source = started ? require("node:sea").getAsset(asset, "utf8") : require("node:fs").readFileSync(file, "utf8");
  const module = { exports: {} };
  apartLoaded.set(name, module);
  new (require("node:vm").Script)(source, { filename: name }).runInThisContext()(require, module, module.exports, require);
  return module.exports;
};
const script = ${compile(`require("node:fs").readFileSync(${JSON.stringify(scriptFile)}, "utf8")`, "")};
script.runInThisContext()(require, meta, require, file(), path.dirname(file()), apart);
`;
}

/**
 * The warm-up program: `node warmup.cjs <script file> <cache file> <filename> <would-be executable path>`.
 * Writes the cache however the plugin ends (exit, a signal it handles, an error).
 */
export const WARMUP_SOURCE = `"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const [scriptFile, cacheFile, filename, executable] = process.argv.slice(2);
const script = ${compile(`readFileSync(scriptFile, "utf8")`, "")};
process.on("exit", () => writeFileSync(cacheFile, script.createCachedData()));
script.runInThisContext()(${callArguments("executable")});
`;
