#!/usr/bin/env node
// A V8 startup snapshot of the files Terraform provider, to measure what one would save (a spike,
// not a shipping path): the provider and the runtime bundled as CommonJS with node:tls behind a
// lazy shim (Node 20's snapshot builder refuses node:tls: "Unknown external reference"; net and
// crypto build), tfplugin6's generated code evaluated at build time, serveProvider() run after
// deserialization. Prints a launcher to time against the built executable. Build first (tsc -b).
//
//   node bench/profile/snapshot-spike.mjs [outDir]
//   node bench/profile/terraform-coldstart.mjs --rounds 15 snap=<outDir>/provider.sh built=<rpcplugin build output>
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = path.resolve(process.argv[2] ?? path.join(os.tmpdir(), "rpcplugin-snapshot-spike"));
mkdirSync(out, { recursive: true });

const shim = path.join(out, "tls-shim.cjs");
writeFileSync(
  shim,
  [
    "// node:tls loaded on first use: the snapshot cannot hold it.",
    "let tls;",
    'const real = () => (tls ??= process.getBuiltinModule("node:tls"));',
    "exports.connect = (...args) => real().connect(...args);",
    "exports.createServer = (...args) => real().createServer(...args);",
    "",
  ].join("\n"),
);
const entry = path.join(out, "entry.mjs");
writeFileSync(
  entry,
  [
    'import v8 from "node:v8";',
    'import { serveProvider } from "@rpcplugin/terraform";',
    `import ${JSON.stringify(path.join(repoRoot, "packages/terraform/dist/provider/plugin-v6.js"))};`,
    `import { filesProvider } from ${JSON.stringify(path.join(repoRoot, "examples/terraform-provider-files/dist/provider.js"))};`,
    'v8.startupSnapshot.setDeserializeMainFunction(() => void serveProvider(filesProvider, { address: "example.com/rpcplugin/files" }));',
    "",
  ].join("\n"),
);
const bundle = path.join(out, "provider.cjs");
await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  outfile: bundle,
  nodePaths: [path.join(repoRoot, "node_modules")],
  logLevel: "error",
  plugins: [{ name: "lazy-tls", setup: (build) => build.onResolve({ filter: /^(node:)?tls$/ }, () => ({ path: shim })) }],
});
const blob = path.join(out, "provider.blob");
const built = spawnSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", bundle], { cwd: out, encoding: "utf8" });
if (built.status !== 0) throw new Error(`--build-snapshot failed (exit ${built.status}):\n${built.stderr}`);
const launcher = path.join(out, "provider.sh");
writeFileSync(launcher, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --snapshot-blob ${JSON.stringify(blob)}\n`);
chmodSync(launcher, 0o755);
console.log(`snapshot: ${blob}\nlauncher: ${launcher}`);
