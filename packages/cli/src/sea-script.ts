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
 */
import { builtinModules } from "node:module";
import type { Plugin } from "esbuild";

/** The parameters the loader passes, in this order. */
export const SCRIPT_PARAMETERS = ["__rpcplugin_builtin", "__rpcplugin_meta", "require", "__filename", "__dirname"] as const;

const BUILTIN_NAMESPACE = "rpcplugin-builtin";

/** Resolves `node:x` and bare built-in names to a module that asks the loader for the built-in. */
const builtinsFromLoader: Plugin = {
  name: "rpcplugin-builtins-from-loader",
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^[a-z0-9_:/]+$/ }, ({ path, namespace }) => {
      if (namespace === BUILTIN_NAMESPACE) return undefined;
      const name = path.startsWith("node:") ? path : builtins.has(path) ? `node:${path}` : undefined;
      return name === undefined ? undefined : { path: name, namespace: BUILTIN_NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, ({ path }) => ({
      contents: `module.exports = __rpcplugin_builtin(${JSON.stringify(path)});`,
      loader: "js",
    }));
  },
};

/** Bundles `entry` (absolute path of a .js/.mjs module) into a function script's source: `(async function (...) { ... })`. */
export async function bundleFunctionScript(entry: string): Promise<string> {
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
    plugins: [builtinsFromLoader],
    logLevel: "silent",
  });
  const body = result.outputFiles[0]?.text ?? "";
  return `(async function (${SCRIPT_PARAMETERS.join(", ")}) {"use strict";\n${body}\n})`;
}
