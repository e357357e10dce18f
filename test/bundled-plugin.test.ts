// A plugin bundled into one file (`rpcplugin bundle`: esbuild, the way docs/benchmarks.md advises
// shipping TS plugins for a faster start) and run from a folder where no node_modules can be found: the runtime must
// not depend on resolving packages at run time. In particular its lazily loaded OpenTelemetry API
// (telemetry.ts) cannot be require()d there and has to come from the bundle.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import { startPlugin } from "@rpcplugin/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { bundlePlugin } from "../packages/cli/src/bundle.js";
import { handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";
import { useInMemoryTracing } from "./support/telemetry.js";

const dir = tempDir("rpcplugin-bundle-");
const exporter = useInMemoryTracing();

/** Bundles a fixture plugin into `dir` as one executable file, as `rpcplugin bundle` does. */
async function bundle(fixture: string): Promise<string> {
  const out = join(dir.path, fixture);
  await bundlePlugin({ entry: join(repoRoot, "fixtures", "ts-plugin", fixture), out });
  return out;
}

afterAll(() => dir.cleanup());

describe("a plugin bundled into one file, run without node_modules", () => {
  it("runs where no package resolves (the premise of the other tests)", () => {
    expect(() => createRequire(join(dir.path, "probe.js")).resolve("@opentelemetry/api")).toThrow(/Cannot find module/);
    expect(() => createRequire(join(dir.path, "probe.js")).resolve("@grpc/grpc-js")).toThrow(/Cannot find module/);
  });

  it("serves a TS host: put/get and a clean stop", async () => {
    const command = await bundle("plugin.mjs");
    const client = await startPlugin({ command, handshake, plugins: kvPlugins, onLog: () => {} });
    try {
      const kv = client.dispense("kv_grpc");
      await kv.put({ key: "bundled", value: Buffer.from("yes") });
      expect(Buffer.from((await kv.get({ key: "bundled" })).value).toString()).toBe("yes");
    } finally {
      await client.close();
    }
    expect(client.exit).toEqual({ code: 0, signal: null });
  });

  it("with an SDK registered in the bundle, exports every span from the start: serve, the call (child of the host's), shutdown", async () => {
    const command = await bundle("telemetry-plugin.mjs");
    const spansFile = join(dir.path, "spans.jsonl");
    exporter.reset();
    const client = await startPlugin({ command, handshake, plugins: kvPlugins, env: { FIXTURE_SPANS_FILE: spansFile }, onLog: () => {} });
    try {
      await client.dispense("kv_grpc").put({ key: "a", value: Buffer.from("1") });
    } finally {
      await client.close();
    }
    const pluginSpans = readFileSync(spansFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { name: string; kind: number; traceId: string; parentSpanId?: string });
    const names = pluginSpans.map((span) => `${span.name}/${span.kind}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `rpcplugin.serve/${SpanKind.INTERNAL}`,
        `proto.KV/Put/${SpanKind.SERVER}`,
        `kv.store/${SpanKind.INTERNAL}`,
        `rpcplugin.shutdown/${SpanKind.INTERNAL}`,
      ]),
    );
    const hostPut = exporter.getFinishedSpans().find((span) => span.name === "proto.KV/Put" && span.kind === SpanKind.CLIENT);
    const pluginPut = pluginSpans.find((span) => span.name === "proto.KV/Put" && span.kind === SpanKind.SERVER);
    expect(pluginPut?.traceId).toBe(hostPut?.spanContext().traceId);
    expect(pluginPut?.parentSpanId).toBe(hostPut?.spanContext().spanId);
  });
});
