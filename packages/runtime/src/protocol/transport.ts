/**
 * Listeners and addresses: where a plugin (or a broker) accepts connections
 * and how the other side reaches them.
 *
 * Unix sockets (the default) are made in PLUGIN_UNIX_SOCKET_DIR or the OS
 * temp dir, private to the user (0600), or shared with PLUGIN_UNIX_SOCKET_GROUP
 * (0660), and removed on close. TCP listens on 127.0.0.1 only, on the first
 * free port of PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (any port when both are 0).
 */
import { randomInt } from "node:crypto";
import { chmodSync, chownSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, TransportError } from "../errors.js";
import type { Network } from "./handshake.js";

/** Where a listener can be reached: `unix` + socket path, or `tcp` + `127.0.0.1:port`. */
export interface PluginAddress {
  network: Network;
  address: string;
}

/** Options for {@link listen}. */
export interface ListenOptions {
  network: Network;
  /** Unix: directory for the socket file (default: the OS temp dir). */
  unixSocketDir?: string | undefined;
  /** Unix: group (name or numeric gid) that may also connect. */
  unixSocketGroup?: string | undefined;
  /** TCP: first port to try (0 with maxPort 0: any free port). */
  minPort?: number | undefined;
  /** TCP: last port to try. */
  maxPort?: number | undefined;
}

/** An open listener. `close()` stops accepting and removes the socket file. */
export interface PluginListener {
  readonly address: PluginAddress;
  readonly server: Server;
  /** Stops accepting; idempotent. Existing connections are not touched. */
  close(): Promise<void>;
}

// sun_path is 108 bytes on Linux and 104 on macOS, including the NUL.
const MAX_SOCKET_PATH = process.platform === "darwin" ? 103 : 107;

/** Opens a listener as go-plugin's `serverListener` does, connections handed to `onConnection`. */
export async function listen(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<PluginListener> {
  return options.network === "unix" ? listenUnix(options, onConnection) : listenTcp(options, onConnection);
}

async function listenUnix(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<PluginListener> {
  const dir = options.unixSocketDir ?? tmpdir();
  const gid = options.unixSocketGroup === undefined ? undefined : resolveGroup(options.unixSocketGroup);
  checkSocketDir(dir);
  const path = join(dir, `plugin${randomInt(1_000_000_000, 10_000_000_000)}`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new TransportError(
      `unix socket path ${path} is ${Buffer.byteLength(path)} bytes, longer than this OS allows (${MAX_SOCKET_PATH}); ` +
        "set PLUGIN_UNIX_SOCKET_DIR (or TMPDIR) to a shorter directory",
    );
  }
  const server = createServer(onConnection);
  // Create the socket file without group/other permissions so no other user
  // can connect in the moment between bind() and chmod().
  const previousUmask = process.umask(0o177);
  try {
    await bind(server, () => server.listen(path), `unix socket ${path}`);
  } finally {
    process.umask(previousUmask);
  }
  try {
    if (gid !== undefined) {
      chownSync(path, -1, gid);
      chmodSync(path, 0o660);
    } else {
      chmodSync(path, 0o600);
    }
  } catch (cause) {
    server.close();
    rmSync(path, { force: true });
    throw new TransportError(`could not set owner/permissions of unix socket ${path}: ${(cause as Error).message}`, { cause });
  }
  return makeListener(server, { network: "unix", address: path }, () => rmSync(path, { force: true }));
}

async function listenTcp(options: ListenOptions, onConnection: (socket: Socket) => void): Promise<PluginListener> {
  const minPort = options.minPort ?? 0;
  const maxPort = options.maxPort ?? 0;
  if (minPort > maxPort) {
    throw new ConfigError(`PLUGIN_MIN_PORT value of ${minPort} is greater than PLUGIN_MAX_PORT value of ${maxPort}`);
  }
  const server = createServer(onConnection);
  let lastError: unknown;
  for (let port = minPort; port <= maxPort; port++) {
    try {
      await bind(server, () => server.listen(port, "127.0.0.1"), `127.0.0.1:${port}`);
      const bound = server.address();
      const actualPort = typeof bound === "object" && bound !== null ? bound.port : port;
      return makeListener(server, { network: "tcp", address: `127.0.0.1:${actualPort}` }, () => {});
    } catch (error) {
      lastError = error;
      const code = (error as TransportError).cause as NodeJS.ErrnoException | undefined;
      if (code?.code !== "EADDRINUSE" && code?.code !== "EACCES") throw error;
    }
  }
  throw new TransportError(
    `couldn't bind plugin TCP listener: no free port on 127.0.0.1 in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (${minPort}..${maxPort}); ` +
      "widen the range or free a port",
    { cause: lastError },
  );
}

function bind(server: Server, start: () => void, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (cause: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(new TransportError(`could not listen on ${what}: ${cause.message}`, { cause }));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    start();
  });
}

function makeListener(server: Server, address: PluginAddress, cleanup: () => void): PluginListener {
  let closed: Promise<void> | undefined;
  return {
    address,
    server,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // server.close waits for open connections; the file goes now so nothing new can connect.
        cleanup();
      });
      return closed;
    },
  };
}

function checkSocketDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (cause) {
    throw new TransportError(`unix socket directory ${dir} does not exist or cannot be read (PLUGIN_UNIX_SOCKET_DIR)`, { cause });
  }
  if (!isDir) throw new TransportError(`unix socket directory ${dir} is not a directory (PLUGIN_UNIX_SOCKET_DIR)`);
}

/** A numeric gid, or a group name looked up in /etc/group. */
export function resolveGroup(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let groups: string;
  try {
    groups = readFileSync("/etc/group", "utf8");
  } catch (cause) {
    throw new ConfigError(`PLUGIN_UNIX_SOCKET_GROUP=${group}: cannot read /etc/group to look the name up; use a numeric gid`, {
      cause,
    });
  }
  for (const line of groups.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new ConfigError(`PLUGIN_UNIX_SOCKET_GROUP=${group}: no such group; give an existing group name or a numeric gid`);
}

/** The grpc-js target for an address. */
export function grpcTarget(address: PluginAddress): string {
  return address.network === "unix" ? `unix://${address.address}` : address.address;
}
