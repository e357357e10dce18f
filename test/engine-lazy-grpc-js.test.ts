// A plugin on the h2 engine never loads grpc-js (only the Metadata class's own
// module, which is the runtime's metadata type on both engines): serving,
// calls and shutdown go by without it, and it is ~60 ms less CPU at start-up.
// On the grpc-js engine the same trace holds grpc-js's index, which shows the
// trace would see it. Module loads are traced with a `node --import` hook
// (test/support/module-trace.mjs) into a file.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { startPlugin } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fixturePlugin, handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";

const traceHook = path.join(repoRoot, "test", "support", "module-trace.mjs");

/** Every module (URL) and built-in (`node:<name>`) a KV plugin loads while it serves two calls. */
async function pluginLoads(engine: "h2" | "grpc-js", env: Record<string, string> = {}): Promise<string[]> {
  const dir = tempDir("lazy-grpc-js-");
  const traceFile = path.join(dir.path, "modules.txt");
  try {
    const client = await startPlugin({
      command: fixturePlugin,
      handshake,
      plugins: kvPlugins,
      engine,
      env: { PLUGIN_RPC_ENGINE: engine, NODE_OPTIONS: `--import ${traceHook}`, MODULE_TRACE_FILE: traceFile, TMPDIR: dir.path, ...env },
      onLog: () => {},
    });
    try {
      const kv = client.dispense("kv_grpc");
      await kv.put({ key: "k", value: Buffer.from("v") });
      expect(Buffer.from((await kv.get({ key: "k" })).value).toString()).toBe("v");
    } finally {
      await client.close();
    }
    expect(existsSync(traceFile), `no module trace was written to ${traceFile}`).toBe(true);
    return readFileSync(traceFile, "utf8").split("\n");
  } finally {
    dir.cleanup();
  }
}

async function pluginModules(engine: "h2" | "grpc-js"): Promise<string[]> {
  return (await pluginLoads(engine)).filter((url) => url.includes("/node_modules/@grpc/grpc-js/")).map((url) => url.slice(url.indexOf("@grpc/grpc-js/")));
}

describe("grpc-js is loaded only when it runs", () => {
  it("an h2 plugin loads grpc-js's metadata module and nothing else of it", async () => {
    expect(await pluginModules("h2")).toEqual(["@grpc/grpc-js/build/src/metadata.js"]);
  });

  it("a grpc-js plugin loads grpc-js's index (the trace sees it)", async () => {
    expect(await pluginModules("grpc-js")).toContain("@grpc/grpc-js/build/src/index.js");
  });
});

describe("node:http2 is loaded only when it runs", () => {
  it("an h2 plugin on the runtime's own HTTP/2 (the default) does not load node:http2 (or node:http)", async () => {
    const loads = await pluginLoads("h2");
    expect(loads).toContain("node:tls");
    expect(loads).not.toContain("node:http2");
    expect(loads).not.toContain("node:http");
  });

  it("one on PLUGIN_H2_HTTP2=node does (the trace sees it)", async () => {
    expect(await pluginLoads("h2", { PLUGIN_H2_HTTP2: "node" })).toContain("node:http2");
  });
});
