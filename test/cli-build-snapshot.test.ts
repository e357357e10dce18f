// `rpcplugin build --snapshot`: a standalone executable that starts from a V8 startup snapshot
// taken after the plugin's modules were imported (at build time), serve() called when it starts.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startPlugin } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExecutable, withoutBuilderNoise } from "../packages/cli/src/build.js";
import { handshake, kvPlugins, repoRoot, tempDir } from "./fixture.js";
import { expectGoHostRoundTrip, expectServesOnGrpcJs, expectServesTsHost } from "./support/built-kv.js";
import { runCli } from "./support/cli.js";
import { describeGo } from "./support/go.js";
import { noNodePath } from "./support/no-node-path.js";

const kvEntry = join(repoRoot, "examples", "go-plugin", "dist", "kv", "main.js");
const fixture = (name: string) => join(repoRoot, "fixtures", "ts-plugin", name);
const dir = tempDir("rpcplugin-cli-snapshot-");
const withoutNode = noNodePath();
const noNode = withoutNode.env;
afterAll(() => {
  dir.cleanup();
  withoutNode.cleanup();
});

const cli = (...argv: string[]) => runCli(argv);

/** `out` in a folder of its own (no node_modules can resolve there). */
function outFile(name: string): string {
  const folder = join(dir.path, name);
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
}

describe("rpcplugin build --snapshot", () => {
  let kv = "";
  beforeAll(async () => {
    kv = outFile("kv");
    const { code, output } = await cli("build", kvEntry, "--out", kv, "--snapshot");
    expect(output).toMatch(new RegExp(`^wrote ${kv} \\(\\d+\\.\\d MiB, startup snapshot\\)\\n$`));
    expect(code).toBe(0);
  }, 120_000);

  it("run by hand (no cookie, no node on PATH), it answers as a plugin does", () => {
    const run = spawnSync(kv, [], { env: { ...noNode, RPCPLUGIN_BUILD_DEBUG: "1" }, encoding: "utf8" });
    expect(run.stderr).toContain("rpcplugin build: started from the snapshot");
    expect(run.stderr).toContain("This binary is a plugin. These are not meant to be executed directly.");
    expect(run.status).toBe(1);
  });

  for (const autoMTLS of [true, false]) {
    it(`serves our TS host with AutoMTLS ${autoMTLS ? "on" : "off"}: put/get, logs, a clean exit, nothing left`, () =>
      expectServesTsHost(kv, autoMTLS, noNode));
  }

  it("runs on the grpc-js engine too: grpc-js, kept out of the snapshot, loads from the executable when first used", () =>
    expectServesOnGrpcJs(kv, noNode, dir.path));

  it("makes its AutoMTLS certificate on each start: two starts, two certificates", async () => {
    const certificates: string[] = [];
    for (let i = 0; i < 2; i++) {
      const client = await startPlugin({ command: kv, handshake, plugins: kvPlugins, env: noNode, cwd: dir.path, onLog: () => {} });
      try {
        certificates.push(client.handshake?.line.split("|")[5] ?? "");
      } finally {
        await client.close();
      }
    }
    expect(certificates[0]).not.toBe("");
    expect(certificates[0]).not.toBe(certificates[1]);
  });

  it("what runs at import is the build's; what runs once serving is the start's: environment, arguments, import.meta, code after serve()", async () => {
    const out = outFile("reads");
    const previous = process.env.SNAPSHOT_VALUE;
    process.env.SNAPSHOT_VALUE = "at-build";
    try {
      await buildExecutable({ entry: fixture("snapshot-plugin.mjs"), out, snapshot: true });
    } finally {
      if (previous === undefined) delete process.env.SNAPSHOT_VALUE;
      else process.env.SNAPSHOT_VALUE = previous;
    }
    const client = await startPlugin({
      command: out,
      args: ["one", "two"],
      handshake,
      plugins: kvPlugins,
      env: { ...noNode, SNAPSHOT_VALUE: "at-start" },
      cwd: dir.path,
      onLog: () => {},
    });
    try {
      const answer = async (key: string) => Buffer.from((await client.dispense("kv_grpc").get({ key })).value).toString();
      expect(await answer("env")).toBe("at-start");
      expect(await answer("import")).toBe("at-build");
      expect(await answer("argv")).toBe("one two");
      expect(await answer("file")).toBe(`file://${out}`);
      expect(await answer("served")).toBe("true");
    } finally {
      await client.close();
    }
    expect(client.exit).toEqual({ code: 0, signal: null });
  });

  it("refuses what cannot be in a snapshot, each with a typed error naming what to do", async () => {
    const tls = await cli("build", fixture("tls-at-import-plugin.mjs"), "--out", outFile("tls"), "--snapshot");
    expect(tls.code).toBe(1);
    expect(tls.output).toContain(
      "node:tls cannot be in a startup snapshot, and the plugin used it while the snapshot was built (while its modules were imported): use it only once serving",
    );
    expect(tls.output).toContain("or build without --snapshot");

    await expect(
      buildExecutable({ entry: fixture("timer-at-import-plugin.mjs"), out: outFile("timer"), snapshot: true, timeoutMs: 5000 }),
    ).rejects.toMatchObject({
      name: "BuildError",
      reason: "snapshot",
      message: expect.stringContaining("something the entry starts while it is imported (a timer, a server, a connection) keeps it busy"),
    });

    const noServe = await cli("build", fixture("no-serve-plugin.mjs"), "--out", outFile("no-serve"), "--snapshot");
    expect(noServe.code).toBe(1);
    expect(noServe.output).toContain("the entry did not call serve() (or serveProvider()) while the startup snapshot was built");
  }, 120_000);

  it("the builder's notes on built-ins and its native stack frames are left out of an error", () => {
    const output = [
      `(node:1) Warning: It's not yet fully verified whether built-in module "node:vm" works in user snapshot builder scripts.`,
      "It may still work in some cases, but in other cases certain run-time states may be out-of-sync after snapshot deserialization.",
      "To request support for the module, use the Node.js issue tracker: https://github.com/nodejs/node/issues",
      "(Use `node --trace-warnings ...` to show where the warning was created)",
      "TypeError: the real reason",
      " 1: 0xd32b41  [/usr/bin/node]",
      "(node:1) ExperimentalWarning: Single executable application is an experimental feature and might change at any time",
    ].join("\n");
    expect(withoutBuilderNoise(output)).toBe("TypeError: the real reason");
  });
});

describeGo("rpcplugin build --snapshot × go-plugin's examples/grpc host", () => {
  it(
    "the Go host launches the snapshot-built KV plugin with no node on PATH: put/get, nothing left",
    () =>
      expectGoHostRoundTrip(async (out) => expect((await buildExecutable({ entry: kvEntry, out, snapshot: true })).snapshot).toBe(true), noNode, "snapshot"),
    120_000,
  );
});
