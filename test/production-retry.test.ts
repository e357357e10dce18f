// Start retries through real plugin processes: a plugin that fails its first
// two starts is reached on the third; every failed attempt is cleaned up
// (process group killed, socket file removed) before the next; without a
// retry policy nothing is retried.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type PluginClient, PluginExitedError, type PluginSet, StartTimeoutError, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { handshake, kvPlugins, processGone, repoRoot, socketsIn, tempDir } from "./fixture.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "production-plugin.mjs");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}
function scratch() {
  const dir = tempDir("rpcplugin-retry-");
  cleanups.push(dir.cleanup);
  return { dir: dir.path, attempts: join(dir.path, "attempts") };
}
const startsMade = (file: string) => Number(readFileSync(file, "utf8"));
const retry = { attempts: 3, initialDelayMs: 20, maxDelayMs: 100 };

describe("start retries", () => {
  it("reaches a plugin that exits 1 on its first two starts on the third", async () => {
    const { dir, attempts } = scratch();
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        unixSocketDir: dir,
        env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_FAIL_STARTS: "2" },
        retry,
        onLog: () => {},
      }),
    );
    expect(startsMade(attempts)).toBe(3);
    await client.dispense("kv_grpc").put({ key: "k", value: Buffer.from("v") });
    expect(socketsIn(dir)).toHaveLength(1);
  });

  it("without a retry policy (the default) the first failure is the answer", async () => {
    const { attempts } = scratch();
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_FAIL_STARTS: "2" },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as Error).message).not.toContain("gave up");
    expect(startsMade(attempts)).toBe(1);
  });

  it("gives up when the attempts run out, with the last error and the count", async () => {
    const { attempts } = scratch();
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_FAIL_STARTS: "5" },
      retry: { ...retry, attempts: 2 },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as Error).message).toMatch(/gave up starting the plugin after 2 attempts in \d+ ms: no attempts left/);
    expect((error as Error).message).toContain("fixture: failing start 2 on purpose");
    expect(startsMade(attempts)).toBe(2);
  });

  it("PLUGIN_START_ATTEMPTS in the host's configEnv turns retries on", async () => {
    const { attempts } = scratch();
    track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_FAIL_STARTS: "1" },
        configEnv: { PLUGIN_START_ATTEMPTS: "2" },
        retry: { initialDelayMs: 10, maxDelayMs: 10 },
        onLog: () => {},
      }),
    );
    expect(startsMade(attempts)).toBe(2);
  });

  it("kills each start that never handshakes before trying again", async () => {
    const { attempts } = scratch();
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_HANG_STARTS: "2" },
        startTimeoutMs: 4000, // each hung start costs this much; the good start must fit in it on a loaded machine
        retry,
        onLog: () => {},
      }),
    );
    expect(startsMade(attempts)).toBe(3);
    const hung = readFileSync(`${attempts}.pids`, "utf8").trim().split("\n").map(Number);
    expect(hung).toHaveLength(2);
    for (const pid of hung) expect(processGone(pid)).toBe(true);
    expect(processGone(client.pid)).toBe(false);
  });

  it("removes the socket of each start it could not connect to before trying again", async () => {
    const { dir, attempts } = scratch();
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        unixSocketDir: dir,
        autoMTLS: false,
        connectTimeoutMs: 1000,
        env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_DEAF_STARTS: "2" },
        retry,
        onLog: () => {},
      }),
    );
    expect(startsMade(attempts)).toBe(3);
    expect(socketsIn(dir)).toEqual([client.address.address.slice(dir.length + 1)]);
  });

  it("the total timeout bounds the whole start, across attempts", async () => {
    const { attempts } = scratch();
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: { FIXTURE_ATTEMPTS_FILE: attempts, FIXTURE_HANG_STARTS: "10" },
      retry: { attempts: 10, initialDelayMs: 10, maxDelayMs: 10, totalTimeoutMs: 1500 },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StartTimeoutError);
    // The first attempt's start timeout is cut to the 1500 ms budget (not go-plugin's 60 s).
    expect((error as Error).message).toMatch(/within \d+ ms/);
    expect((error as Error).message).toContain("gave up starting the plugin after 1 attempt");
    for (const pid of readFileSync(`${attempts}.pids`, "utf8").trim().split("\n").map(Number)) expect(processGone(pid)).toBe(true);
  });
});
