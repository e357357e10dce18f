#!/usr/bin/env node
// Regenerates every committed *_pb.ts and *_rpcplugin.ts from proto/ with buf,
// protoc-gen-es and protoc-gen-rpcplugin (built: run `npm run build` first).
// Each entry is one output tree: a buf input (a module directory of buf.yaml,
// or the whole workspace) and, optionally, the proto paths to take from it.
//
//   node scripts/generate.mjs                 regenerate in place
//   node scripts/generate.mjs --out-root DIR  write the same trees under DIR (used to check freshness)
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const targets = [
  { out: "packages/runtime/src/gen", input: ".", paths: ["proto/plugin", "proto/grpc"], template: "buf.gen.runtime.yaml" },
  { out: "packages/terraform/src/gen", input: ".", paths: ["proto/tfplugin5", "proto/tfplugin6"] },
  { out: "examples/go-plugin/gen/kv", input: "proto/examples/kv", paths: [] },
  { out: "examples/go-plugin/gen/counter", input: "proto/examples/counter", paths: [] },
  { out: "examples/go-plugin/gen/streamer", input: "proto/examples/streamer", paths: [] },
  { out: "bench/gen", input: ".", paths: ["proto/examples/kv/kv.proto", "proto/examples/streamer/streamer.proto", "bench/proto/grpctest"] },
];

export function generate(outRoot = root) {
  const bin = join(root, "node_modules", ".bin");
  const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };
  for (const { out, input, paths, template = "buf.gen.yaml" } of targets) {
    const outDir = join(outRoot, out);
    rmSync(outDir, { recursive: true, force: true });
    const args = ["generate", input, "--template", template, "-o", outDir];
    for (const path of paths) args.push("--path", path);
    execFileSync(join(bin, "buf"), args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf("--out-root");
  generate(flag === -1 ? root : process.argv[flag + 1]);
}
