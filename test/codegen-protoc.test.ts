// protoc-gen-rpcplugin under plain protoc (`--plugin=protoc-gen-rpcplugin=<bin>`):
// the same bytes as under buf (the committed fixtures/codegen/gen). Needs
// protoc on PATH (Debian: apt-get install protobuf-compiler); set
// RPCPLUGIN_SKIP_PROTOC=1 to skip instead of failing without it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureRoot, listFiles, protoRoot, repoRoot } from "../fixtures/codegen/harness.js";

const bin = join(repoRoot, "packages", "protoc-gen-rpcplugin", "bin", "protoc-gen-rpcplugin.js");
const skip = process.env.RPCPLUGIN_SKIP_PROTOC === "1";
const probe = spawnSync("protoc", ["--version"], { encoding: "utf8" });
const missing = probe.error ? `protoc could not be run (${probe.error.message})` : probe.status !== 0 ? `protoc --version failed: ${probe.stderr}` : undefined;

// Editions need protoc 27+; these protos parse with any protoc of the last years.
const protos = ["echo/v1/echo.proto", "clash/v1/clash.proto", "mirror/v1/mirror.proto", "wkt/v1/wkt.proto", "legacy/v1/legacy.proto", "messages/v1/messages.proto"];

function protoc(out: string, option: string, files: string[]) {
  return spawnSync(
    "protoc",
    [`--plugin=protoc-gen-rpcplugin=${bin}`, `--rpcplugin_out=${out}`, `--rpcplugin_opt=${option}`, `-I${protoRoot}`, ...files],
    { encoding: "utf8" },
  );
}

describe.skipIf(skip && missing !== undefined)("protoc", () => {
  let out = "";
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "rpcplugin-protoc-"));
  });
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("is installed", () => {
    if (missing !== undefined) {
      expect.fail(`${missing}. Install protoc (Debian: apt-get install protobuf-compiler) or set RPCPLUGIN_SKIP_PROTOC=1 to skip the protoc tests.`);
    }
  });

  it("runs the plugin and gets exactly what buf generates", () => {
    if (missing !== undefined) return expect.fail(missing);
    const result = protoc(out, "target=ts,import_extension=js", protos);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const generated = listFiles(out);
    expect(generated).toEqual([
      "clash/v1/clash_rpcplugin.ts",
      "echo/v1/echo_rpcplugin.ts",
      "legacy/v1/legacy_rpcplugin.ts",
      "mirror/v1/mirror_rpcplugin.ts",
      "wkt/v1/wkt_rpcplugin.ts",
    ]);
    for (const file of generated) {
      expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(fixtureRoot, "gen", file), "utf8"));
    }
  });

  it("reports an unknown option and fails", () => {
    if (missing !== undefined) return expect.fail(missing);
    const result = protoc(out, "target=ts,colour=blue", ["echo/v1/echo.proto"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('protoc-gen-rpcplugin: invalid option "colour=blue": unknown option "colour"');
  });
});
