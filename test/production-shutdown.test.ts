// Shutdown through a real plugin process: SIGTERM under load drains every
// accepted call and refuses new ones; a second signal forces the exit; the
// exit code tells a clean stop (0) from cut calls (2) and a forced exit (3).
import { join } from "node:path";
import { Code, type LogRecord, type PluginClient, PluginExitCode, type PluginSet, RpcError, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, handshake, kvPlugins, repoRoot } from "./fixture.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "production-plugin.mjs");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

async function launch(graceMs: number, env: Record<string, string> = {}) {
  const logs: LogRecord[] = [];
  const client = track(
    await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: { PLUGIN_SHUTDOWN_GRACE_MS: String(graceMs), ...env },
      onLog: (record) => logs.push(record),
    }),
  );
  const kv = client.dispense("kv_grpc");
  // Settled at once, so that a call failing before the test looks is not an unhandled rejection.
  const slowCalls = (count: number, ms: number) =>
    Promise.allSettled(Array.from({ length: count }, (_, index) => kv.put({ key: "slow", value: Buffer.from(String(ms)) }).then(() => index)));
  const started = (count: number) => eventually(() => logs.filter((record) => record.message === "slow call started").length >= count, 10_000);
  const logged = (message: string) => eventually(() => logs.some((record) => record.message.includes(message)), 10_000);
  const exited = async () => {
    expect(await eventually(() => client.exit !== undefined, 15_000)).toBe(true);
    return client.exit;
  };
  return { client, kv, slowCalls, started, logged, exited, signal: (name: NodeJS.Signals) => process.kill(client.pid as number, name) };
}

describe("SIGTERM", () => {
  it("under load loses no accepted call, refuses new ones, and exits 0", async () => {
    const plugin = await launch(10_000);
    const count = 20;
    const calls = plugin.slowCalls(count, 1500);
    expect(await plugin.started(count)).toBe(true);
    plugin.signal("SIGTERM");
    expect(await plugin.logged("plugin received SIGTERM")).toBe(true);
    const late = await plugin.kv.put({ key: "late", value: Buffer.from("x") }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(RpcError);
    expect((late as RpcError).code).toBe(Code.UNAVAILABLE);
    const results = await calls;
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(count);
    expect(await plugin.exited()).toEqual({ code: PluginExitCode.CLEAN, signal: null });
  });

  it("exits 2 when the grace period ends with calls still running (they are cut)", async () => {
    const plugin = await launch(300);
    const calls = plugin.slowCalls(3, 20_000);
    expect(await plugin.started(3)).toBe(true);
    plugin.signal("SIGTERM");
    const results = await calls;
    expect(results.every((result) => result.status === "rejected")).toBe(true);
    expect(await plugin.exited()).toEqual({ code: PluginExitCode.GRACE_EXPIRED, signal: null });
  });
});

describe("a second signal while draining", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s after SIGTERM forces the exit with code 3", async (second) => {
    const plugin = await launch(60_000);
    const calls = plugin.slowCalls(3, 60_000);
    expect(await plugin.started(3)).toBe(true);
    plugin.signal("SIGTERM");
    expect(await plugin.logged("plugin received SIGTERM")).toBe(true);
    plugin.signal(second);
    expect(await plugin.exited()).toEqual({ code: PluginExitCode.FORCED, signal: null });
    const results = await calls;
    expect(results.every((result) => result.status === "rejected")).toBe(true);
    expect(plugin.client.stderrTail.join("\n")).toContain("second stop signal while draining; exiting now");
  });

  it("SIGINT alone is still ignored (go-plugin), and does not count as a first stop signal", async () => {
    const plugin = await launch(60_000, { PLUGIN_LOG_LEVEL: "trace" });
    plugin.signal("SIGINT");
    plugin.signal("SIGINT");
    expect(await plugin.logged("plugin received interrupt signal, ignoring")).toBe(true);
    await plugin.kv.put({ key: "after", value: Buffer.from("interrupts") });
    expect(plugin.client.exit).toBeUndefined();
    // The next SIGTERM is the first stop signal: a graceful stop, not a forced one.
    plugin.signal("SIGTERM");
    expect(await plugin.exited()).toEqual({ code: PluginExitCode.CLEAN, signal: null });
  });
});
