// `rpcplugin bundle`: one executable file that a go-plugin host launches as it is, from a folder
// where no package resolves (no node_modules).
import { accessSync, constants, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startPlugin } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/main.js";
import { handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";
import { buildGo, describeGo, runGo, shellQuote } from "./support/go.js";

const kvEntry = join(repoRoot, "examples", "go-plugin", "dist", "kv", "main.js");
const dir = tempDir("rpcplugin-cli-bundle-");
afterAll(() => dir.cleanup());

async function cli(...argv: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await main(argv, (text) => {
    output += text;
  });
  return { code, output };
}

describe("rpcplugin bundle", () => {
  let bundled = "";
  beforeAll(async () => {
    bundled = join(dir.path, "kv-plugin");
    const { code, output } = await cli("bundle", kvEntry, "--out", bundled);
    expect(output).toBe(`wrote ${bundled}\n(without the .mjs extension Node runs it as an ES module by module syntax detection: Node ≥ 20.19 or ≥ 22.7)\n`);
    expect(code).toBe(0);
  });

  it("writes one executable file starting with a #! line, where no package resolves", () => {
    accessSync(bundled, constants.X_OK);
    expect(readFileSync(bundled, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node");
    expect(readdirSync(dir.path)).toEqual(["kv-plugin"]);
    expect(() => createRequire(join(dir.path, "probe.js")).resolve("@grpc/grpc-js")).toThrow(/Cannot find module/);
  });

  it("serves our TS host: put/get and a clean exit", async () => {
    const work = tempDir("rpcplugin-cli-bundle-kv-");
    try {
      const client = await startPlugin({ command: bundled, handshake, plugins: kvPlugins, cwd: work.path, onLog: () => {} });
      try {
        const kv = client.dispense("kv_grpc");
        await kv.put({ key: "k", value: Buffer.from("v") });
        expect(Buffer.from((await kv.get({ key: "k" })).value).toString()).toBe("v\n\nWritten from plugin-ts-grpc");
      } finally {
        await client.close();
      }
      expect(client.exit).toEqual({ code: 0, signal: null });
    } finally {
      work.cleanup();
    }
  });

  it("keeps the entry's own #! line rather than adding a second", async () => {
    const entry = join(dir.path, "with-shebang.mjs");
    writeFileSync(entry, '#!/usr/bin/env node\nconsole.log("hi");\n');
    const out = join(dir.path, "with-shebang.bundle.mjs");
    expect((await cli("bundle", entry)).code).toBe(0);
    const lines = readFileSync(out, "utf8").split("\n");
    expect(lines[0]).toBe("#!/usr/bin/env node");
    expect(lines.filter((line) => line.startsWith("#!"))).toHaveLength(1);
  });

  it("refuses bad arguments with exit code 2, naming the problem", async () => {
    expect(await cli("bundle")).toMatchObject({ code: 2, output: expect.stringContaining("give the plugin's entry module") });
    expect(await cli("bundle", join(dir.path, "missing.js"))).toMatchObject({ code: 2, output: expect.stringContaining('missing.js" is not a file') });
    expect(await cli("bundle", kvEntry, "--colour")).toMatchObject({ code: 2, output: expect.stringContaining('unknown option "--colour"') });
    expect(await cli("bundle", kvEntry, "--out")).toMatchObject({ code: 2, output: expect.stringContaining("--out needs a file name") });
  });

  it("reports an import that cannot be bundled with its place, exit code 1, and writes nothing", async () => {
    const entry = join(dir.path, "broken.mjs");
    writeFileSync(entry, 'import { nothing } from "no-such-package-anywhere";\nconsole.log(nothing);\n');
    const out = join(dir.path, "broken.out.mjs");
    const { code, output } = await cli("bundle", entry, "--out", out);
    expect(code).toBe(1);
    expect(output).toContain(`could not bundle ${entry}`);
    expect(output).toMatch(/broken\.mjs:1:\d+: Could not resolve "no-such-package-anywhere"/);
    expect(readdirSync(dir.path)).not.toContain("broken.out.mjs");
  });
});

describeGo("rpcplugin bundle × go-plugin's examples/grpc host", () => {
  it("the Go host launches the bundled KV plugin copied alone into a folder: put/get as with the unbundled one", async () => {
    const host = await buildGo("kv", "github.com/hashicorp/go-plugin/examples/grpc");
    const work = tempDir("rpcplugin-cli-bundle-go-");
    try {
      const plugin = join(work.path, "kv-plugin");
      expect((await cli("bundle", kvEntry, "--out", plugin)).code).toBe(0);
      const alone = join(work.path, "alone");
      mkdirSync(alone);
      copyFileSync(plugin, join(alone, "kv-plugin"));
      const env = { KV_PLUGIN: shellQuote(join(alone, "kv-plugin")), KV_PROTO: "grpc" };
      const put = await runGo(host, ["put", "hello", "bundled"], { env, cwd: work.path });
      expect(put.code, put.stderr).toBe(0);
      const get = await runGo(host, ["get", "hello"], { env, cwd: work.path });
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toBe("bundled\n\nWritten from plugin-ts-grpc\n");
      expect([...put.leftoverPids, ...get.leftoverPids]).toEqual([]);
    } finally {
      work.cleanup();
    }
  });
});
