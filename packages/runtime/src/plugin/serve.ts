/**
 * The plugin side: `serve()` turns this process into a go-plugin plugin.
 *
 * Order matters and follows go-plugin's `plugin.Serve`: the magic cookie is
 * checked before anything else (nothing listens for a process run by hand);
 * the version is negotiated; the listener is bound; AutoMTLS is set up when
 * the host sent its certificate; the handshake line is the first thing on
 * stdout. stdout/stderr writes are captured for GRPCStdio from right after
 * the cookie check, so nothing user code prints while serve() starts (a
 * loader, `register()`, the first health check) can come before that line.
 */

import { rmSync } from "node:fs";
import type { Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { ConfigError, PluginError } from "../errors.js";
import { createLogger, type Logger, type LogLevel } from "../log.js";
import { BrokerCore, type BrokerMultiplexer } from "../protocol/broker.js";
import { type RateLimitSettings, resolveServerConfig, type ServerConfig, type TlsFiles } from "../protocol/config.js";
import { checkMagicCookie, formatHandshakeLine, type HandshakeConfig, type Network, negotiateVersion } from "../protocol/handshake.js";
import type { PluginSet } from "../protocol/plugins.js";
import {
  type CertificateCurve,
  generateCertificate,
  parseCertificate,
  pinnedChannelCredentials,
  pinnedServerCredentials,
  pinnedServerTls,
} from "../protocol/tls.js";
import { loadServerTls, suppliedChannelCredentials, suppliedServerCredentials, suppliedServerTls } from "../protocol/tls-files.js";
import { listen, type PluginListener } from "../protocol/transport.js";
import type { EngineName } from "../rpc/engine.js";
import { grpcJs } from "../rpc/grpc-js.js";
import type { ServerTlsMaterial } from "../rpc/h2/tls.js";
import { addService } from "../rpc/server.js";
import { brokerStreamHandler, GRPCBroker } from "../services/broker.js";
import { controllerHandler, GRPCController } from "../services/controller.js";
import { Health, type HealthReporter, HealthState } from "../services/health.js";
import { addReflection } from "../services/reflection.js";
import { GRPCStdio, StdioCapture } from "../services/stdio.js";
import { traced } from "../telemetry.js";
import { watchParent } from "../util/parent.js";
import type { HealthCheckOptions } from "./health-check.js";
import type { RateLimit } from "./rate-limit.js";
import { installServerInterceptors, startApplicationHealth } from "./serve-features.js";
import { createEngineServer, once } from "./server-engine.js";
import { handleStopSignals, PluginExitCode } from "./signals.js";
import { deferToSnapshotStart } from "./snapshot-start.js";

/** Options of {@link serve}. */
export interface ServeOptions {
  /** The magic cookie the host must set. */
  handshake: HandshakeConfig;
  /**
   * Plugin sets by app protocol version; the highest version the host also speaks is served.
   * A value may be a {@link PluginSetLoader} (e.g. `() => import("./v6.js").then((m) => m.plugins)`):
   * only the negotiated version's loader runs, before anything listens, so a plugin
   * loads only the code of the protocol it serves.
   */
  versionedPlugins?: Record<number, PluginSet | PluginSetLoader>;
  /** A single plugin set, served at {@link ServeOptions.protocolVersion}. */
  plugins?: PluginSet;
  /** Version of {@link ServeOptions.plugins} (default 1). */
  protocolVersion?: number;
  /** Transport (default: PLUGIN_TRANSPORT, else "unix"). Go hosts accept both. */
  network?: Network;
  /**
   * The RPC engine of the plugin's server (default: PLUGIN_RPC_ENGINE, else "h2"):
   * `"h2"` serves the runtime's own gRPC over HTTP/2 (see docs/benchmarks.md), `"grpc-js"` on `@grpc/grpc-js`.
   * Both speak the same wire protocol; services and handlers are the same.
   */
  engine?: EngineName;
  /** Logger for the plugin's own records (default: hclog JSON on the real stderr). */
  logger?: Logger;
  /** Level of the default logger (default: PLUGIN_LOG_LEVEL, else "debug"). */
  logLevel?: LogLevel;
  /** Curve of the AutoMTLS certificate (default P-256). */
  certificateCurve?: CertificateCurve;
  /** How long in-flight calls may run after a shutdown request before they are cut (default: PLUGIN_SHUTDOWN_GRACE_MS, else 2000 ms). */
  shutdownGraceMs?: number;
  /**
   * Supplied TLS instead of AutoMTLS (default: PLUGIN_TLS_CERT_FILE / _KEY_FILE / _CA_FILE when set):
   * this certificate and key are served; with a CA, host certificates signed by it are required.
   * The handshake line's certificate field stays empty, as with go-plugin's TLSProvider.
   */
  tls?: TlsFiles;
  /**
   * One rate limit shared by all application methods (default: PLUGIN_RATE_LIMIT / PLUGIN_RATE_BURST
   * when set, else off). Over it, calls get RESOURCE_EXHAUSTED with a `retry-after-ms` trailer;
   * the lifecycle services (health, controller, stdio, broker, reflection) are never limited.
   */
  rateLimit?: RateLimitSettings;
  /** Rate limits per method, keyed by full path (`"/kv.KV/Put"`); a call must pass its method's limit and {@link ServeOptions.rateLimit}. */
  methodRateLimits?: Record<string, RateLimit>;
  /**
   * The application's health: a `check` callback asked every `intervalMs` (default 1000), whose
   * answer is reported on "" and on each application service's name (never on go-plugin's
   * "plugin", which Go hosts ping for liveness). Hosts read it with `PluginClient.health()`
   * and `watchHealth()`.
   */
  health?: HealthCheckOptions;
  /** Environment to read the go-plugin contract from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Called once serving, e.g. to report the application's status with `server.health.setApplicationStatus()`. */
  onServing?: (server: ServingPlugin) => void;
}

/**
 * Makes a version's plugin set on demand; {@link serve} calls it only for the
 * negotiated version. A throw or rejection fails the start like any other start error.
 */
export type PluginSetLoader = () => PluginSet | Promise<PluginSet>;

/** A running plugin. */
export interface ServingPlugin {
  /** The negotiated app protocol version. */
  readonly protocolVersion: number;
  /** Where the plugin listens. */
  readonly address: { network: Network; address: string };
  readonly health: HealthReporter;
  readonly logger: Logger;
  /** The effective configuration: explicit options, then PLUGIN_* variables, then defaults. */
  readonly config: ServerConfig;
  /** Stops serving: drains in-flight calls, then exits the process. */
  stop(): Promise<never>;
}

/**
 * Serves plugins to a go-plugin host. Runs until the host asks to stop (or
 * goes away), then exits the process. Exits with status 1 and a message on
 * stderr when run without the host's magic cookie or when it cannot start.
 */
export async function serve(options: ServeOptions): Promise<ServingPlugin> {
  const fromSnapshot = deferToSnapshotStart(() => serve(options));
  if (fromSnapshot) return fromSnapshot;
  const env = options.env ?? process.env;
  const cookie = checkMagicCookie(options.handshake, env);
  if (!cookie.ok) {
    process.stderr.write(cookie.message);
    return exitNow(1);
  }
  const stdio = new StdioCapture();
  stdio.start();
  let config: ServerConfig | undefined;
  let configError: unknown;
  try {
    config = resolveServerConfig(options, env);
  } catch (error) {
    configError = error;
  }
  const logger = options.logger ?? createLogger({ level: config?.logLevel ?? "debug", write: stdio.realStderrWrite });
  try {
    if (!config) throw configError;
    return await traced("rpcplugin.serve", { "rpcplugin.network": config.network }, () => start(options, config, stdio, logger), env);
  } catch (error) {
    // No host will read GRPCStdio now, so what was held goes to the real stderr: the host's
    // errors quote its stderr tail, whereas a Go host would read a stdout line as the handshake.
    stdio.stopAndFlush(stdio.realStderrWrite);
    const message = error instanceof PluginError ? error.message : String((error as Error)?.stack ?? error);
    logger.error("plugin init error", { error: message });
    return exitNow(PluginExitCode.START_FAILED);
  }
}

async function start(options: ServeOptions, config: ServerConfig, stdio: StdioCapture, logger: Logger): Promise<ServingPlugin> {
  const hostEnv = config.host;
  for (const entry of hostEnv.invalidProtocolVersions) logger.warn(`server sent invalid plugin version ${JSON.stringify(entry)}`);

  const sets = pluginSets(options);
  const negotiated = negotiateVersion(hostEnv.protocolVersions, [...sets.keys()]);
  if (!negotiated.common) {
    logger.warn("no protocol version in common with the host; offering the lowest served version", {
      host_versions: hostEnv.protocolVersions.join(","),
      served_versions: [...sets.keys()].join(","),
      offered: negotiated.version,
    });
  }
  const plugins = await loadPluginSet(sets.get(negotiated.version) as PluginSet | PluginSetLoader, negotiated.version);

  // grpc-js credentials are made only if grpc-js runs (the grpc-js engine, or the broker).
  let serverCredentials = (): grpc.ServerCredentials => grpcJs().ServerCredentials.createInsecure();
  let channelCredentials = (): grpc.ChannelCredentials => grpcJs().credentials.createInsecure();
  let serverTls: ServerTlsMaterial | undefined;
  let serverCert: Buffer | undefined;
  if (config.tls !== undefined) {
    // Checked now, so a wrong file fails the start rather than the first call.
    const supplied = loadServerTls(config.tls);
    serverCredentials = once(() => suppliedServerCredentials(supplied));
    serverTls = suppliedServerTls(supplied);
    channelCredentials = once(() => suppliedChannelCredentials(supplied)); // for dialing the host's brokered services
    logger.debug("serving supplied TLS", { subject: supplied.identity?.leaf.subject, client_ca: supplied.caPem !== undefined });
  } else if (hostEnv.clientCertPem !== undefined) {
    parseCertificate(hostEnv.clientCertPem, "the host's certificate in PLUGIN_CLIENT_CERT");
    const own = generateCertificate(options.certificateCurve ? { curve: options.certificateCurve } : {});
    serverCert = own.certDer;
    const clientCertPem = hostEnv.clientCertPem;
    serverCredentials = once(() => pinnedServerCredentials(own, clientCertPem));
    serverTls = pinnedServerTls(own, clientCertPem);
    channelCredentials = once(() => pinnedChannelCredentials(own, clientCertPem));
  }

  const listenOptions = {
    network: config.network,
    unixSocketDir: hostEnv.unixSocketDir,
    unixSocketGroup: hostEnv.unixSocketGroup,
    minPort: hostEnv.minPort,
    maxPort: hostEnv.maxPort,
  };

  const { server, inject } = await createEngineServer(config.engine, serverTls, serverCredentials);
  logger.debug("rpc engine", { engine: config.engine });
  const rateLimits = installServerInterceptors(server, config.rateLimit, options.methodRateLimits);
  let multiplexer: (BrokerMultiplexer & { close(): void }) | undefined;
  const broker = new BrokerCore({
    send: (info) => brokerStream.send(info),
    listen: listenOptions,
    serverCredentials: () => serverCredentials(),
    channelCredentials: () => channelCredentials(),
    get multiplexer() {
      return multiplexer;
    },
  });
  const brokerStream = brokerStreamHandler(broker);
  const health = new HealthState();
  let stopping: Promise<never> | undefined;
  const stop = (): Promise<never> => {
    stopping ??= shutdown();
    return stopping;
  };

  addService(server, Health, health.handler);
  addService(server, GRPCBroker, brokerStream.handler);
  addService(
    server,
    GRPCController,
    controllerHandler(() => void stop()),
  );
  addService(server, GRPCStdio, stdio.handler);
  addReflection(server);
  const context = { broker, logger };
  for (const plugin of Object.values(plugins)) plugin.register?.(server, context);
  const healthChecks = await startApplicationHealth(server, health, rateLimits, options.health ?? {}, logger);

  // yamux is loaded only when the host asks for multiplexing: less to load before the handshake.
  const multiplexing = hostEnv.multiplexRequested ? await import("./multiplex.js") : undefined;
  let firstConnection = true;
  const onConnection = (socket: Socket) => {
    // Stopping: new connections are refused (existing ones get GOAWAY from tryShutdown).
    if (stopping) {
      socket.destroy();
      return;
    }
    if (multiplexing && firstConnection) {
      firstConnection = false;
      multiplexer = multiplexing.startMultiplexing(socket, inject, logger);
      return;
    }
    inject(socket);
  };
  const listener: PluginListener = await listen(listenOptions, onConnection);
  // A plugin that calls process.exit() mid-call skips shutdown(); still take the socket file away.
  const removeSocketOnExit = () => {
    if (listener.address.network === "unix") rmSync(listener.address.address, { force: true });
  };
  process.on("exit", removeSocketOnExit);
  logger.debug("plugin address", { network: listener.address.network, address: listener.address.address });

  stdio.realStdoutWrite(
    `${formatHandshakeLine({
      appVersion: negotiated.version,
      network: listener.address.network,
      address: listener.address.address,
      serverCert,
      multiplex: hostEnv.multiplexFieldRequested,
    })}\n`,
  );

  // SIGINT ignored (as go-plugin), SIGTERM drains, a second signal forces the exit.
  const removeSignalHandlers = handleStopSignals({ logger, stop: () => void stop(), force: () => void exitNow(PluginExitCode.FORCED) });
  const parentWatch = watchParent(() => {
    logger.debug("host process is gone; stopping");
    void stop();
  });

  async function shutdown(): Promise<never> {
    // The span ends before the exit, so a span processor that exports synchronously still sees it.
    const clean = await traced("rpcplugin.shutdown", { "rpcplugin.shutdown_grace_ms": config.shutdownGraceMs }, drainAndClose);
    return exitNow(clean ? PluginExitCode.CLEAN : PluginExitCode.GRACE_EXPIRED);
  }

  /** Stops listening, lets in-flight calls finish within the grace period, closes the rest; whether every call finished. */
  async function drainAndClose(): Promise<boolean> {
    logger.debug("plugin shutting down");
    const listenerClosed = listener.close(); // no new connections; the socket file goes now
    parentWatch.stop();
    healthChecks.stop();
    health.shutdown();
    brokerStream.end();
    const drained = new Promise<boolean>((resolve) => server.tryShutdown(() => resolve(true)));
    const grace = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), config.shutdownGraceMs).unref());
    stdio.stop();
    const clean = await Promise.race([drained, grace]);
    if (!clean) logger.warn("shutdown grace period ended with calls still running; cutting them", { grace_ms: config.shutdownGraceMs });
    server.forceShutdown();
    await broker.close();
    multiplexer?.close();
    await listenerClosed;
    removeSignalHandlers();
    process.off("exit", removeSocketOnExit);
    return clean;
  }

  const serving: ServingPlugin = {
    protocolVersion: negotiated.version,
    address: listener.address,
    health,
    logger,
    config,
    stop,
  };
  options.onServing?.(serving);
  return serving;
}

function pluginSets(options: ServeOptions): Map<number, PluginSet | PluginSetLoader> {
  const sets = new Map<number, PluginSet | PluginSetLoader>();
  for (const [version, set] of Object.entries(options.versionedPlugins ?? {})) {
    const number = Number(version);
    if (!Number.isInteger(number) || number < 0) throw new ConfigError(`versionedPlugins key ${JSON.stringify(version)} is not a protocol version number`);
    sets.set(number, set);
  }
  if (options.plugins) sets.set(options.protocolVersion ?? 1, options.plugins);
  if (sets.size === 0) throw new ConfigError("serve() needs `plugins` or `versionedPlugins`: there is nothing to serve");
  return sets;
}

async function loadPluginSet(source: PluginSet | PluginSetLoader, version: number): Promise<PluginSet> {
  if (typeof source !== "function") return source;
  const set: unknown = await source();
  if (typeof set !== "object" || set === null || Array.isArray(set)) {
    throw new ConfigError(
      `the loader of versionedPlugins[${version}] returned ${set === null ? "null" : Array.isArray(set) ? "an array" : typeof set}; it must return (or resolve to) a plugin set, e.g. { name: plugin }`,
    );
  }
  return set as PluginSet;
}

function exitNow(code: number): Promise<never> {
  // Let pending stdout/stderr writes drain before exiting.
  process.exitCode = code;
  setImmediate(() => process.exit(code));
  return new Promise<never>(() => {});
}
