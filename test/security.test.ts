// Security by default, checked from outside: the magic cookie never reaches a log record, the
// plugin's stdio or an error message, whatever happens; unix socket files are private wherever the
// socket directory is (a symlink to a directory, a world-writable one as /tmp is) and are removed.
// (Clients other than the host on an AutoMTLS socket: test/bad-inputs.test.ts, "TLS".)
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, realpathSync, statSync, symlinkSync } from "node:fs";
import path from "node:path";
import { PluginError, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { fixturePlugin, kvPlugins, socketsIn, tempDir, waitProcessGone } from "./fixture.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const secret = () => ({
  magicCookieKey: `RPCPLUGIN_COOKIE_${randomBytes(6).toString("hex").toUpperCase()}`,
  magicCookieValue: randomBytes(16).toString("hex"),
});

describe("the magic cookie stays out of logs, stdio and errors", () => {
  it("a whole life at trace level: host and plugin log records, GRPCStdio, calls, close", async () => {
    const handshake = secret();
    const seen: string[] = [];
    const client = await startPlugin({
      command: fixturePlugin,
      handshake,
      plugins: kvPlugins,
      env: {
        FIXTURE_COOKIE_KEY: handshake.magicCookieKey,
        FIXTURE_COOKIE_VALUE: handshake.magicCookieValue,
        FIXTURE_LOG_LEVEL: "trace",
        PLUGIN_LOG_LEVEL: "trace",
      },
      onLog: (record) => seen.push(JSON.stringify(record)),
      syncStdout: (chunk) => seen.push(chunk.toString()),
      syncStderr: (chunk) => seen.push(chunk.toString()),
    });
    try {
      const kv = client.dispense("kv_grpc");
      await kv.put({ key: "print", value: Buffer.from("printed") });
      await kv.put({ key: "k", value: Buffer.from("v") });
      await kv.get({ key: "k" });
    } finally {
      await client.close();
    }
    expect(seen.length).toBeGreaterThan(3);
    const text = seen.join("\n");
    expect(text).toContain("printed");
    expect(text).not.toContain(handshake.magicCookieValue);
    expect(text).not.toContain(handshake.magicCookieKey);
  });

  for (const [what, env] of [
    ["a plugin expecting another cookie value", { FIXTURE_COOKIE_VALUE: "something else" }],
    ["a plugin that exits before its handshake", { FIXTURE_MODE: "exit-early" }],
    ["a plugin that prints garbage", { FIXTURE_MODE: "garbage" }],
  ] as const) {
    it(`${what}: the error and the log records name neither the key nor the value`, async () => {
      const handshake = secret();
      const seen: string[] = [];
      const error = await startPlugin({
        command: fixturePlugin,
        handshake,
        plugins: kvPlugins,
        startTimeoutMs: 10_000,
        // The cases' own variables win (one gives the plugin another cookie value).
        env: Object.assign({ FIXTURE_COOKIE_KEY: handshake.magicCookieKey, FIXTURE_COOKIE_VALUE: handshake.magicCookieValue }, env),
        onLog: (record) => seen.push(JSON.stringify(record)),
      }).then(
        async (client) => {
          await client.close();
          throw new Error("the start succeeded");
        },
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PluginError);
      const text = [String((error as Error).message), String((error as Error).stack), ...seen].join("\n");
      expect(text).not.toContain(handshake.magicCookieValue);
      expect(text).not.toContain(handshake.magicCookieKey);
    });
  }
});

describe("unix socket files wherever the socket directory is", () => {
  async function serveIn(unixSocketDir: string) {
    const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
    const client = await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins, unixSocketDir, onLog: () => {} });
    cleanups.push(() => client.close());
    const address = client.handshake?.line.split("|")[3] ?? "";
    return { client, address };
  }

  it("a symlink to a directory: the socket is made in the target, private (0600), and removed at close", async () => {
    const dir = tempDir("rpcplugin-sock-");
    cleanups.push(dir.cleanup);
    const target = path.join(dir.path, "target");
    mkdirSync(target);
    const link = path.join(dir.path, "link");
    symlinkSync(target, link, "dir");
    const { client, address } = await serveIn(link);
    expect(realpathSync(path.dirname(address))).toBe(realpathSync(target));
    expect(statSync(address).mode & 0o777).toBe(0o600);
    await client.dispense("kv_grpc").put({ key: "k", value: Buffer.from("v") });
    await client.close();
    expect(await waitProcessGone(client.pid)).toBe(true);
    expect(socketsIn(target)).toEqual([]);
  });

  it("a world-writable directory with the sticky bit (as /tmp): the socket is still private (0600)", async () => {
    const dir = tempDir("rpcplugin-sock-");
    cleanups.push(dir.cleanup);
    chmodSync(dir.path, 0o1777);
    const { client, address } = await serveIn(dir.path);
    expect(statSync(address).mode & 0o777).toBe(0o600);
    await client.close();
    expect(socketsIn(dir.path)).toEqual([]);
  });
});
