// Nothing a plugin prints inside serve() may come before its handshake line: what a
// versionedPlugins loader, a plugin's register() or the first health check write is held
// and reaches the host over plugin.GRPCStdio, in order; if the start then fails, it is
// written to the real stderr, where the host's error quotes it.
import { join } from "node:path";
import { PluginExitedError, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, handshake, kvPlugins, repoRoot, socketsIn, tempDir, waitProcessGone } from "./fixture.js";

const noisyPlugin = join(repoRoot, "fixtures", "ts-plugin", "noisy-start-plugin.mjs");

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function socketDir(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** The GRPCStdio chunks as they arrived, adjacent chunks of one channel joined. */
function interleavedSinks() {
  const segments: [channel: "stdout" | "stderr", text: string][] = [];
  const sink = (channel: "stdout" | "stderr") => (chunk: Buffer) => {
    const last = segments.at(-1);
    if (last?.[0] === channel) last[1] += chunk.toString();
    else segments.push([channel, chunk.toString()]);
  };
  return { syncStdout: sink("stdout"), syncStderr: sink("stderr"), segments };
}

describe("output printed inside serve() before the handshake", () => {
  it("does not corrupt the handshake and reaches the host over GRPCStdio, in order", async () => {
    const dir = socketDir();
    const { segments, ...sinks } = interleavedSinks();
    const client = await startPlugin({ command: noisyPlugin, handshake, plugins: kvPlugins, unixSocketDir: dir, ...sinks });
    cleanups.push(() => client.close());

    expect(client.handshake?.line).toMatch(/^1\|1\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+$/);
    const { value } = await client.dispense("kv_grpc").get({ key: "still talking" });
    expect(Buffer.from(value).toString()).toBe("still talking");
    const expected = [
      ["stdout", "loader: console.log\n"],
      ["stderr", "loader: console.error\n"],
      ["stdout", "loader: process.stdout.write, no newline|register: process.stdout.write\nregister: console.log\nhealth check: process.stdout.write\n"],
    ];
    await eventually(() => JSON.stringify(segments) === JSON.stringify(expected));
    expect(segments).toEqual(expected);

    const pid = client.pid;
    await client.close();
    expect(await waitProcessGone(pid)).toBe(true);
    expect(socketsIn(dir)).toEqual([]);
  });

  it("is written to the real stderr when the start then fails, so the host's error quotes it", async () => {
    const dir = socketDir();
    const error = await startPlugin({
      command: noisyPlugin,
      handshake,
      plugins: kvPlugins,
      unixSocketDir: dir,
      env: { FIXTURE_MODE: "loader-throws" },
      onLog: () => {},
    }).catch((caught: unknown) => caught);

    // Not a HandshakeError: nothing reached the real stdout, not even a line of the plugin's.
    expect(error).toBeInstanceOf(PluginExitedError);
    const exited = error as PluginExitedError;
    expect(exited.exitCode).toBe(1);
    const tail = exited.stderrTail;
    const printed = ["loader: console.log", "loader: console.error", "loader: process.stdout.write, no newline|"];
    // The held output in write order, each on its own line, then the start error's log record.
    const first = tail.indexOf(printed[0] as string);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(tail.slice(first, first + printed.length)).toEqual(printed);
    expect(tail[first + printed.length]).toContain("plugin init error");
    expect(tail[first + printed.length]).toContain("fixture: the loader fails on purpose after printing");
    for (const line of printed) expect(exited.message).toContain(line);
    expect(socketsIn(dir)).toEqual([]);
  });
});
