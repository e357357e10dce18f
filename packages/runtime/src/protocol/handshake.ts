/**
 * The go-plugin handshake: the environment a host passes to a plugin, the
 * magic cookie check, protocol version negotiation, and the one line a
 * plugin prints on stdout to tell the host where and how to connect:
 *
 *     CORE_PROTOCOL_VERSION|APP_PROTOCOL_VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER_CERT[|MUX]
 *
 * This module formats and parses; it opens nothing and reads no global state.
 */
import { ConfigError, HandshakeError, IncompatibleVersionError } from "../errors.js";

/** go-plugin's core protocol version; it has never changed. */
export const CORE_PROTOCOL_VERSION = 1;

/** Environment variables of the go-plugin contract. */
export const Env = {
  protocolVersions: "PLUGIN_PROTOCOL_VERSIONS",
  minPort: "PLUGIN_MIN_PORT",
  maxPort: "PLUGIN_MAX_PORT",
  clientCert: "PLUGIN_CLIENT_CERT",
  unixSocketDir: "PLUGIN_UNIX_SOCKET_DIR",
  unixSocketGroup: "PLUGIN_UNIX_SOCKET_GROUP",
  multiplexGrpc: "PLUGIN_MULTIPLEX_GRPC",
} as const;

/** The magic cookie both sides agree on. It is a UX guard, not a security measure. */
export interface HandshakeConfig {
  magicCookieKey: string;
  magicCookieValue: string;
}

/** go-plugin's message for a plugin binary run by hand (wrong or missing cookie). */
export const NOT_A_PLUGIN_MESSAGE =
  "This binary is a plugin. These are not meant to be executed directly.\n" +
  "Please execute the program that consumes these plugins, which will\n" +
  "load any plugins automatically\n";

/** go-plugin's message for a ServeConfig without a cookie. */
export const MISCONFIGURED_COOKIE_MESSAGE =
  "Misconfigured ServeConfig given to serve this plugin: no magic cookie\n" +
  "key or value was set. Please notify the plugin author and report\n" +
  "this as a bug.\n";

export type Network = "unix" | "tcp";

/** What the handshake line carries. */
export interface HandshakeInfo {
  coreVersion: number;
  appVersion: number;
  network: Network;
  /** Socket path, or host:port. */
  address: string;
  protocol: "grpc";
  /** The plugin's DER certificate (AutoMTLS), or undefined when TLS is off. */
  serverCert: Buffer | undefined;
  /** Whether the plugin agreed to multiplex broker connections (7th field). */
  multiplex: boolean;
}

/** Checks the magic cookie; returns the go-plugin message to print when it does not match. */
export function checkMagicCookie(config: HandshakeConfig, env: NodeJS.ProcessEnv): { ok: true } | { ok: false; message: string } {
  if (!config.magicCookieKey || !config.magicCookieValue) return { ok: false, message: MISCONFIGURED_COOKIE_MESSAGE };
  if (env[config.magicCookieKey] !== config.magicCookieValue) return { ok: false, message: NOT_A_PLUGIN_MESSAGE };
  return { ok: true };
}

/** Base64 of a DER certificate, standard alphabet without `=` padding (Go's RawStdEncoding). */
export function encodeCertificateField(der: Uint8Array): string {
  return Buffer.from(der).toString("base64").replace(/=+$/, "");
}

/** Formats the handshake line, without the trailing newline. */
export function formatHandshakeLine(info: Omit<HandshakeInfo, "coreVersion" | "protocol">): string {
  const fields = [
    String(CORE_PROTOCOL_VERSION),
    String(info.appVersion),
    info.network,
    info.address,
    "grpc",
    info.serverCert === undefined ? "" : encodeCertificateField(info.serverCert),
  ];
  // Old Go hosts split the line into at most 6 fields, so the 7th is only
  // added when the host asked for multiplexing.
  if (info.multiplex) fields.push("true");
  return fields.join("|");
}

/** Options for {@link parseHandshakeLine}. */
export interface ParseHandshakeOptions {
  /** App protocol versions the host speaks; the plugin's must be one of them. */
  hostVersions: readonly number[];
  /** Whether the host asked the plugin to multiplex broker connections. */
  multiplexRequested?: boolean;
}

/**
 * Parses and validates a handshake line the way go-plugin's host does, with
 * errors that quote the line. Accepts 4 to 7 fields and CRLF endings.
 */
export function parseHandshakeLine(rawLine: string, options: ParseHandshakeOptions): HandshakeInfo {
  const line = rawLine.trim();
  const parts = line.split("|");
  const fail = (message: string): never => {
    throw new HandshakeError(`${message}\n  handshake line: ${JSON.stringify(line)}`, { line });
  };
  if (parts.length < 4) {
    fail(
      "Unrecognized remote plugin message: the plugin's first line on stdout is not a go-plugin handshake. " +
        "This usually means the plugin printed something to stdout before serving, was run with a wrong magic " +
        "cookie, or failed to start",
    );
  }
  const [core, app, network, address, protocol, cert, mux] = parts as [string, string, string, string, ...string[]];
  const coreVersion = parseDecimal(core);
  if (coreVersion === undefined) fail(`error parsing core protocol version ${JSON.stringify(core)}`);
  if (coreVersion !== CORE_PROTOCOL_VERSION) {
    fail(`incompatible core API version with plugin. Plugin version: ${core}, Core version: ${CORE_PROTOCOL_VERSION}`);
  }
  const appVersion = parseDecimal(app);
  if (appVersion === undefined) fail(`error parsing protocol version ${JSON.stringify(app)}`);
  if (!options.hostVersions.includes(appVersion as number)) {
    throw new IncompatibleVersionError(
      `incompatible API version with plugin. Plugin version: ${app}, Client versions: [${options.hostVersions.join(" ")}]`,
      appVersion,
      options.hostVersions,
      { line },
    );
  }
  if (network !== "unix" && network !== "tcp") fail(`unknown address type ${JSON.stringify(network)} for address ${address}`);
  if (address === "") fail("the handshake line has an empty address");
  const proto = protocol ?? "netrpc";
  if (proto !== "grpc") {
    fail(`unsupported plugin protocol ${JSON.stringify(proto)}. Supported: [grpc] (go-plugin's net/rpc protocol is not implemented)`);
  }
  let serverCert: Buffer | undefined;
  // go-plugin ignores fields of 50 characters or less (junk from old plugins).
  if (cert !== undefined && cert.length > 50) {
    if (!/^[A-Za-z0-9+/]+$/.test(cert)) {
      fail("error parsing server cert: expected unpadded standard base64 of a DER certificate");
    }
    serverCert = Buffer.from(cert, "base64");
  }
  let multiplex = false;
  if (options.multiplexRequested) {
    if (mux === undefined) {
      fail("client requested gRPC broker multiplexing but plugin does not support the feature");
    }
    const parsed = parseBool(mux as string);
    if (parsed === undefined) fail(`error parsing ${JSON.stringify(mux)} as a boolean for gRPC broker multiplexing support`);
    if (!parsed) fail("gRPC broker multiplexing was requested but the plugin declined it");
    multiplex = true;
  }
  return {
    coreVersion: CORE_PROTOCOL_VERSION,
    appVersion: appVersion as number,
    network: network as Network,
    address,
    protocol: "grpc",
    serverCert,
    multiplex,
  };
}

/** What a host tells a plugin through its environment. */
export interface PluginEnvironment {
  /** App protocol versions the host speaks (empty: a legacy host that sent none). */
  protocolVersions: number[];
  /** Entries of PLUGIN_PROTOCOL_VERSIONS that were not integers (go-plugin skips them). */
  invalidProtocolVersions: string[];
  minPort: number;
  maxPort: number;
  /** The host's PEM certificate when it asked for AutoMTLS. */
  clientCertPem: string | undefined;
  unixSocketDir: string | undefined;
  unixSocketGroup: string | undefined;
  multiplexRequested: boolean;
  /** Whether PLUGIN_MULTIPLEX_GRPC was set at all (any value adds the 7th field). */
  multiplexFieldRequested: boolean;
}

/** Reads the go-plugin contract from an environment. Pure: pass `process.env` at the edge. */
export function readPluginEnvironment(env: NodeJS.ProcessEnv): PluginEnvironment {
  const protocolVersions: number[] = [];
  const invalidProtocolVersions: string[] = [];
  for (const entry of (env[Env.protocolVersions] ?? "").split(",")) {
    if (entry === "") continue;
    const version = parseDecimal(entry);
    if (version === undefined) invalidProtocolVersions.push(entry);
    else protocolVersions.push(version);
  }
  const minPort = readPort(env, Env.minPort);
  const maxPort = readPort(env, Env.maxPort);
  if (minPort > maxPort) {
    throw new ConfigError(`${Env.minPort} value of ${minPort} is greater than ${Env.maxPort} value of ${maxPort}`);
  }
  const mux = env[Env.multiplexGrpc];
  return {
    protocolVersions,
    invalidProtocolVersions,
    minPort,
    maxPort,
    clientCertPem: nonEmpty(env[Env.clientCert]),
    unixSocketDir: nonEmpty(env[Env.unixSocketDir]),
    unixSocketGroup: nonEmpty(env[Env.unixSocketGroup]),
    multiplexRequested: mux !== undefined && parseBool(mux) === true,
    multiplexFieldRequested: nonEmpty(mux) !== undefined,
  };
}

/** What a host puts into a plugin's environment (on top of its own). */
export interface HostEnvironmentOptions {
  handshake: HandshakeConfig;
  protocolVersions: readonly number[];
  minPort?: number;
  maxPort?: number;
  clientCertPem?: string;
  unixSocketDir?: string;
  unixSocketGroup?: string;
  multiplex?: boolean;
}

/** Builds the variables a host adds to a plugin's environment, as go-plugin's host does. */
export function buildPluginEnvironment(options: HostEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {
    [options.handshake.magicCookieKey]: options.handshake.magicCookieValue,
    [Env.minPort]: String(options.minPort ?? 10000),
    [Env.maxPort]: String(options.maxPort ?? 25000),
    [Env.protocolVersions]: options.protocolVersions.join(","),
  };
  if (options.multiplex) env[Env.multiplexGrpc] = "true";
  if (options.clientCertPem !== undefined) env[Env.clientCert] = options.clientCertPem;
  if (options.unixSocketDir !== undefined) env[Env.unixSocketDir] = options.unixSocketDir;
  if (options.unixSocketGroup !== undefined) env[Env.unixSocketGroup] = options.unixSocketGroup;
  return env;
}

/**
 * Picks the app protocol version to serve, as go-plugin does: the highest
 * version both sides speak; with none in common (or a host that sent no
 * list), the lowest served version, which the host then rejects with a clear
 * message naming both sides' versions.
 */
export function negotiateVersion(hostVersions: readonly number[], servedVersions: readonly number[]): { version: number; common: boolean } {
  if (servedVersions.length === 0) throw new ConfigError("serve() needs at least one plugin set to serve");
  const served = [...servedVersions].sort((a, b) => b - a);
  const match = served.find((version) => hostVersions.includes(version));
  if (match !== undefined) return { version: match, common: true };
  return { version: served[served.length - 1] as number, common: false };
}

function readPort(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return 0;
  const port = parseDecimal(raw);
  if (port === undefined || port > 65535) {
    throw new ConfigError(`couldn't get value from ${name}: ${JSON.stringify(raw)} is not a port number (0-65535)`);
  }
  return port;
}

function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Go's strconv.ParseBool. */
function parseBool(text: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(text)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(text)) return false;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
