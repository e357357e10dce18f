// Checks shared by the suites that run a built KV plugin (the go-plugin example's, as an
// executable of `rpcplugin build` with or without --snapshot) with no node on PATH.
import { startPlugin } from "@rpcplugin/runtime";
import { expect } from "vitest";
import { handshake, kvPlugins, socketsIn, tempDir, waitProcessGone } from "../fixture.js";
import { buildGo, runGo, shellQuote } from "./go.js";

/** Our TS host runs the built KV plugin: put/get, the handshake's AutoMTLS field and socket, logs, a clean exit, nothing left. */
export async function expectServesTsHost(command: string, autoMTLS: boolean, env: Record<string, string>): Promise<void> {
  const work = tempDir("rpcplugin-built-kv-");
  const logs: string[] = [];
  try {
    const client = await startPlugin({
      command,
      handshake,
      plugins: kvPlugins,
      autoMTLS,
      env,
      cwd: work.path,
      unixSocketDir: work.path,
      onLog: (r) => logs.push(r.message),
    });
    try {
      const store = client.dispense("kv_grpc");
      await store.put({ key: "k", value: Buffer.from("v") });
      expect(Buffer.from((await store.get({ key: "k" })).value).toString()).toBe("v\n\nWritten from plugin-ts-grpc");
      expect((client.handshake?.line.split("|")[5] ?? "") !== "").toBe(autoMTLS);
      // The socket is where this start's PLUGIN_UNIX_SOCKET_DIR said.
      expect(client.handshake?.line.split("|")[3]).toMatch(new RegExp(`^${work.path}/`));
    } finally {
      await client.close();
    }
    expect(client.exit).toEqual({ code: 0, signal: null });
    expect(await waitProcessGone(client.pid)).toBe(true);
    expect(socketsIn(work.path)).toEqual([]);
    expect(logs).toContain("plugin address");
  } finally {
    work.cleanup();
  }
}

/** The built KV plugin serves on the grpc-js engine when the host asks for it. */
export async function expectServesOnGrpcJs(command: string, env: Record<string, string>, cwd: string): Promise<void> {
  const client = await startPlugin({
    command,
    handshake,
    plugins: kvPlugins,
    engine: "grpc-js",
    env: { ...env, PLUGIN_RPC_ENGINE: "grpc-js" },
    cwd,
    onLog: () => {},
  });
  try {
    await client.dispense("kv_grpc").put({ key: "e", value: Buffer.from("grpc-js") });
    expect(Buffer.from((await client.dispense("kv_grpc").get({ key: "e" })).value).toString()).toContain("grpc-js");
  } finally {
    await client.close();
  }
  expect(client.exit).toEqual({ code: 0, signal: null });
}

/** go-plugin's examples/grpc host puts `value` into the plugin `build` made, gets it back, leaves nothing running. */
export async function expectGoHostRoundTrip(build: (out: string) => Promise<void>, env: Record<string, string>, value: string): Promise<void> {
  const host = await buildGo("kv", "github.com/hashicorp/go-plugin/examples/grpc");
  const work = tempDir("rpcplugin-built-kv-go-");
  try {
    const plugin = `${work.path}/kv-plugin`;
    await build(plugin);
    const hostEnv = { ...env, KV_PLUGIN: shellQuote(plugin), KV_PROTO: "grpc" };
    const put = await runGo(host, ["put", "hello", value], { env: hostEnv, cwd: work.path });
    expect(put.code, put.stderr).toBe(0);
    const get = await runGo(host, ["get", "hello"], { env: hostEnv, cwd: work.path });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(`${value}\n\nWritten from plugin-ts-grpc\n`);
    expect([...put.leftoverPids, ...get.leftoverPids]).toEqual([]);
  } finally {
    work.cleanup();
  }
}
