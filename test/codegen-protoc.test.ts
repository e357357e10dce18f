// protoc-gen-rpcplugin under plain protoc (`--plugin=protoc-gen-rpcplugin=<bin>`):
// the same bytes as under buf (the committed fixtures/codegen/gen and gen-js).
// The protoc of the `protoc` npm package (a devDependency: Google's release
// binaries, pinned) always runs, so a clean clone needs nothing installed by
// hand; a protoc on PATH (e.g. Debian's protobuf-compiler) runs as well when
// there is one.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureRoot, listFiles, protoRoot, repoRoot } from "../fixtures/codegen/harness.js";

const bin = join(repoRoot, "packages", "protoc-gen-rpcplugin", "bin", "protoc-gen-rpcplugin.js");
const pinnedProtoc = join(repoRoot, "node_modules", ".bin", "protoc");

// npm puts node_modules/.bin on PATH when it runs the tests: look past it for a system protoc.
const systemEnv = {
  ...process.env,
  PATH: (process.env.PATH ?? "")
    .split(":")
    .filter((dir) => !dir.endsWith(join("node_modules", ".bin")))
    .join(":"),
};

/** `protoc --version` of `command`, or undefined when it cannot be run. */
function versionOf(command: string): string | undefined {
  const probe = spawnSync(command, ["--version"], { encoding: "utf8", env: systemEnv });
  return probe.error || probe.status !== 0 ? undefined : probe.stdout.trim();
}

const systemProtocVersion = versionOf("protoc");
const protocs: { name: string; command: string }[] = [
  { name: "pinned (npm protoc)", command: pinnedProtoc },
  ...(systemProtocVersion ? [{ name: `on PATH (${systemProtocVersion})`, command: "protoc" }] : []),
];

/** Every fixture proto that declares a service, with the major version of protoc that first parses it. */
const protos: { file: string; minimumMajor: number }[] = [
  { file: "alpha/v1/store.proto", minimumMajor: 3 },
  { file: "beta/v1/store.proto", minimumMajor: 3 },
  { file: "clash/v1/clash.proto", minimumMajor: 3 },
  { file: "echo/v1/echo.proto", minimumMajor: 3 },
  { file: "editions/v1/editions.proto", minimumMajor: 27 },
  { file: "legacy/v1/legacy.proto", minimumMajor: 3 },
  { file: "mirror/v1/mirror.proto", minimumMajor: 3 },
  { file: "wkt/v1/wkt.proto", minimumMajor: 3 },
];

/** The major version in `libprotoc 36.2` (or `libprotoc 3.21.12`). */
function majorOf(version: string): number {
  return Number(/libprotoc (\d+)/.exec(version)?.[1] ?? 0);
}

/** The golden files that generating `files` with the given target gives, under fixtures/codegen/<dir>. */
function goldenFor(dir: string, files: string[]): string[] {
  const stems = new Set(files.map((file) => file.replace(/\.proto$/, "_rpcplugin")));
  return listFiles(join(fixtureRoot, dir)).filter((file) => stems.has(file.replace(/\.(d\.ts|ts|js)$/, "")));
}

describe("the pinned protoc", () => {
  it("is installed by npm install (the protoc devDependency)", () => {
    expect(existsSync(pinnedProtoc), `${pinnedProtoc} is missing: run npm install`).toBe(true);
    expect(versionOf(pinnedProtoc)).toMatch(/^libprotoc \d+\.\d+/);
  });
});

describe.each(protocs)("protoc $name", ({ command }) => {
  const version = versionOf(command) ?? "";
  const parsed = protos.filter((proto) => majorOf(version) >= proto.minimumMajor).map((proto) => proto.file);
  let out = "";
  afterEach(() => {
    if (out) rmSync(out, { recursive: true, force: true });
    out = "";
  });

  function protoc(option: string, files: string[]) {
    out = mkdtempSync(join(tmpdir(), "rpcplugin-protoc-"));
    return spawnSync(command, [`--plugin=protoc-gen-rpcplugin=${bin}`, `--rpcplugin_out=${out}`, `--rpcplugin_opt=${option}`, `-I${protoRoot}`, ...files], {
      encoding: "utf8",
      env: systemEnv,
    });
  }

  it.each([
    { option: "target=ts,import_extension=js", golden: "gen" },
    { option: "target=js+dts,import_extension=js", golden: "gen-js" },
  ])("runs the plugin with $option and gets exactly what buf generates ($golden)", ({ option, golden }) => {
    const result = protoc(option, parsed);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const generated = listFiles(out);
    const expected = goldenFor(golden, parsed);
    expect(expected.length).toBeGreaterThanOrEqual(parsed.length);
    expect(generated).toEqual(expected);
    for (const file of generated) {
      expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(fixtureRoot, golden, file), "utf8"));
    }
  });

  it("reports an unknown option and fails", () => {
    const result = protoc("target=ts,colour=blue", ["echo/v1/echo.proto"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('protoc-gen-rpcplugin: invalid option "colour=blue": unknown option "colour"');
  });
});
