// pyvider-rpcplugin 0.5.5 (Python, the system this project's design comes from) as a peer, both
// ways: its RPCPluginClient launches our TS KV plugin (fixtures/python/kv_host.py), and our
// startPlugin() launches a KV plugin on its server API (fixtures/python/kv_plugin.py); AutoMTLS on
// and off, unix and TCP. Every run must leave no process and no socket file. Where pyvider departs
// from go-plugin, the test pins what happens (README, "pyvider-rpcplugin").
import { readdirSync } from "node:fs";
import path from "node:path";
import { startPlugin } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixturePlugin, handshake, kvPlugins, tempDir, waitProcessGone } from "./fixture.js";
import { runGo } from "./support/go.js";
import { isProcessGone } from "./support/process.js";
import { describePython, pythonFixtures, pyviderPython } from "./support/python.js";

let python = "";
const dir = tempDir("rpcplugin-pyvider-");
afterAll(() => dir.cleanup());

const matrix = [
  { autoMTLS: true, network: "unix" },
  { autoMTLS: false, network: "unix" },
  { autoMTLS: true, network: "tcp" },
  { autoMTLS: false, network: "tcp" },
] as const;

interface HostReport {
  pid: number;
  address: string;
  transport: string;
  protocol_version: number;
  tls: boolean;
  get: string;
  health: string;
  exit_code: number | null;
}

describePython("pyvider-rpcplugin 0.5.5", () => {
  beforeAll(() => {
    python = pyviderPython();
  }, 600_000);

  describe("its host (RPCPluginClient) launches our TS plugin", () => {
    for (const { autoMTLS, network } of matrix) {
      it(`AutoMTLS ${autoMTLS ? "on" : "off"}, ${network}: put/get, health "plugin", GRPCStdio, Controller.Shutdown (exit 0), nothing left`, async () => {
        const tmp = path.join(dir.path, `host-${network}-${autoMTLS}`);
        const { mkdirSync } = await import("node:fs");
        mkdirSync(tmp, { recursive: true });
        const run = await runGo(python, [path.join(pythonFixtures, "kv_host.py"), process.execPath, fixturePlugin], {
          env: { PLUGIN_AUTO_MTLS: String(autoMTLS), FIXTURE_NETWORK: network, PROVIDE_LOG_LEVEL: "DEBUG", TMPDIR: tmp },
          timeoutMs: 60_000,
        });
        expect(run.code, run.stderr.slice(-3000)).toBe(0);
        const report = JSON.parse(run.stdout.trim().split("\n").pop() as string) as HostReport;
        expect(report).toMatchObject({ transport: network, tls: autoMTLS, protocol_version: 1, get: "from python", health: "SERVING", exit_code: 0 });
        if (network === "unix") expect(path.dirname(report.address)).toBe(tmp);
        else expect(report.address).toMatch(/^127\.0\.0\.1:\d+$/);
        // What the plugin printed inside a call came over GRPCStdio, which pyvider logs at debug.
        expect(run.stderr).toContain("Plugin stdout: printed by the plugin");
        expect(run.stderr).toContain("Plugin stderr: stderr:printed by the plugin");
        expect(isProcessGone(report.pid)).toBe(true);
        expect(run.leftoverPids).toEqual([]);
        expect(readdirSync(tmp)).toEqual([]);
      }, 90_000);
    }

    it("a value over pyvider's 4 MiB message limit: its host refuses our answer (RESOURCE_EXHAUSTED), nothing left", async () => {
      const tmp = path.join(dir.path, "host-big");
      const { mkdirSync, writeFileSync } = await import("node:fs");
      mkdirSync(tmp, { recursive: true });
      // A small host on the fixture host's helpers: Put 5 MiB (pyvider sends it), Get it back.
      const script = path.join(dir.path, "big.py");
      writeFileSync(
        script,
        [
          "import asyncio, json, os, sys",
          `sys.path.insert(0, ${JSON.stringify(pythonFixtures)})`,
          'os.environ.setdefault("PLUGIN_MAGIC_COOKIE_KEY", "BASIC_PLUGIN"); os.environ.setdefault("PLUGIN_MAGIC_COOKIE_VALUE", "hello")',
          "import grpc",
          "from pyvider.rpcplugin import plugin_client",
          "from kv_wire import field, identity",
          "async def main():",
          "    client = plugin_client(command=sys.argv[1:]); await client.start(); out = {}",
          "    try:",
          '        put = client.grpc_channel.unary_unary("/proto.KV/Put", request_serializer=identity, response_deserializer=identity)',
          '        get = client.grpc_channel.unary_unary("/proto.KV/Get", request_serializer=identity, response_deserializer=identity)',
          '        try: await put(field(1, b"big") + field(2, b"x" * (5 * 1024 * 1024))); out["put"] = "ok"',
          '        except grpc.RpcError as e: out["put"] = e.code().name',
          '        try: await get(field(1, b"big")); out["get"] = "ok"',
          '        except grpc.RpcError as e: out["get"] = e.code().name',
          "    finally:",
          "        await client.close()",
          "    print(json.dumps(out))",
          "asyncio.run(main())",
        ].join("\n"),
      );
      const run = await runGo(python, [script, process.execPath, fixturePlugin], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      const out = JSON.parse(run.stdout.trim().split("\n").pop() as string) as { put: string; get: string };
      // pyvider's channel sends 5 MiB (its send limit applies to its server) but will not receive it.
      expect(out).toEqual({ put: "ok", get: "RESOURCE_EXHAUSTED" });
      expect(run.leftoverPids).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    }, 90_000);
  });

  describe("our host (startPlugin) launches its plugin server", () => {
    for (const { autoMTLS, network } of matrix) {
      it(`AutoMTLS ${autoMTLS ? "on" : "off"}, ${network}: typed calls, stdio, logs, close() with nothing left`, async () => {
        const tmp = path.join(dir.path, `plugin-${network}-${autoMTLS}`);
        const { mkdirSync } = await import("node:fs");
        mkdirSync(tmp, { recursive: true });
        const logs: string[] = [];
        let stdout = "";
        const client = await startPlugin({
          command: python,
          args: [path.join(pythonFixtures, "kv_plugin.py")],
          handshake,
          plugins: kvPlugins,
          autoMTLS,
          env: { FIXTURE_NETWORK: network, TMPDIR: tmp },
          onLog: (record) => logs.push(record.message),
          syncStdout: (chunk) => (stdout += chunk),
        });
        try {
          expect(client.tls).toBe(autoMTLS);
          expect(client.handshake?.line.split("|")[2]).toBe(network);
          const kv = client.dispense("kv_grpc");
          await kv.put({ key: "k", value: Buffer.from("from typescript") });
          expect(Buffer.from((await kv.get({ key: "k" })).value).toString()).toBe("from typescript\n\nWritten from plugin-python-pyvider");
          await kv.put({ key: "print", value: Buffer.from("printed by python") });
          // pyvider serves no GRPCStdio: what its plugin prints after the handshake goes to its
          // real stdout (which go-plugin hosts discard) and stderr (our log records).
          await expect.poll(() => logs.some((line) => line.includes("printed by python"))).toBe(true);
        } finally {
          await client.close();
        }
        expect(stdout).toBe("");
        expect(client.exit).toEqual({ code: 0, signal: null });
        // pyvider ignores PLUGIN_UNIX_SOCKET_DIR; its socket is $TMPDIR/pyvider-<hex>.sock, removed at exit.
        if (network === "unix") expect(path.dirname(client.handshake?.line.split("|")[3] ?? "")).toBe(tmp);
        expect(await waitProcessGone(client.pid)).toBe(true);
        expect(readdirSync(tmp).filter((name) => !name.startsWith("."))).toEqual([]);
      }, 90_000);
    }

    it("16 MiB each way: pyvider's server takes up to 256 MiB, our host 2 GiB", async () => {
      const client = await startPlugin({ command: python, args: [path.join(pythonFixtures, "kv_plugin.py")], handshake, plugins: kvPlugins, onLog: () => {} });
      try {
        const kv = client.dispense("kv_grpc");
        const value = Buffer.alloc(16 * 2 ** 20, 0x61);
        await kv.put({ key: "big", value });
        const back = Buffer.from((await kv.get({ key: "big" })).value);
        expect(back.length).toBe(value.length + "\n\nWritten from plugin-python-pyvider".length);
        expect(back.subarray(0, value.length).equals(value)).toBe(true);
      } finally {
        await client.close();
      }
      expect(await waitProcessGone(client.pid)).toBe(true);
    }, 90_000);
  });
});
