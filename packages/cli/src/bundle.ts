/**
 * `rpcplugin bundle`: a plugin and every package it imports in one
 * executable ES module file, made with esbuild.
 *
 * A plugin's start is mostly Node's ES module loader working file by file
 * through grpc-js, protobuf-es and the runtime (docs/benchmarks.md, "Cold
 * start"); one file skips that, and needs no node_modules where it runs.
 */
import { chmodSync, closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";

export const BUNDLE_USAGE = `  rpcplugin bundle <entry> [--out FILE]
      Bundle a plugin — its compiled entry module (.js/.mjs) and every package it imports — into
      one executable file (default: <entry without extension>.bundle.mjs) that runs without
      node_modules and starts with about half the CPU of the same plugin loaded from them.
`;

/** The first line of the bundle when the entry has no `#!` line of its own (esbuild keeps one it has). */
const SHEBANG = "#!/usr/bin/env node";
// CommonJS packages in the bundle (grpc-js) require() Node's built-ins; an ES module has no require.
const REQUIRE_SHIM = 'import { createRequire as __rpcpluginRequire } from "node:module"; const require = __rpcpluginRequire(import.meta.url);';

export interface BundleOptions {
  /** The plugin's entry module, as Node would run it. */
  entry: string;
  /** Where to write the bundle (made executable). */
  out: string;
}

/** Writes the bundle; rejects with esbuild's messages when the entry or an import cannot be bundled. */
export async function bundlePlugin({ entry, out }: BundleOptions): Promise<void> {
  const { build } = await import("esbuild");
  const banner = startsWithShebang(entry) ? REQUIRE_SHIM : `${SHEBANG}\n${REQUIRE_SHIM}`;
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    banner: { js: banner },
    logLevel: "silent",
  });
  chmodSync(out, 0o755);
}

function startsWithShebang(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString() === "#!";
  } finally {
    closeSync(fd);
  }
}

/** The `bundle` command: returns the exit code (2: bad arguments, 1: bundling failed). */
export async function bundle(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const positional: string[] = [];
  let outFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--out" || arg === "-o") {
      outFile = argv[++i];
      if (outFile === undefined) return usageError(out, `${arg} needs a file name`);
    } else if (arg.startsWith("-")) {
      return usageError(out, `unknown option ${JSON.stringify(arg)}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1)
    return usageError(out, positional.length === 0 ? "give the plugin's entry module" : `one entry module, not ${positional.length}`);
  const entry = path.resolve(positional[0] as string);
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    return usageError(out, `the entry ${JSON.stringify(positional[0])} is not a file (give the compiled .js/.mjs module your plugin's launcher imports)`);
  }
  const target = path.resolve(outFile ?? `${entry.replace(/\.[cm]?js$/, "")}.bundle.mjs`);
  if (target === entry) return usageError(out, "--out is the entry itself; choose another file");
  try {
    await bundlePlugin({ entry, out: target });
  } catch (error) {
    out(`rpcplugin bundle: could not bundle ${entry}:\n${describeBuildError(error)}\n`);
    return 1;
  }
  out(`wrote ${target}\n`);
  if (!/\.mjs$/.test(target)) {
    out("(without the .mjs extension Node runs it as an ES module by module syntax detection: Node ≥ 20.19 or ≥ 22.7)\n");
  }
  return 0;
}

function usageError(out: (text: string) => void, message: string): number {
  out(`rpcplugin bundle: ${message}\n\nUsage:\n${BUNDLE_USAGE}`);
  return 2;
}

/** esbuild's errors, one per line with their place, else the error's message. */
export function describeBuildError(error: unknown): string {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return `  ${error instanceof Error ? error.message : String(error)}`;
  return errors.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ""}${e.text}`).join("\n");
}
