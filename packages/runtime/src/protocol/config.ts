/**
 * Typed configuration of a plugin (`serve`) and of a host (`startPlugin`).
 *
 * Each setting comes from, in this order: the explicit option given in code,
 * then its `PLUGIN_*` environment variable, then the default. The environment
 * is always passed in (`serve`'s `env` option, `startPlugin`'s `configEnv`,
 * both `process.env` by default) and read when the plugin or host starts:
 * nothing is read at import time and there is no process-wide config object.
 *
 * Only variables that change behaviour exist. The go-plugin contract variables
 * (PLUGIN_PROTOCOL_VERSIONS, PLUGIN_MIN_PORT, …) are the host's message to
 * the plugin and are read by `readPluginEnvironment` in handshake.ts; the
 * plugin's config carries its result as `host`.
 *
 * Every bad value is a {@link ConfigError} naming the variable (or option), the
 * value and what is accepted.
 */
import { ConfigError } from "../errors.js";
import type { LogLevel } from "../log.js";
import { ENGINES, type EngineName } from "../rpc/engine.js";
import { type Network, type PluginEnvironment, readPluginEnvironment } from "./handshake.js";

/** The `PLUGIN_*` variables rpcplugin adds to go-plugin's contract. */
export const ConfigEnv = {
  /** Plugin: transport to listen on, `unix` or `tcp`. */
  transport: "PLUGIN_TRANSPORT",
  /** Both: log level (plugin: its own records; host: which plugin records it prints). */
  logLevel: "PLUGIN_LOG_LEVEL",
  /** Plugin: how long in-flight calls may run after a stop request. */
  shutdownGraceMs: "PLUGIN_SHUTDOWN_GRACE_MS",
  /** Both: PEM certificate (chain) this side presents. */
  tlsCertFile: "PLUGIN_TLS_CERT_FILE",
  /** Both: PEM private key of that certificate. */
  tlsKeyFile: "PLUGIN_TLS_KEY_FILE",
  /** Both: PEM CA certificate(s) the peer's certificate must be signed by. */
  tlsCaFile: "PLUGIN_TLS_CA_FILE",
  /** Plugin: calls per second allowed by the rate limiter (off when unset). */
  rateLimit: "PLUGIN_RATE_LIMIT",
  /** Plugin: token bucket size of the rate limiter. */
  rateBurst: "PLUGIN_RATE_BURST",
  /** Host: how long the plugin may take to print its handshake line. */
  startTimeoutMs: "PLUGIN_START_TIMEOUT_MS",
  /** Host: how long connecting and the first health check may take. */
  connectTimeoutMs: "PLUGIN_CONNECT_TIMEOUT_MS",
  /** Host: how long a plugin may take to exit after Shutdown before it is killed. */
  killGraceMs: "PLUGIN_KILL_GRACE_MS",
  /** Host: how many times to try starting the plugin (1 = no retry). */
  startAttempts: "PLUGIN_START_ATTEMPTS",
  /** Both: the RPC engine this side runs its connection on, `h2` or `grpc-js`. */
  engine: "PLUGIN_RPC_ENGINE",
} as const;

const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];

/** PEM files for supplied TLS. */
export interface TlsFiles {
  /** The certificate this side presents (leaf first; intermediates may follow). */
  certFile?: string;
  /** The private key of that certificate (PKCS#8, PKCS#1 or SEC1 PEM, unencrypted; RSA or ECDSA). */
  keyFile?: string;
  /** CA certificate(s) the peer must be signed by. Plugin: makes client certificates required. Host: required. */
  caFile?: string;
  /** @internal Where the paths came from, for error messages. */
  source?: "env" | "options";
}

/** Rate limiter settings (the limiter itself is the server interceptor's business). */
export interface RateLimitSettings {
  /** Calls per second refilled into the bucket. */
  ratePerSecond: number;
  /** Bucket size: how many calls may arrive at once. */
  burst: number;
}

/** How a host retries starting a plugin. See {@link startRetryDelay}. */
export interface StartRetry {
  /** Total attempts, the first included (1: no retry). */
  attempts: number;
  /** Upper bound of the first delay (default 100 ms). */
  initialDelayMs: number;
  /** Upper bound of any delay (default 5000 ms). */
  maxDelayMs: number;
  /** Give up when this much time has passed since the first attempt began (default: no bound but the attempts). */
  totalTimeoutMs: number | undefined;
}

/** Settings of a plugin that can be given in code (the rest of {@link ServeOptions}). */
export interface ServerSettings {
  network?: Network | undefined;
  engine?: EngineName | undefined;
  logLevel?: LogLevel | undefined;
  shutdownGraceMs?: number | undefined;
  tls?: TlsFiles | undefined;
  rateLimit?: RateLimitSettings | undefined;
}

/** A plugin's effective configuration. */
export interface ServerConfig {
  network: Network;
  /** The RPC engine of the plugin's server. */
  engine: EngineName;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  /** Supplied certificate files, or undefined for AutoMTLS (when the host asks) or plaintext. */
  tls: TlsFiles | undefined;
  /** Rate limiting, or undefined when off. */
  rateLimit: RateLimitSettings | undefined;
  /** What the host said through the go-plugin contract variables. */
  host: PluginEnvironment;
}

/** Settings of a host that can be given in code. */
export interface ClientSettings {
  engine?: EngineName | undefined;
  logLevel?: LogLevel | undefined;
  startTimeoutMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  killGraceMs?: number | undefined;
  autoMTLS?: boolean | undefined;
  tls?: TlsFiles | undefined;
  retry?: Partial<StartRetry> | undefined;
}

/** How a host secures its connection to the plugin. */
export type ClientTls = { mode: "auto" } | { mode: "off" } | { mode: "files"; files: TlsFiles };

/** A host's effective configuration. */
export interface ClientConfig {
  /** The RPC engine of the host's connection to the plugin. */
  engine: EngineName;
  logLevel: LogLevel;
  startTimeoutMs: number;
  connectTimeoutMs: number;
  killGraceMs: number;
  tls: ClientTls;
  retry: StartRetry;
}

/** Defaults of every setting. */
export const CONFIG_DEFAULTS = {
  network: "unix" as Network,
  engine: "h2" as EngineName,
  serverLogLevel: "debug" as LogLevel,
  clientLogLevel: "info" as LogLevel,
  shutdownGraceMs: 2000,
  startTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  killGraceMs: 2000,
  retry: { attempts: 1, initialDelayMs: 100, maxDelayMs: 5000, totalTimeoutMs: undefined } as StartRetry,
};

/** A plugin's settings as its environment gives them (only the variables that are set). */
export function serverConfigFromEnv(env: NodeJS.ProcessEnv): ServerSettings & { host: PluginEnvironment } {
  const settings: ServerSettings & { host: PluginEnvironment } = { host: readPluginEnvironment(env) };
  const transport = text(env, ConfigEnv.transport);
  if (transport !== undefined) {
    if (transport !== "unix" && transport !== "tcp") throw invalid(ConfigEnv.transport, transport, "a transport: unix or tcp");
    settings.network = transport;
  }
  const engine = engineFrom(env);
  if (engine !== undefined) settings.engine = engine;
  const logLevel = logLevelFrom(env);
  if (logLevel !== undefined) settings.logLevel = logLevel;
  const grace = duration(env, ConfigEnv.shutdownGraceMs);
  if (grace !== undefined) settings.shutdownGraceMs = grace;
  const tls = tlsFilesFrom(env);
  if (tls !== undefined) settings.tls = tls;
  const rate = positiveNumber(env, ConfigEnv.rateLimit);
  const burst = wholeNumber(env, ConfigEnv.rateBurst, 1);
  if (rate !== undefined) settings.rateLimit = { ratePerSecond: rate, burst: burst ?? Math.max(1, Math.ceil(rate)) };
  else if (burst !== undefined) {
    throw new ConfigError(
      `${ConfigEnv.rateBurst}=${JSON.stringify(env[ConfigEnv.rateBurst])} is set but ${ConfigEnv.rateLimit} is not: set the rate (calls per second) too, or unset the burst`,
    );
  }
  return settings;
}

/** A host's settings as its environment gives them (only the variables that are set). */
export function clientConfigFromEnv(env: NodeJS.ProcessEnv): ClientSettings {
  const settings: ClientSettings = {};
  const engine = engineFrom(env);
  if (engine !== undefined) settings.engine = engine;
  const logLevel = logLevelFrom(env);
  if (logLevel !== undefined) settings.logLevel = logLevel;
  const start = duration(env, ConfigEnv.startTimeoutMs, 1);
  if (start !== undefined) settings.startTimeoutMs = start;
  const connect = duration(env, ConfigEnv.connectTimeoutMs, 1);
  if (connect !== undefined) settings.connectTimeoutMs = connect;
  const kill = duration(env, ConfigEnv.killGraceMs);
  if (kill !== undefined) settings.killGraceMs = kill;
  const tls = tlsFilesFrom(env);
  if (tls !== undefined) settings.tls = tls;
  const attempts = wholeNumber(env, ConfigEnv.startAttempts, 1);
  if (attempts !== undefined) settings.retry = { attempts };
  return settings;
}

/** A plugin's effective configuration: `explicit` settings, then `env`, then defaults. */
export function resolveServerConfig(explicit: ServerSettings, env: NodeJS.ProcessEnv): ServerConfig {
  checkExplicit(explicit);
  const fromEnv = serverConfigFromEnv(env);
  return {
    network: explicit.network ?? fromEnv.network ?? CONFIG_DEFAULTS.network,
    engine: explicit.engine ?? fromEnv.engine ?? CONFIG_DEFAULTS.engine,
    logLevel: explicit.logLevel ?? fromEnv.logLevel ?? CONFIG_DEFAULTS.serverLogLevel,
    shutdownGraceMs: explicit.shutdownGraceMs ?? fromEnv.shutdownGraceMs ?? CONFIG_DEFAULTS.shutdownGraceMs,
    tls: explicit.tls ?? fromEnv.tls,
    rateLimit: explicit.rateLimit ?? fromEnv.rateLimit,
    host: fromEnv.host,
  };
}

/** A host's effective configuration: `explicit` settings, then `env`, then defaults. */
export function resolveClientConfig(explicit: ClientSettings, env: NodeJS.ProcessEnv): ClientConfig {
  checkExplicit(explicit);
  if (explicit.tls !== undefined && explicit.autoMTLS === true) {
    throw new ConfigError("startPlugin() got both `tls` (supplied certificate files) and `autoMTLS: true`: choose one");
  }
  const fromEnv = clientConfigFromEnv(env);
  const tls: ClientTls =
    explicit.tls !== undefined
      ? { mode: "files", files: explicit.tls }
      : explicit.autoMTLS !== undefined
        ? { mode: explicit.autoMTLS ? "auto" : "off" }
        : fromEnv.tls !== undefined
          ? { mode: "files", files: fromEnv.tls }
          : { mode: "auto" };
  const retry: StartRetry = { ...CONFIG_DEFAULTS.retry, ...definedOnly(fromEnv.retry), ...definedOnly(explicit.retry) };
  if (retry.maxDelayMs < retry.initialDelayMs) {
    throw new ConfigError(
      `retry.maxDelayMs (${retry.maxDelayMs}) is less than retry.initialDelayMs (${retry.initialDelayMs}): the maximum delay must be at least the initial one`,
    );
  }
  return {
    engine: explicit.engine ?? fromEnv.engine ?? CONFIG_DEFAULTS.engine,
    logLevel: explicit.logLevel ?? fromEnv.logLevel ?? CONFIG_DEFAULTS.clientLogLevel,
    startTimeoutMs: explicit.startTimeoutMs ?? fromEnv.startTimeoutMs ?? CONFIG_DEFAULTS.startTimeoutMs,
    connectTimeoutMs: explicit.connectTimeoutMs ?? fromEnv.connectTimeoutMs ?? CONFIG_DEFAULTS.connectTimeoutMs,
    killGraceMs: explicit.killGraceMs ?? fromEnv.killGraceMs ?? CONFIG_DEFAULTS.killGraceMs,
    tls,
    retry,
  };
}

function checkExplicit(explicit: ServerSettings & ClientSettings): void {
  if (explicit.network !== undefined && explicit.network !== "unix" && explicit.network !== "tcp") {
    throw new ConfigError(`option network=${JSON.stringify(explicit.network)} is not a transport: use "unix" or "tcp"`);
  }
  if (explicit.engine !== undefined && !ENGINES.includes(explicit.engine)) {
    throw new ConfigError(
      `option engine=${JSON.stringify(explicit.engine)} is not an RPC engine: use ${ENGINES.map((name) => JSON.stringify(name)).join(" or ")}`,
    );
  }
  if (explicit.logLevel !== undefined && !LOG_LEVELS.includes(explicit.logLevel)) {
    throw new ConfigError(`option logLevel=${JSON.stringify(explicit.logLevel)} is not a log level: use one of ${LOG_LEVELS.join(", ")}`);
  }
  const durations: [string, number | undefined, number][] = [
    ["shutdownGraceMs", explicit.shutdownGraceMs, 0],
    ["startTimeoutMs", explicit.startTimeoutMs, 1],
    ["connectTimeoutMs", explicit.connectTimeoutMs, 1],
    ["killGraceMs", explicit.killGraceMs, 0],
    ["retry.initialDelayMs", explicit.retry?.initialDelayMs, 0],
    ["retry.maxDelayMs", explicit.retry?.maxDelayMs, 0],
    ["retry.totalTimeoutMs", explicit.retry?.totalTimeoutMs, 1],
  ];
  for (const [name, value, min] of durations) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new ConfigError(`option ${name}=${value} is not a duration in milliseconds: use a whole number ≥ ${min}`);
    }
  }
  const attempts = explicit.retry?.attempts;
  if (attempts !== undefined && !(Number.isSafeInteger(attempts) && attempts >= 1)) {
    throw new ConfigError(`option retry.attempts=${attempts} is not an attempt count: use a whole number ≥ 1 (1 = no retry)`);
  }
  const rate = explicit.rateLimit;
  if (rate !== undefined) {
    if (!(Number.isFinite(rate.ratePerSecond) && rate.ratePerSecond > 0)) {
      throw new ConfigError(`option rateLimit.ratePerSecond=${rate.ratePerSecond} is not a rate: use a number of calls per second > 0`);
    }
    if (!(Number.isSafeInteger(rate.burst) && rate.burst >= 1)) {
      throw new ConfigError(`option rateLimit.burst=${rate.burst} is not a bucket size: use a whole number ≥ 1`);
    }
  }
  const tls = explicit.tls;
  if (tls !== undefined) {
    for (const key of ["certFile", "keyFile", "caFile"] as const) {
      const value = tls[key];
      if (value !== undefined && (typeof value !== "string" || value === "")) {
        throw new ConfigError(`option tls.${key}=${JSON.stringify(value)} is not a file path: give the path of a PEM file`);
      }
    }
  }
}

function tlsFilesFrom(env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const certFile = text(env, ConfigEnv.tlsCertFile);
  const keyFile = text(env, ConfigEnv.tlsKeyFile);
  const caFile = text(env, ConfigEnv.tlsCaFile);
  if (certFile === undefined && keyFile === undefined && caFile === undefined) return undefined;
  return {
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(caFile === undefined ? {} : { caFile }),
    source: "env",
  };
}

function engineFrom(env: NodeJS.ProcessEnv): EngineName | undefined {
  const value = text(env, ConfigEnv.engine);
  if (value === undefined) return undefined;
  if (!(ENGINES as readonly string[]).includes(value)) throw invalid(ConfigEnv.engine, value, `an RPC engine: ${ENGINES.join(" or ")}`);
  return value as EngineName;
}

function logLevelFrom(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const value = text(env, ConfigEnv.logLevel);
  if (value === undefined) return undefined;
  const level = value.toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw invalid(ConfigEnv.logLevel, value, `a log level: ${LOG_LEVELS.join(", ")}`);
  return level;
}

function duration(env: NodeJS.ProcessEnv, name: string, min = 0): number | undefined {
  return wholeNumber(env, name, min, `a duration in milliseconds (a whole number ≥ ${min})`);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, accepted = `a whole number ≥ ${min}`): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) throw invalid(name, value, accepted);
  return number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(Number.isFinite(number) && number > 0)) throw invalid(name, value, "a number of calls per second > 0, e.g. 100 or 2.5");
  return number;
}

/** The variable's value, trimmed; unset and empty are the same (so `VAR=` turns a setting off). */
function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function invalid(name: string, value: string, accepted: string): ConfigError {
  return new ConfigError(`${name}=${JSON.stringify(value)} is not ${accepted}`);
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
