/**
 * A plugin and everything it imports as one *function script*: the body of
 * an async function that a single-executable application's loader compiles
 * with `vm.Script` and calls.
 *
 * Why not the ES module `rpcplugin bundle` writes: Node 20 runs an
 * executable's main script as CommonJS and cannot import an ES module from
 * it, and a CommonJS bundle (esbuild's `cjs` format) cannot hold the
 * top-level `await` that plugin entries use (`await serve(...)`). An ES
 * module bundle whose imports are all gone is, however, a valid async
 * function body: esbuild resolves every package into the bundle, and every
 * Node built-in (`import ... from "node:fs"` as much as `require("fs")`) to a
 * module that calls the function's `__rpcplugin_builtin` parameter, the
 * executable's `require` (which loads built-ins only). `import.meta` becomes
 * a parameter too, describing the executable.
 *
 * For a startup snapshot (`--snapshot`), the built-ins Node 20's snapshot
 * builder cannot hold (tls, http, https, http2, repl, test: "Unknown external
 * reference" or a TypeError while building) become objects whose properties
 * load the real module on first use, after the executable has started.
 */
import { builtinModules, createRequire } from "node:module";
import { SNAPSHOT_START_HOOK } from "@rpcplugin/runtime";
import type { Plugin } from "esbuild";

/** The parameters the loader passes, in this order. */
export const SCRIPT_PARAMETERS = ["__rpcplugin_builtin", "__rpcplugin_meta", "require", "__filename", "__dirname", "__rpcplugin_apart"] as const;

const BUILTIN_NAMESPACE = "rpcplugin-builtin";

/** Built-ins a Node 20 startup snapshot cannot hold (probed with `node --build-snapshot`). */
const NOT_IN_SNAPSHOT = /^node:(tls|https?|http2|repl|test|_tls_\w+|_http_\w+)$/;

/** What a snapshot build says when the entry uses a built-in that cannot be in the snapshot while it is imported. */
export const NOT_IN_SNAPSHOT_MESSAGE = (name: string) =>
  `${name} cannot be in a startup snapshot, and the plugin used it while the snapshot was built (while its modules were imported): use it only once serving`;

/**
 * A module whose properties are those of built-in `name`, loaded when one is first read or set;
 * refused while the snapshot is built (the loader's hook is there then).
 */
function lazyBuiltinSource(name: string): string {
  const keys = Object.keys(createRequire(import.meta.url)(name) as object);
  return `let real;
const load = () => {
  if (real === undefined && globalThis[Symbol.for(${JSON.stringify(SNAPSHOT_START_HOOK.description)})] !== undefined) {
    throw new Error(${JSON.stringify(NOT_IN_SNAPSHOT_MESSAGE(name))});
  }
  return (real ??= __rpcplugin_builtin(${JSON.stringify(name)}));
};
for (const key of ${JSON.stringify(keys)}) {
  Object.defineProperty(module.exports, key, { enumerable: true, get: () => load()[key], set: (value) => { load()[key] = value; } });
}`;
}

/** Resolves `node:x` and bare built-in names to a module that asks the loader for the built-in. */
const builtinsFromLoader = (snapshot: boolean): Plugin => ({
  name: "rpcplugin-builtins-from-loader",
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^[a-z0-9_:/]+$/ }, ({ path, namespace }) => {
      if (namespace === BUILTIN_NAMESPACE) return undefined;
      const name = path.startsWith("node:") ? path : builtins.has(path) ? `node:${path}` : undefined;
      return name === undefined ? undefined : { path: name, namespace: BUILTIN_NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, ({ path }) => ({
      contents: snapshot && NOT_IN_SNAPSHOT.test(path) ? lazyBuiltinSource(path) : `module.exports = __rpcplugin_builtin(${JSON.stringify(path)});`,
      loader: "js",
    }));
  },
});

/** Bundles `entry` (absolute path of a .js/.mjs module) into a function script's source: `(async function (...) { ... })`. */
export async function bundleFunctionScript(entry: string): Promise<string> {
  return (await bundle(entry, [builtinsFromLoader(false)])).script;
}

/**
 * Packages a snapshot build keeps out of its snapshot, as scripts of their own loaded when first
 * required: grpc-js (with protobufjs, ~0.9 MB of source) is there for the grpc-js engine and the
 * broker only, and every megabyte in the snapshot costs each start ~6 ms to deserialize.
 */
const APART = new Set(["@grpc/grpc-js"]);

/** A package kept out of the snapshot: a CommonJS function script `(function (__rpcplugin_builtin, module, exports, require) {...})`. */
export interface ApartScript {
  name: string;
  source: string;
}

/**
 * The function script a startup snapshot is built from (built-ins it cannot hold made lazy),
 * and the packages kept apart from it: the script requires each through its
 * `__rpcplugin_apart` parameter, the snapshot main, which runs the package's own script.
 */
export async function bundleSnapshotScripts(entry: string): Promise<{ script: string; apart: ApartScript[] }> {
  const found = new Map<string, string>();
  const apart: Plugin = {
    name: "rpcplugin-apart-from-snapshot",
    setup(build) {
      build.onResolve({ filter: /^@/ }, async ({ path, resolveDir, kind, namespace }) => {
        if (!APART.has(path) || namespace === APART_NAMESPACE) return undefined;
        const resolved = await build.resolve(path, { resolveDir, kind, namespace: APART_NAMESPACE });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        found.set(path, resolved.path);
        return { path, namespace: APART_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: APART_NAMESPACE }, ({ path }) => ({
        contents: `module.exports = __rpcplugin_apart(${JSON.stringify(path)});`,
        loader: "js",
      }));
    },
  };
  const { script } = await bundle(entry, [builtinsFromLoader(true), apart]);
  const scripts: ApartScript[] = [];
  for (const [name, file] of found) {
    const { build } = await import("esbuild");
    const result = await build({
      stdin: { contents: `module.exports = require(${JSON.stringify(file)});`, resolveDir: "/", sourcefile: `rpcplugin-apart-${name}.cjs`, loader: "js" },
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      target: `node${process.versions.node.split(".")[0]}`,
      plugins: [builtinsFromLoader(true)],
      logLevel: "silent",
    });
    scripts.push({ name, source: `(function (__rpcplugin_builtin, module, exports, require) {\n${result.outputFiles[0]?.text ?? ""}\n})` });
  }
  return { script, apart: scripts };
}

const APART_NAMESPACE = "rpcplugin-apart";

async function bundle(entry: string, plugins: Plugin[]): Promise<{ script: string }> {
  const { build } = await import("esbuild");
  const result = await build({
    // Importing the entry from a stub drops its exports: the function body must hold no `export`.
    stdin: { contents: `import ${JSON.stringify(entry)};`, resolveDir: "/", sourcefile: "rpcplugin-build-entry.mjs", loader: "js" },
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    define: { "import.meta": "__rpcplugin_meta" },
    plugins,
    logLevel: "silent",
  });
  const body = result.outputFiles[0]?.text ?? "";
  return { script: `(async function (${SCRIPT_PARAMETERS.join(", ")}) {"use strict";\n${body}\n})` };
}
