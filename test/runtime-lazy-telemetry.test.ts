// A plugin that registers no OpenTelemetry SDK never loads @opentelemetry/api:
// serving, calls (traced by the runtime's interceptors), a trace context handed
// over in TRACEPARENT and shutdown all go by without it. Module loads are traced
// with a `node --import` hook (test/support/module-trace.mjs) into a file.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { startPlugin } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fixturePlugin, handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";

const traceHook = path.join(repoRoot, "test", "support", "module-trace.mjs");

function loadedModules(traceFile: string): string[] {
  expect(existsSync(traceFile), `no module trace was written to ${traceFile}`).toBe(true);
  return readFileSync(traceFile, "utf8").split("\n").filter(Boolean);
}

describe("a plugin without an OpenTelemetry SDK", () => {
  it.each([
    { name: "no trace context", env: {} },
    { name: "a trace context in TRACEPARENT", env: { TRACEPARENT: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
  ])("serves, answers calls and stops without loading @opentelemetry/api ($name)", async ({ env }) => {
    const dir = tempDir("lazy-otel-");
    const traceFile = path.join(dir.path, "modules.txt");
    try {
      const client = await startPlugin({
        command: fixturePlugin,
        handshake,
        plugins: kvPlugins,
        env: { ...env, NODE_OPTIONS: `--import ${traceHook}`, MODULE_TRACE_FILE: traceFile, TMPDIR: dir.path },
        onLog: () => {},
      });
      try {
        const kv = client.dispense("kv_grpc");
        await kv.put({ key: "k", value: Buffer.from("v") });
        expect(Buffer.from((await kv.get({ key: "k" })).value).toString()).toBe("v");
      } finally {
        await client.close();
      }
      const modules = loadedModules(traceFile);
      // The hook sees CommonJS packages that ES modules import (grpc-js is one): a miss would be real.
      expect(
        modules.some((url) => url.includes("/node_modules/@grpc/grpc-js/")),
        "the trace holds no grpc-js module",
      ).toBe(true);
      expect(modules.filter((url) => url.includes("/node_modules/@opentelemetry/"))).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });
});
