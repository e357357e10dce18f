// `rpcplugin build`: a standalone executable (Node's single-executable application) that hosts
// launch as they are, with no node on PATH and no node_modules beside it.
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import { startPlugin } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildError, buildExecutable } from "../packages/cli/src/build.js";
import { assertSeaSupport } from "../packages/cli/src/sea-inject.js";
import { handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";
import { expectGoHostRoundTrip, expectServesOnGrpcJs, expectServesTsHost } from "./support/built-kv.js";
import { runCli } from "./support/cli.js";
import { describeGo } from "./support/go.js";
import { noNodePath } from "./support/no-node-path.js";
import { useInMemoryTracing } from "./support/telemetry.js";

const kvEntry = join(repoRoot, "examples", "go-plugin", "dist", "kv", "main.js");
const fixture = (name: string) => join(repoRoot, "fixtures", "ts-plugin", name);
const dir = tempDir("rpcplugin-cli-build-");
const withoutNode = noNodePath();
const noNode = withoutNode.env;
const exporter = useInMemoryTracing();
afterAll(() => {
  dir.cleanup();
  withoutNode.cleanup();
});

const cli = (...argv: string[]) => runCli(argv);

/** Builds a fixture into its own folder, alone (no node_modules can resolve there). */
async function built(entry: string, name: string): Promise<string> {
  const folder = join(dir.path, name);
  mkdirSync(folder, { recursive: true });
  const out = join(folder, name);
  const result = await buildExecutable({ entry, out });
  expect(result.codeCache).toBe("accepted");
  return out;
}

describe("rpcplugin build", () => {
  let kv = "";
  beforeAll(async () => {
    kv = join(dir.path, "kv", "kv-plugin");
    mkdirSync(join(dir.path, "kv"));
    const { code, output } = await cli("build", kvEntry, "--out", kv);
    expect(output).toMatch(new RegExp(`^wrote ${kv} \\(\\d+\\.\\d MiB, code cache accepted\\)\\n$`));
    expect(code).toBe(0);
  }, 120_000);

  it("writes one executable that no node on PATH is needed to run", () => {
    accessSync(kv, constants.X_OK);
    const run = spawnSync(kv, [], { env: { ...noNode }, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("This binary is a plugin. These are not meant to be executed directly.");
    expect(spawnSync("sh", ["-c", "command -v node"], { env: noNode }).status).not.toBe(0);
  });

  for (const autoMTLS of [true, false]) {
    it(`serves our TS host with AutoMTLS ${autoMTLS ? "on" : "off"}: put/get, stdio, logs, a clean exit, nothing left`, () =>
      expectServesTsHost(kv, autoMTLS, noNode));
  }

  it("runs on the grpc-js engine too (bundled, loaded on demand)", () => expectServesOnGrpcJs(kv, noNode, dir.path));

  it("a module that prints while imported still handshakes; what it printed reaches the host over GRPCStdio", async () => {
    const command = await built(fixture("prints-at-import-plugin.mjs"), "prints");
    let stdout = "";
    const stderrLines: string[] = [];
    const client = await startPlugin({
      command,
      handshake,
      plugins: kvPlugins,
      env: noNode,
      syncStdout: (chunk) => (stdout += chunk),
      onLog: (record) => stderrLines.push(record.message),
    });
    try {
      expect(client.handshake?.line).toMatch(/^1\|1\|unix\|/);
      expect(Buffer.from((await client.dispense("kv_grpc").get({ key: "alive" })).value).toString()).toBe("alive");
      await expect.poll(() => stdout).toBe("import: console.log\n");
      expect(stderrLines).toContain("import: process.stderr.write");
    } finally {
      await client.close();
    }
  });

  it("run by hand, it prints what was held at its exit", () => {
    const command = join(dir.path, "prints", "prints");
    const run = spawnSync(command, [], { env: noNode, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("import: console.log\n");
  });

  it("with an OpenTelemetry SDK in the app, exports the plugin's spans as the unbuilt plugin does", async () => {
    const command = await built(fixture("telemetry-plugin.mjs"), "telemetry");
    const spansFile = join(dir.path, "spans.jsonl");
    exporter.reset();
    const client = await startPlugin({ command, handshake, plugins: kvPlugins, env: { ...noNode, FIXTURE_SPANS_FILE: spansFile }, onLog: () => {} });
    try {
      await client.dispense("kv_grpc").put({ key: "a", value: Buffer.from("1") });
    } finally {
      await client.close();
    }
    const spans = readFileSync(spansFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { name: string; kind: number; traceId: string; parentSpanId?: string });
    const put = spans.find((span) => span.name === "proto.KV/Put" && span.kind === SpanKind.SERVER);
    const hostPut = exporter.getFinishedSpans().find((span) => span.name === "proto.KV/Put" && span.kind === SpanKind.CLIENT);
    expect(put?.traceId).toBe(hostPut?.spanContext().traceId);
    expect(spans.map((span) => span.name)).toContain("kv.store");
  });

  it("refuses bad input, each with a typed error naming what to do", async () => {
    expect(await cli("build")).toMatchObject({ code: 2, output: expect.stringContaining("give the plugin's entry module") });
    expect(await cli("build", join(dir.path, "missing.js"))).toMatchObject({ code: 2, output: expect.stringContaining('missing.js" is not a file') });
    expect(await cli("build", kvEntry, "--fast")).toMatchObject({ code: 2, output: expect.stringContaining('unknown option "--fast"') });
    expect(await cli("build", kvEntry, "--out", join(dir.path, "no", "such", "dir", "x"))).toMatchObject({
      code: 2,
      output: expect.stringContaining("the directory"),
    });
    expect(await cli("build", kvEntry, "--out", dir.path)).toMatchObject({ code: 2, output: expect.stringContaining("is a directory") });

    const out = join(dir.path, "no-serve");
    const noServe = await cli("build", fixture("no-serve-plugin.mjs"), "--out", out);
    expect(noServe.code).toBe(1);
    expect(noServe.output).toContain("ran to its end without reaching serve() (exit code 0)");
    expect(noServe.output).toContain("I only print");
    expect(() => accessSync(out)).toThrow();

    const broken = join(dir.path, "broken.mjs");
    writeFileSync(broken, 'import { nothing } from "no-such-package-anywhere";\nconsole.log(nothing);\n');
    expect(await cli("build", broken, "--out", join(dir.path, "broken"))).toMatchObject({
      code: 1,
      output: expect.stringMatching(/broken\.mjs:1:\d+: Could not resolve "no-such-package-anywhere"/),
    });
  });

  it("refuses a Node that cannot make executables", () => {
    const fakeNode = join(dir.path, "fake-node");
    writeFileSync(fakeNode, "not a node with the SEA fuse");
    expect(() => assertSeaSupport(fakeNode, "20.20.2")).toThrow(
      expect.objectContaining({
        name: "BuildError",
        reason: "unsupported-node",
        message: expect.stringContaining("without single-executable application support"),
      }),
    );
    expect(() => assertSeaSupport(process.execPath, "20.11.1")).toThrow(/Node 20\.11\.1 cannot build .* Node ≥ 20\.12/);
    expect(() => assertSeaSupport(kv, "20.20.2")).toThrow(/is itself a single-executable application/);
    expect(() => assertSeaSupport()).not.toThrow();
    expect(new BuildError("output", "x")).toBeInstanceOf(Error);
  });
});

describeGo("rpcplugin build × go-plugin's examples/grpc host", () => {
  it(
    "the Go host launches the built KV plugin with no node on PATH: put/get, nothing left",
    () => expectGoHostRoundTrip(async (out) => expect((await buildExecutable({ entry: kvEntry, out })).codeCache).toBe("accepted"), noNode, "built"),
    120_000,
  );
});
