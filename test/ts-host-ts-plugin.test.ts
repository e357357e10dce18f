// TypeScript host ↔ TypeScript plugin, through real processes: unix and TCP,
// AutoMTLS on and off, stdio forwarding, logs, broker callbacks, shutdown.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { type PluginClient, type PluginSet, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { collector, eventually, examplePlugin, fixturePlugin, handshake, kvPlugins, socketsIn, tempDir, waitProcessGone } from "./fixture.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The error code of connecting to `host:port` (undefined: it connected). */
function connectError(address: string): Promise<string | undefined> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) }, () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

describe.each([
  { network: "unix", autoMTLS: true },
  { network: "unix", autoMTLS: false },
  { network: "tcp", autoMTLS: true },
  { network: "tcp", autoMTLS: false },
] as const)("over $network with AutoMTLS $autoMTLS", ({ network, autoMTLS }) => {
  it("puts and gets, forwards stdio and logs, and stops leaving nothing behind", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const seen = collector();
    const client = track(
      await startPlugin({
        command: fixturePlugin,
        handshake,
        plugins: kvPlugins,
        autoMTLS,
        unixSocketDir: dir.path,
        env: { FIXTURE_NETWORK: network },
        ...seen.options,
      }),
    );
    expect(client.address.network).toBe(network);
    expect(client.tls).toBe(autoMTLS);
    if (network === "unix") {
      expect(client.address.address.startsWith(dir.path)).toBe(true);
      expect(socketsIn(dir.path)).toHaveLength(1);
    } else {
      expect(client.address.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const port = Number(client.address.address.split(":")[1]);
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port).toBeLessThanOrEqual(25000);
    }

    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "a", value: Buffer.from("one") });
    expect(Buffer.from((await kv.get({ key: "a" })).value).toString()).toBe("one");

    await kv.put({ key: "print", value: Buffer.from("bytes on stdout") });
    expect(await eventually(() => seen.stdout() === "bytes on stdout")).toBe(true);
    expect(await eventually(() => seen.stderr() === "stderr:bytes on stdout\n")).toBe(true);
    await kv.put({ key: "console", value: Buffer.from("a line") });
    expect(await eventually(() => seen.stdout() === "bytes on stdoutconsole.log:a line\n")).toBe(true);
    expect(await eventually(() => seen.logs.some((record) => record.message === "printed"))).toBe(true);
    const printed = seen.logs.find((record) => record.message === "printed");
    expect(printed).toMatchObject({ level: "info", fields: { bytes: 15 } });
    expect(printed?.timestamp).toBeInstanceOf(Date);
    await client.ping();

    const pid = client.pid;
    await client.close();
    expect(await waitProcessGone(pid)).toBe(true);
    expect(client.exit).toEqual({ code: 0, signal: null });
    expect(socketsIn(dir.path)).toEqual([]);
    if (network === "tcp") expect(await connectError(client.address.address)).toBe("ECONNREFUSED");
  });
});

describe("broker", () => {
  it("lets the counter plugin call the host's AddHelper back (example host)", async () => {
    const { execFile } = await import("node:child_process");
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["examples/go-plugin/dist/host/main.js"], { timeout: 30_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(output).toContain('get greeting -> "hello from the host\\n\\nWritten from plugin-ts-grpc"');
    expect(output).toContain("AddHelper.Sum(0, 1) called back by the plugin");
    expect(output).toContain("AddHelper.Sum(1, 2) called back by the plugin");
    expect(output).toContain("get hits -> 3");
  });
});

describe("lifecycle", () => {
  it("drains an in-flight call before the plugin exits on close()", async () => {
    const client = track(await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins }));
    const kv = client.dispense("kv_grpc");
    const slow = kv.put({ key: "slow", value: Buffer.from("300") });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.close();
    await expect(slow).resolves.toBeDefined();
    expect(client.exit).toEqual({ code: 0, signal: null });
  });

  it("kills a plugin that does not exit within the grace period, and removes the socket file it could not", async () => {
    const client = track(await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins, killGraceMs: 200 }));
    const socket = client.address.address;
    const kv = client.dispense("kv_grpc");
    const stuck = kv.put({ key: "slow", value: Buffer.from("60000") }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.close();
    expect(client.exit).toEqual({ code: null, signal: "SIGKILL" });
    expect(await stuck).toBeInstanceOf(Error);
    expect(existsSync(socket)).toBe(false);
  });

  it("ignores SIGINT like a Go plugin", async () => {
    const client = track(await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins }));
    process.kill(client.pid as number, "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.ping();
    expect(client.exit).toBeUndefined();
  });

  it("supports `await using`", async () => {
    let pid: number | undefined;
    let socket = "";
    {
      await using client = await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins });
      pid = client.pid;
      socket = client.address.address;
      await client.ping();
    }
    expect(await waitProcessGone(pid)).toBe(true);
    expect(existsSync(socket)).toBe(false);
  });

  it("negotiates the highest common version over versioned plugin sets", async () => {
    const client = track(
      await startPlugin({
        command: examplePlugin("negotiated"),
        handshake,
        versionedPlugins: { 2: kvPlugins, 3: { kv: kvPlugins.kv_grpc }, 4: { kv: kvPlugins.kv_grpc } },
        cwd: (() => {
          const dir = tempDir();
          cleanups.push(dir.cleanup);
          return dir.path;
        })(),
      }),
    );
    expect(client.protocolVersion).toBe(4);
    const kv = client.dispense("kv");
    await kv.put({ key: "v", value: Buffer.from("x") });
    expect(Buffer.from((await kv.get({ key: "v" })).value).toString()).toBe("x\n\nWritten from plugin version 4\nRead by plugin version 4\n");
  });
});

describe("reattach", () => {
  it("connects to a running plugin; in test mode close() leaves it running", async () => {
    const { reattachPlugin } = await import("@rpcplugin/runtime");
    const owner = track(await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins, autoMTLS: false }));
    await owner.dispense("kv_grpc").put({ key: "shared", value: Buffer.from("from the owner") });
    const config = { ...owner.reattachConfig, test: true };
    expect(config).toMatchObject({ protocol: "grpc", protocolVersion: 1, pid: owner.pid });

    const attached = await reattachPlugin(config, { plugins: kvPlugins });
    const { value } = await attached.dispense("kv_grpc").get({ key: "shared" });
    expect(Buffer.from(value).toString()).toBe("from the owner");
    await attached.close();
    expect(owner.exit).toBeUndefined();
    await owner.ping();
  });

  it("without test mode, close() stops the plugin", async () => {
    const { reattachPlugin } = await import("@rpcplugin/runtime");
    const owner = track(await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins, autoMTLS: false }));
    const attached = await reattachPlugin(owner.reattachConfig, { plugins: kvPlugins });
    await attached.close();
    expect(await waitProcessGone(owner.pid)).toBe(true);
  });

  it("fails clearly when the process is gone", async () => {
    const { reattachPlugin, TransportError } = await import("@rpcplugin/runtime");
    const error = await reattachPlugin(
      { protocol: "grpc", protocolVersion: 1, pid: 2 ** 22 + 12345, test: true, address: { network: "unix", address: "/nonexistent" } },
      { plugins: kvPlugins },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toContain("reattachment process not found");
  });
});

describe("a host that dies", () => {
  it("takes its plugin with it (the plugin notices and exits)", async () => {
    const { spawn } = await import("node:child_process");
    const script = `
      import { startPlugin, clientPlugin } from "@rpcplugin/runtime";
      import { KV } from "./examples/go-plugin/dist/gen/kv/kv_pb.js";
      const client = await startPlugin({ command: ${JSON.stringify(fixturePlugin)}, handshake: ${JSON.stringify(handshake)}, plugins: { kv_grpc: clientPlugin(KV) }, stdin: "ignore" });
      process.stdout.write(String(client.pid) + "\\n");
      setInterval(() => {}, 1000);
    `;
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const host = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, TMPDIR: dir.path },
    });
    cleanups.push(() => {
      host.kill("SIGKILL");
    });
    const pid = await new Promise<number>((resolve, reject) => {
      host.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
      host.once("exit", () => reject(new Error("host exited early")));
    });
    expect(pid).toBeGreaterThan(0);
    expect(socketsIn(dir.path)).toHaveLength(1);
    host.kill("SIGKILL");
    expect(await waitProcessGone(pid, 10_000)).toBe(true);
    expect(socketsIn(dir.path)).toEqual([]);
  });
});
