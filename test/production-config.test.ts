// Configuration precedence through a real plugin process: explicit serve()
// option > PLUGIN_* variable > default, as the plugin reports its effective
// configuration, and as it behaves (the transport it listens on). Host-side
// variables checked through startPlugin().
import { join } from "node:path";
import { ConfigError, type PluginClient, type PluginSet, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { handshake, kvPlugins, repoRoot } from "./fixture.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "production-plugin.mjs");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

describe("plugin configuration precedence (real process)", () => {
  const env = { PLUGIN_TRANSPORT: "tcp", PLUGIN_LOG_LEVEL: "warn", PLUGIN_SHUTDOWN_GRACE_MS: "750", PLUGIN_RATE_LIMIT: "50" };
  const explicit = { FIXTURE_EXPLICIT_NETWORK: "unix", FIXTURE_EXPLICIT_LOG_LEVEL: "error", FIXTURE_EXPLICIT_GRACE_MS: "120" };
  it.each([
    { row: "defaults only", vars: {}, want: { network: "unix", logLevel: "debug", shutdownGraceMs: 2000 } },
    {
      row: "environment over defaults",
      vars: env,
      want: { network: "tcp", logLevel: "warn", shutdownGraceMs: 750, rateLimit: { ratePerSecond: 50, burst: 50 } },
    },
    {
      row: "explicit over environment",
      vars: { ...env, ...explicit },
      want: { network: "unix", logLevel: "error", shutdownGraceMs: 120, rateLimit: { ratePerSecond: 50, burst: 50 } },
    },
    { row: "explicit over defaults", vars: explicit, want: { network: "unix", logLevel: "error", shutdownGraceMs: 120 } },
    {
      row: "mixed: one explicit, the rest from the environment",
      vars: { ...env, FIXTURE_EXPLICIT_GRACE_MS: "40" },
      want: { network: "tcp", logLevel: "warn", shutdownGraceMs: 40, rateLimit: { ratePerSecond: 50, burst: 50 } },
    },
  ])("$row", async ({ vars, want }) => {
    const client = track(await startPlugin({ command: plugin, handshake, plugins: kvPlugins, env: vars, onLog: () => {} }));
    const reported = JSON.parse(Buffer.from((await client.dispense("kv_grpc").get({ key: "config" })).value).toString());
    expect(reported).toMatchObject(want);
    expect(reported.rateLimit).toEqual((want as { rateLimit?: unknown }).rateLimit);
    expect(client.address.network).toBe(want.network);
  });

  it("a bad PLUGIN_* value fails the start with the variable, the value and what is accepted", async () => {
    const error = await startPlugin({ command: plugin, handshake, plugins: kvPlugins, env: { PLUGIN_SHUTDOWN_GRACE_MS: "soon" }, onLog: () => {} }).catch(
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("plugin exited with exit code 1");
    expect((error as Error).message).toContain('PLUGIN_SHUTDOWN_GRACE_MS=\\"soon\\" is not a duration in milliseconds (a whole number ≥ 0)');
  });
});

describe("host configuration", () => {
  const hanging = {
    command: join(repoRoot, "fixtures", "ts-plugin", "plugin.mjs"),
    handshake,
    plugins: kvPlugins,
    env: { FIXTURE_MODE: "hang" },
    onLog: () => {},
  };

  it("reads PLUGIN_START_TIMEOUT_MS from configEnv; the explicit option wins", async () => {
    await expect(startPlugin({ ...hanging, configEnv: { PLUGIN_START_TIMEOUT_MS: "400" } })).rejects.toThrow(/no handshake line on stdout within 400 ms/);
    await expect(startPlugin({ ...hanging, startTimeoutMs: 300, configEnv: { PLUGIN_START_TIMEOUT_MS: "400" } })).rejects.toThrow(
      /no handshake line on stdout within 300 ms/,
    );
  });

  it("a bad host variable is a ConfigError before anything is started", async () => {
    const error = await startPlugin({ ...hanging, configEnv: { PLUGIN_START_TIMEOUT_MS: "0" } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('PLUGIN_START_TIMEOUT_MS="0" is not a duration in milliseconds (a whole number ≥ 1)');
  });
});
