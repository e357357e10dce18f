#!/usr/bin/env bash
# README "Quick start from an empty folder", step by step, as a new user runs it:
# an empty folder, npm install, a proto, buf generate, rpcplugin scaffold, one
# method filled in, tsc, and the host calling the plugin.
#
#   scripts/quickstart.sh [DIR]     DIR: an empty (or missing) folder to work in,
#                                   kept afterwards; default: a temp folder, removed
#
# The one difference from the README: @rpcplugin/* are not published yet, so
# they are packed from this checkout (`npm pack`, after `tsc -b`) and installed
# from the tarballs. Everything else comes from the npm registry.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/rpcplugin-quickstart-XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
step() { printf '\n==> %s\n' "$*"; }

step "pack @rpcplugin/runtime, @rpcplugin/protoc-gen-rpcplugin and @rpcplugin/cli from $repo"
mkdir -p "$work/packs"
(cd "$repo" && npx --no-install tsc -b && npm pack --silent --pack-destination "$work/packs" \
  -w @rpcplugin/runtime -w @rpcplugin/protoc-gen-rpcplugin -w @rpcplugin/cli >/dev/null)
runtime=$work/packs/rpcplugin-runtime-0.1.0.tgz
protoc_gen=$work/packs/rpcplugin-protoc-gen-rpcplugin-0.1.0.tgz
cli=$work/packs/rpcplugin-cli-0.1.0.tgz

# ---- from here on: the README section, word for word (tarballs for @rpcplugin/*) ----
step "an empty folder with a package.json"
mkdir "$work/greeter"
cd "$work/greeter"
npm init -y >/dev/null
npm pkg set type=module

step "npm install"
npm install --no-audit --no-fund --loglevel=error "$runtime" @bufbuild/protobuf@2.13.0
npm install --no-audit --no-fund --loglevel=error -D "$protoc_gen" "$cli" @bufbuild/buf @bufbuild/protoc-gen-es@2.13.0 typescript @types/node@20

step "a proto, buf.yaml, buf.gen.yaml, tsconfig.json"
mkdir -p proto/greet/v1
cat > proto/greet/v1/greet.proto <<'EOF'
syntax = "proto3";
package greet.v1;

message SayHelloRequest { string name = 1; }
message SayHelloResponse { string message = 1; }

service Greeter {
  // Answers with a greeting.
  rpc SayHello(SayHelloRequest) returns (SayHelloResponse);
}
EOF
cat > buf.yaml <<'EOF'
version: v2
modules:
  - path: proto
EOF
cat > buf.gen.yaml <<'EOF'
version: v2
plugins:
  - local: protoc-gen-es
    out: gen
    opt: [target=ts, import_extension=js]
  - local: protoc-gen-rpcplugin
    out: gen
    opt: [target=ts, import_extension=js]
EOF
cat > tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023", "ESNext.Disposable"],
    "module": "Node16",
    "strict": true,
    "skipLibCheck": true,
    "types": ["node"],
    "rootDir": ".",
    "outDir": "dist"
  },
  "include": ["src", "gen"]
}
EOF

step "npx buf generate"
npx buf generate
ls gen/greet/v1

step "npx rpcplugin scaffold greet.v1.Greeter"
npx rpcplugin scaffold greet.v1.Greeter

step "implement SayHello in src/greeter-plugin.ts"
node --input-type=module <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
const file = "src/greeter-plugin.ts";
const stub = /\/\/ TODO: implement greet\.v1\.Greeter\.SayHello\n.*\n/;
const text = readFileSync(file, "utf8");
if (!stub.test(text)) throw new Error(`${file}: no SayHello stub to fill in`);
writeFileSync(file, text.replace(stub, () => 'return { message: `Hello, ${request.name || "world"}!` };\n'));
EOF
sed -n '/async sayHello/,/^  }/p' src/greeter-plugin.ts

step "npx tsc && node dist/src/greeter-host.js"
npx tsc
node dist/src/greeter-host.js
