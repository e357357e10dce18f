// Application health through a real plugin process: the plugin's health check
// callback flips NOT_SERVING and back, a TypeScript host's watcher sees both
// transitions; go-plugin's own host still pings the plugin as alive while the
// application is NOT_SERVING ("plugin" is go-plugin's liveness check; the
// application's status lives on "" and its service names).
import { join } from "node:path";
import { Code, type PluginClient, type PluginSet, RpcError, ServingStatus, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, handshake, kvPlugins, repoRoot } from "./fixture.js";
import { describeGo, runHost } from "./support/go.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "health-plugin.mjs");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = ServingStatus;

describe("application health (TypeScript host, real plugin process)", () => {
  it("the host's watcher sees NOT_SERVING and SERVING again; ping stays alive; the watch ends NOT_SERVING with the client", async () => {
    const client = track(await startPlugin({ command: plugin, handshake, plugins: kvPlugins, onLog: () => {} }));
    const kv = client.dispense("kv_grpc");
    const seen: ServingStatus[] = [];
    const watching = (async () => {
      for await (const status of client.watchHealth()) seen.push(status);
    })();
    expect(await eventually(() => seen.length === 1)).toBe(true);
    expect(seen).toEqual([SERVING]);
    expect(await client.health()).toBe(SERVING);

    await kv.put({ key: "health", value: Buffer.from("NOT_SERVING") });
    expect(await eventually(() => seen.length === 2)).toBe(true);
    expect(seen).toEqual([SERVING, NOT_SERVING]);
    expect(await client.health()).toBe(NOT_SERVING);
    expect(await client.health({ service: "proto.KV" })).toBe(NOT_SERVING);
    // go-plugin's liveness check is unaffected: the process is alive and serving gRPC.
    await client.ping();
    expect(await client.health({ service: "plugin" })).toBe(SERVING);

    await kv.put({ key: "health", value: Buffer.from("SERVING") });
    expect(await eventually(() => seen.length === 3)).toBe(true);
    expect(seen).toEqual([SERVING, NOT_SERVING, SERVING]);
    expect(await client.health({ service: "proto.KV" })).toBe(SERVING);

    await client.close();
    await watching;
    expect(seen).toEqual([SERVING, NOT_SERVING, SERVING, NOT_SERVING]);
  });

  it("a plugin killed mid-watch: the watch ends with NOT_SERVING", async () => {
    const client = track(await startPlugin({ command: plugin, handshake, plugins: kvPlugins, onLog: () => {} }));
    const seen: ServingStatus[] = [];
    const watching = (async () => {
      for await (const status of client.watchHealth()) seen.push(status);
    })();
    expect(await eventually(() => seen.length === 1)).toBe(true);
    process.kill(client.pid as number, "SIGKILL");
    await watching;
    expect(seen).toEqual([SERVING, NOT_SERVING]);
    expect(await eventually(() => client.exit !== undefined)).toBe(true);
    expect(client.exit?.signal).toBe("SIGKILL");
  });

  it("a plugin that starts NOT_SERVING reports it from its first check on", async () => {
    const client = track(await startPlugin({ command: plugin, handshake, plugins: kvPlugins, env: { FIXTURE_START_STATUS: "NOT_SERVING" }, onLog: () => {} }));
    expect(await client.health()).toBe(NOT_SERVING);
    await client.ping();
  });

  it("an unknown service name: health() fails NOT_FOUND, watchHealth() reads SERVICE_UNKNOWN", async () => {
    const client = track(await startPlugin({ command: plugin, handshake, plugins: kvPlugins, onLog: () => {} }));
    const error = await client.health({ service: "no.Such" }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.NOT_FOUND);
    for await (const status of client.watchHealth({ service: "no.Such" })) {
      expect(status).toBe(SERVICE_UNKNOWN);
      break;
    }
  });

  it("a watch stopped by its own signal fails with the signal's reason, as any call", async () => {
    const client = track(await startPlugin({ command: plugin, handshake, plugins: kvPlugins, onLog: () => {} }));
    const controller = new AbortController();
    const statuses: ServingStatus[] = [];
    const failure = await (async () => {
      for await (const status of client.watchHealth({ signal: controller.signal })) {
        statuses.push(status);
        controller.abort(new RpcError("enough", Code.CANCELLED));
      }
    })().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(statuses).toEqual([SERVING]);
    expect(failure).toBeInstanceOf(RpcError);
    expect((failure as RpcError).rawMessage).toBe("enough");
  });
});

describeGo("application health seen by go-plugin's host", () => {
  it('a Go host\'s Ping (Health.Check "plugin") passes while the application reports NOT_SERVING', async () => {
    const report = await runHost({ plugin, env: { FIXTURE_START_STATUS: "NOT_SERVING" }, ops: ["get:health", "ping"] });
    expect(report.startError).toBeNull();
    expect(report.ops.map((op) => [op.op, op.ok, op.error])).toEqual([
      ["get", true, null],
      ["ping", true, null],
    ]);
    expect(report.ops[0]?.value).toBe("NOT_SERVING");
    expect(report.harness.leftoverPids).toEqual([]);
  });
});
