import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, TransportError } from "../errors.js";
import { listen, type PluginListener, resolveGroup } from "./transport.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rpcplugin-transport-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(options: Parameters<typeof listen>[0]): Promise<PluginListener> {
  const listener = await listen(options, (socket) => socket.end("hi"));
  cleanups.push(() => listener.close());
  return listener;
}

function readFrom(path: string | { port: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = typeof path === "string" ? connect(path) : connect(path.port, "127.0.0.1");
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

describe("unix listener", () => {
  it("makes a private socket in the given dir and removes it on close", async () => {
    const dir = tempDir();
    const listener = await open({ network: "unix", unixSocketDir: dir });
    expect(listener.address.network).toBe("unix");
    expect(listener.address.address.startsWith(join(dir, "plugin"))).toBe(true);
    expect(statSync(listener.address.address).mode & 0o777).toBe(0o600);
    expect(await readFrom(listener.address.address)).toBe("hi");
    await listener.close();
    expect(existsSync(listener.address.address)).toBe(false);
  });
  it("shares the socket with a group as 0660", async () => {
    const gid = process.getgid?.() ?? 0;
    const listener = await open({ network: "unix", unixSocketDir: tempDir(), unixSocketGroup: String(gid) });
    const stat = statSync(listener.address.address);
    expect(stat.mode & 0o777).toBe(0o660);
    expect(stat.gid).toBe(gid);
  });
  it("names a missing socket dir", async () => {
    await expect(listen({ network: "unix", unixSocketDir: "/nonexistent/rpcplugin" }, () => {})).rejects.toThrow(
      /unix socket directory \/nonexistent\/rpcplugin does not exist/,
    );
  });
  it("names an unwritable socket dir", async () => {
    // root may write anywhere on a normal file system, so as root use /proc, where nobody can bind.
    let dir = "/proc";
    if (process.getuid?.() !== 0) {
      dir = tempDir();
      (await import("node:fs")).chmodSync(dir, 0o500);
    }
    const attempt = listen({ network: "unix", unixSocketDir: dir }, () => {});
    await expect(attempt).rejects.toThrow(TransportError);
    await expect(attempt).rejects.toThrow(new RegExp(`could not listen on unix socket ${dir}/plugin\\d+`));
  });
  it("refuses a socket path longer than the OS allows", async () => {
    const dir = join(tempDir(), "x".repeat(100));
    (await import("node:fs")).mkdirSync(dir);
    await expect(listen({ network: "unix", unixSocketDir: dir }, () => {})).rejects.toThrow(/longer than this OS allows.*PLUGIN_UNIX_SOCKET_DIR/);
  });
  it("resolves group names and rejects unknown ones", () => {
    expect(resolveGroup("0")).toBe(0);
    expect(resolveGroup("root")).toBe(0);
    expect(() => resolveGroup("no-such-group-rpcplugin")).toThrow(ConfigError);
  });
});

describe("tcp listener", () => {
  it("listens on 127.0.0.1 on any port when the range is 0..0", async () => {
    const listener = await open({ network: "tcp" });
    expect(listener.address.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const port = Number(listener.address.address.split(":")[1]);
    expect(port).toBeGreaterThan(0);
    expect(await readFrom({ port })).toBe("hi");
  });
  it("takes the first free port of the range", async () => {
    const first = await open({ network: "tcp" });
    const taken = Number(first.address.address.split(":")[1]);
    const second = await open({ network: "tcp", minPort: taken, maxPort: taken + 1 });
    expect(second.address.address).toBe(`127.0.0.1:${taken + 1}`);
  });
  it("fails clearly when no port in the range is free", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    await expect(listen({ network: "tcp", minPort: port, maxPort: port }, () => {})).rejects.toThrow(
      new RegExp(`no free port on 127.0.0.1 in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT \\(${port}..${port}\\)`),
    );
  });
  it("rejects an inverted range", async () => {
    await expect(listen({ network: "tcp", minPort: 20, maxPort: 10 }, () => {})).rejects.toThrow(ConfigError);
  });
});
