/**
 * The host side: launch a plugin (or reattach to a running one), connect to
 * it, and hand out typed clients with `dispense(name)`.
 *
 * Start: spawn with the go-plugin environment → read the handshake line →
 * connect over unix/TCP with the plugin's certificate pinned → health check
 * → open the stdio and broker streams. Stop: Controller.Shutdown → wait a
 * grace period for the process to exit → SIGKILL; the socket file never
 * outlives the plugin.
 */

import { lstatSync, rmSync } from "node:fs";
import { basename } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { ConfigError, describeExit, PluginError, TLSError, TransportError } from "../errors.js";
import { HealthClient } from "../gen/grpc/health/v1/health_rpcplugin.js";
import type { ConnInfo } from "../gen/plugin/grpc_broker_pb.js";
import { GRPCBrokerClient } from "../gen/plugin/grpc_broker_rpcplugin.js";
import { GRPCControllerClient } from "../gen/plugin/grpc_controller_rpcplugin.js";
import { StdioData_Channel as StdioChannel } from "../gen/plugin/grpc_stdio_pb.js";
import { GRPCStdioClient } from "../gen/plugin/grpc_stdio_rpcplugin.js";
import { createStderrParser, formatLogRecord, type LogLevel, type LogRecord, levelAtLeast } from "../log.js";
import { type Broker, BrokerCore, CHANNEL_OPTIONS } from "../protocol/broker.js";
import { type ClientConfig, CONFIG_DEFAULTS, clientConfigFromEnv, resolveClientConfig, type StartRetry, type TlsFiles } from "../protocol/config.js";
import { buildPluginEnvironment, type HandshakeConfig, type HandshakeInfo, type Network, parseHandshakeLine } from "../protocol/handshake.js";
import type { DispensedClient, PluginSet } from "../protocol/plugins.js";
import type { ReattachConfig } from "../protocol/reattach.js";
import {
  type CertificateCurve,
  type CertificateKeyPair,
  generateCertificate,
  parseCertificate,
  pinnedChannelCredentials,
  pinnedClientTls,
  pinnedServerCredentials,
  toPem,
} from "../protocol/tls.js";
import {
  describeTlsFailure,
  type LoadedTls,
  loadClientTls,
  probeTlsFailure,
  suppliedChannelCredentials,
  suppliedClientTls,
  suppliedServerCredentials,
} from "../protocol/tls-files.js";
import { grpcTarget } from "../protocol/transport.js";
import { Code } from "../rpc/code.js";
import type { EngineName, Transport } from "../rpc/engine.js";
import { RpcError } from "../rpc/errors.js";
import { grpcJs, loadGrpcJs } from "../rpc/grpc-js.js";
import { type CallHook, H2Channel } from "../rpc/h2/channel.js";
import type { ServingStatus } from "../services/health.js";
import { clientTelemetryHook, clientTelemetryInterceptor, traced, traceEnvironment } from "../telemetry.js";
import { AsyncQueue } from "../util/async-queue.js";
import { checkHealth, type HealthQueryOptions, type HealthWatchOptions, watchHealth } from "./health-watch.js";
import { launchPlugin, type PluginProcess } from "./process.js";
import { withStartRetries } from "./start-retry.js";

/** Where plugin output goes: a stream, or a function given each chunk. */
export type OutputSink = NodeJS.WritableStream | ((chunk: Buffer) => void);

/** Options shared by {@link startPlugin} and {@link reattachPlugin}. */
export interface ConnectOptions<P extends PluginSet> {
  /** Plugin set served at {@link ConnectOptions.protocolVersion}. */
  plugins?: P;
  /** Version of {@link ConnectOptions.plugins} (default 1). */
  protocolVersion?: number;
  /** Plugin sets by app protocol version; the plugin picks the highest it also serves. */
  versionedPlugins?: Record<number, P>;
  /** The plugin's stdout as forwarded over GRPCStdio (default: discarded, as in go-plugin). */
  syncStdout?: OutputSink;
  /** The plugin's stderr as forwarded over GRPCStdio (default: discarded). */
  syncStderr?: OutputSink;
  /** Gets every log record the plugin writes to its real stderr (default: printed to this process's stderr at `logLevel`). */
  onLog?: (record: LogRecord) => void;
  /** Level of the default log printer (default: PLUGIN_LOG_LEVEL, else "info"). */
  logLevel?: LogLevel;
  /** How long a plugin may take to exit after Shutdown before it is killed (default: PLUGIN_KILL_GRACE_MS, else 2000 ms). */
  killGraceMs?: number;
  /** How long to wait for the connection and first health check (default: PLUGIN_CONNECT_TIMEOUT_MS, else 10 000 ms). */
  connectTimeoutMs?: number;
  /**
   * The RPC engine of the connection to the plugin (default: PLUGIN_RPC_ENGINE, else "h2"):
   * `"h2"` calls on the runtime's own gRPC over HTTP/2, `"grpc-js"` through `@grpc/grpc-js`. The plugin may
   * run either engine, or be a Go plugin: the wire protocol is the same.
   */
  engine?: EngineName;
}

/** Options of {@link startPlugin}. */
export interface StartPluginOptions<P extends PluginSet> extends ConnectOptions<P> {
  /** The plugin executable. */
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Extra environment for the plugin, on top of this process's (unless `skipHostEnv`). */
  env?: Record<string, string>;
  /** Do not pass this process's environment to the plugin. */
  skipHostEnv?: boolean;
  /** The magic cookie the plugin expects. */
  handshake: HandshakeConfig;
  /** AutoMTLS: a fresh certificate each side, each pinning the other's (default true, unless `tls` or PLUGIN_TLS_* files are given). */
  autoMTLS?: boolean;
  /**
   * Supplied TLS instead of AutoMTLS (default: PLUGIN_TLS_CA_FILE / _CERT_FILE / _KEY_FILE when set):
   * the plugin's certificate must be signed by `caFile` and name `localhost`; `certFile`/`keyFile`
   * are presented as the client certificate. Checked before the plugin is started.
   */
  tls?: TlsFiles;
  /**
   * Retry a failed start with exponential backoff and full jitter (default: no retry, one attempt;
   * PLUGIN_START_ATTEMPTS sets `attempts`). Retried: the plugin exited before its handshake, did not
   * handshake in time, or could not be reached. Never retried: configuration, TLS, version and
   * malformed-handshake errors.
   */
  retry?: Partial<StartRetry>;
  /** Environment to read this host's PLUGIN_* settings from (default `process.env`). */
  configEnv?: NodeJS.ProcessEnv;
  /** Curve of the host's AutoMTLS certificate (default P-256). */
  certificateCurve?: CertificateCurve;
  /** How long the plugin may take to print its handshake line (default: PLUGIN_START_TIMEOUT_MS, else 60 000 ms, as go-plugin). */
  startTimeoutMs?: number;
  /** TCP port range the plugin may use (default 10000..25000). */
  minPort?: number;
  maxPort?: number;
  /** Directory for the plugin's unix socket (PLUGIN_UNIX_SOCKET_DIR); also used for the host's broker sockets. */
  unixSocketDir?: string;
  /** Group allowed to use the plugin's socket (PLUGIN_UNIX_SOCKET_GROUP). */
  unixSocketGroup?: string;
  /** The plugin's stdin: this process's (default, as go-plugin) or none. */
  stdin?: "inherit" | "ignore";
}

/** The plugin names of a set, or of any of several versioned sets. */
export type PluginName<P> = P extends unknown ? keyof P & string : never;
/** The plugin called `K` in whichever of the sets `P` has it. */
export type PluginNamed<P, K extends string> = P extends Record<K, infer X> ? X : never;

const liveProcesses = new Set<PluginProcess>();
let exitHookInstalled = false;

/** Launches a plugin and connects to it. Every failure is a typed {@link PluginError}; no process is left behind. */
export async function startPlugin<P extends PluginSet>(options: StartPluginOptions<P>): Promise<PluginClient<P>> {
  const sets = pluginSets(options);
  const config = resolveClientConfig(options, options.configEnv ?? process.env);
  const supplied = config.tls.mode === "files" ? loadClientTls(config.tls.files) : undefined;
  return traced("rpcplugin.start", { "rpcplugin.command": options.command }, () =>
    withStartRetries(config.retry, (_attempt, remainingMs) => startOnce(options, config, sets, supplied, remainingMs)),
  );
}

async function startOnce<P extends PluginSet>(
  options: StartPluginOptions<P>,
  config: ClientConfig,
  sets: Map<number, P>,
  supplied: LoadedTls | undefined,
  remainingMs: number | undefined,
): Promise<PluginClient<P>> {
  const within = (ms: number) => Math.max(1, remainingMs === undefined ? ms : Math.min(ms, remainingMs));
  const autoMTLS = config.tls.mode === "auto";
  const own = autoMTLS ? generateCertificate(options.certificateCurve ? { curve: options.certificateCurve } : {}) : undefined;
  const env: NodeJS.ProcessEnv = {
    ...(options.skipHostEnv ? {} : process.env),
    ...options.env,
    ...buildPluginEnvironment({
      handshake: options.handshake,
      protocolVersions: [...sets.keys()],
      ...(options.minPort === undefined ? {} : { minPort: options.minPort }),
      ...(options.maxPort === undefined ? {} : { maxPort: options.maxPort }),
      ...(own ? { clientCertPem: own.certPem } : {}),
      ...(options.unixSocketDir === undefined ? {} : { unixSocketDir: options.unixSocketDir }),
      ...(options.unixSocketGroup === undefined ? {} : { unixSocketGroup: options.unixSocketGroup }),
    }),
    // The plugin's serve span continues this start span's trace.
    ...traceEnvironment(),
  };
  const logName = `plugin.${basename(options.command)}`;
  const parser = createStderrParser();
  const onLog = options.onLog ?? defaultLogPrinter(logName, config.logLevel);
  const { process: child, line } = await traced("rpcplugin.handshake", { "rpcplugin.command": options.command }, () =>
    launchPlugin({
      command: options.command,
      args: options.args ?? [],
      cwd: options.cwd,
      env,
      stdin: options.stdin ?? "inherit",
      startTimeoutMs: within(config.startTimeoutMs),
      onStderrLine: (text) => onLog(parser.parse(text)),
    }),
  );
  track(child);
  let socketPath: string | undefined;
  const failAndKill = async (error: unknown): Promise<never> => {
    await child.kill();
    untrack(child);
    if (socketPath) removeSocketFile(socketPath);
    await child.settleStderr();
    throw withTail(error, child.stderrTail);
  };
  let info: ReturnType<typeof parseHandshakeLine>;
  try {
    socketPath = unixSocketOfLine(line);
    info = parseHandshakeLine(line, { hostVersions: [...sets.keys()] });
    if (autoMTLS && info.serverCert === undefined) {
      throw new TLSError("AutoMTLS is on but the plugin sent no certificate in its handshake line (6th field empty)");
    }
    if (config.tls.mode === "off" && info.serverCert !== undefined) {
      throw new TLSError("the plugin sent a certificate although AutoMTLS is off: it expects TLS the host did not set up");
    }
  } catch (error) {
    return failAndKill(error);
  }
  const plugins = sets.get(info.appVersion) as P;
  try {
    const serverCertPem =
      autoMTLS && info.serverCert ? toPem(parseCertificate(info.serverCert, "the plugin's certificate in its handshake line").raw) : undefined;
    const connection = await connect({
      address: { network: info.network, address: info.address },
      own,
      serverCertPem,
      supplied,
      child,
      timeoutMs: within(config.connectTimeoutMs),
      unixSocketDir: options.unixSocketDir,
      engine: config.engine,
    });
    const effective = { ...options, killGraceMs: config.killGraceMs };
    return new PluginClient(plugins, info.appVersion, { ...connection, handshake: { line, info } }, effective, child, undefined);
  } catch (error) {
    if (child.exit) {
      await child.settleStderr();
      untrack(child);
      throw child.exitedError(`plugin failed during connection setup (${(error as Error).message})`);
    }
    return failAndKill(error);
  }
}

/** Options of {@link reattachPlugin}. */
export type ReattachPluginOptions<P extends PluginSet> = ConnectOptions<P>;

/**
 * Connects to an already running plugin (go-plugin's Reattach). No process
 * is started and no certificates are exchanged, so the connection is
 * plaintext, as in go-plugin.
 */
export async function reattachPlugin<P extends PluginSet>(config: ReattachConfig, options: ReattachPluginOptions<P>): Promise<PluginClient<P>> {
  const sets = pluginSets(options);
  const plugins = sets.get(config.protocolVersion) ?? (sets.size === 1 ? [...sets.values()][0] : undefined);
  if (!plugins) {
    throw new ConfigError(
      `reattach config has protocol version ${config.protocolVersion}, but the host only has plugin sets for [${[...sets.keys()].join(" ")}]`,
    );
  }
  if (config.pid > 0 && !processAlive(config.pid)) {
    throw new TransportError(`reattachment process not found: no process with pid ${config.pid}`);
  }
  const connection = await connect({
    address: config.address,
    own: undefined,
    serverCertPem: undefined,
    supplied: undefined,
    child: undefined,
    timeoutMs: options.connectTimeoutMs ?? 10_000,
    unixSocketDir: undefined,
    engine: options.engine ?? clientConfigFromEnv(process.env).engine ?? CONFIG_DEFAULTS.engine,
  });
  return new PluginClient(plugins, config.protocolVersion, connection, options, undefined, config);
}

interface Connection {
  /** The handshake line and what it said (launched plugins only). */
  handshake?: { line: string; info: HandshakeInfo };
  address: { network: Network; address: string };
  transport: Transport;
  broker: BrokerCore;
  brokerOutgoing: AsyncQueue<ConnInfo>;
  tls: boolean;
}

async function connect(options: {
  address: { network: Network; address: string };
  own: CertificateKeyPair | undefined;
  serverCertPem: string | undefined;
  /** Supplied TLS: verify the plugin against the CA instead of pinning. */
  supplied: LoadedTls | undefined;
  child: PluginProcess | undefined;
  timeoutMs: number;
  unixSocketDir: string | undefined;
  engine: EngineName;
}): Promise<Connection> {
  const { own, serverCertPem, supplied, child } = options;
  const channelCredentials = () =>
    supplied
      ? suppliedChannelCredentials(supplied)
      : own && serverCertPem
        ? pinnedChannelCredentials(own, serverCertPem)
        : grpcJs().credentials.createInsecure();
  const serverCredentials = () =>
    supplied?.identity
      ? suppliedServerCredentials(supplied)
      : own && serverCertPem
        ? pinnedServerCredentials(own, serverCertPem)
        : grpcJs().ServerCredentials.createInsecure();
  const tls = own !== undefined || supplied !== undefined;
  if (options.engine === "grpc-js") await loadGrpcJs();
  const transport: Transport =
    options.engine === "h2"
      ? new H2Channel(options.address, {
          tls: supplied ? suppliedClientTls(supplied) : own && serverCertPem ? pinnedClientTls(own, serverCertPem) : undefined,
          hooks: [clientTelemetryHook, ...(child ? [exitAwareHook(child)] : [])],
        })
      : new (grpcJs().Client)(grpcTarget(options.address), channelCredentials(), {
          ...CHANNEL_OPTIONS,
          interceptors: [clientTelemetryInterceptor, ...(child ? [exitAwareInterceptor(child)] : [])],
        });
  const health = new HealthClient(transport);
  try {
    // Not wait-for-ready: a failed connect then fails the call at once with the cause (e.g. the TLS error).
    await health.check({ service: "plugin" }, { timeoutMs: options.timeoutMs });
  } catch (error) {
    transport.close();
    const probed = supplied && !child?.exit ? await probeTlsFailure(options.address, supplied) : undefined;
    throw connectionError(probed === undefined ? error : new Error(probed, { cause: error }), options.address, tls, supplied);
  }
  const brokerOutgoing = new AsyncQueue<ConnInfo>();
  const broker = new BrokerCore({
    send: (info) => brokerOutgoing.push(info),
    listen: { network: "unix", unixSocketDir: options.unixSocketDir },
    serverCredentials,
    channelCredentials,
  });
  return { address: options.address, transport, broker, brokerOutgoing, tls };
}

function connectionError(error: unknown, address: { network: Network; address: string }, tls: boolean, supplied?: LoadedTls): PluginError {
  const detail = error instanceof Error ? error.message : String(error);
  const where = `${address.network} ${address.address}`;
  if (tls && /certificate|ssl|tls|handshake|alert|self[- ]signed|verify|altnames/i.test(detail)) {
    return new TLSError(`TLS handshake with the plugin at ${where} failed: ${supplied ? describeTlsFailure(detail, supplied) : detail}`, { cause: error });
  }
  if (error instanceof RpcError && error.code !== Code.UNAVAILABLE && error.code !== Code.DEADLINE_EXCEEDED) {
    return new TransportError(`the plugin at ${where} failed its health check (grpc.health.v1 "plugin"): ${detail}`, { cause: error });
  }
  return new TransportError(`could not connect to the plugin at ${where}: ${detail}`, { cause: error });
}

/** The h2 engine's {@link exitAwareInterceptor}. */
function exitAwareHook(child: PluginProcess): CallHook {
  return () => (status) => {
    if (status.code !== Code.UNAVAILABLE && status.code !== Code.INTERNAL) return status;
    return child.exitsWithin(500).then((exited) => (exited && child.exit ? { ...status, details: exitDetails(child, status.details) } : status));
  };
}

/** A lost call's status message once the plugin is known to have exited. */
function exitDetails(child: PluginProcess, details: string): string {
  const exit = child.exit as NonNullable<PluginProcess["exit"]>;
  const tail = child.stderrTail.slice(-5);
  const quoted = tail.length > 0 ? `; last stderr lines: ${tail.join(" | ")}` : "";
  return `plugin exited with ${describeExit(exit.code, exit.signal)} during the call (${details})${quoted}`;
}

/** Turns "connection lost" statuses into ones that say the plugin exited, and how. */
function exitAwareInterceptor(child: PluginProcess): grpc.Interceptor {
  const grpc = grpcJs();
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(
          metadata,
          new grpc.ListenerBuilder()
            .withOnReceiveStatus((status, nextStatus) => {
              if (status.code !== grpc.status.UNAVAILABLE && status.code !== grpc.status.INTERNAL) {
                nextStatus(status);
                return;
              }
              void child.exitsWithin(500).then((exited) => {
                if (!exited || !child.exit) return nextStatus(status);
                nextStatus({ ...status, details: exitDetails(child, status.details) });
              });
            })
            .build(),
        );
      },
    });
}

/** A connected plugin. */
export class PluginClient<P extends PluginSet = PluginSet> {
  private readonly dispensed = new Map<string, unknown>();
  private closing: Promise<void> | undefined;
  private readonly stdioCall: AbortController = new AbortController();
  private readonly controller: GRPCControllerClient;

  /** @internal Use {@link startPlugin} or {@link reattachPlugin}. */
  constructor(
    private readonly plugins: P,
    /** The negotiated app protocol version. */
    readonly protocolVersion: number,
    private readonly connection: Connection,
    private readonly options: ConnectOptions<P>,
    private readonly child: PluginProcess | undefined,
    private readonly reattached: ReattachConfig | undefined,
  ) {
    this.controller = new GRPCControllerClient(connection.transport);
    this.pumpStdio();
    this.runBroker();
    if (child) void child.waitForExit().then(() => this.onExit());
  }

  /** Where the plugin listens. */
  get address(): { network: Network; address: string } {
    return this.connection.address;
  }

  /** The plugin's process id, if known. */
  get pid(): number | undefined {
    return this.child?.pid ?? (this.reattached?.pid || undefined);
  }

  /** The plugin's handshake line and its fields (undefined after a reattach, which has no handshake). */
  get handshake(): { line: string; info: HandshakeInfo } | undefined {
    return this.connection.handshake;
  }

  /** Whether the connection uses TLS (AutoMTLS or supplied certificates). */
  get tls(): boolean {
    return this.connection.tls;
  }

  /** How the plugin process ended, once it has (launched plugins only). */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.child?.exit;
  }

  /** The last lines the plugin wrote to stderr. */
  get stderrTail(): readonly string[] {
    return this.child?.stderrTail ?? [];
  }

  /** The one gRPC connection to the plugin, shared by every dispensed client (an h2 engine channel or a grpc-js `Client`, by `engine`). */
  get transport(): Transport {
    return this.connection.transport;
  }

  /** Serves callback services to the plugin and dials services it offers. */
  get broker(): Broker {
    return this.connection.broker;
  }

  /** A config to reattach to this plugin from another process (e.g. for TF_REATTACH_PROVIDERS). */
  get reattachConfig(): ReattachConfig {
    return {
      protocol: "grpc",
      protocolVersion: this.protocolVersion,
      address: this.connection.address,
      pid: this.pid ?? 0,
      test: this.reattached?.test ?? false,
    };
  }

  /**
   * The client of plugin `name` from the negotiated set. Purely local, as in
   * go-plugin: all plugins share this connection. The same object is
   * returned for the same name.
   */
  dispense<K extends PluginName<P>>(name: K): DispensedClient<PluginNamed<P, K>> {
    if (this.closing) throw new PluginError(`cannot dispense ${JSON.stringify(name)}: the plugin client is closed`);
    const cached = this.dispensed.get(name);
    if (cached !== undefined) return cached as DispensedClient<PluginNamed<P, K>>;
    const plugin = (this.plugins as PluginSet)[name];
    if (!plugin) {
      throw new ConfigError(
        `unknown plugin type: ${JSON.stringify(name)} (this host's set for version ${this.protocolVersion} has: ${Object.keys(this.plugins).join(", ") || "nothing"})`,
      );
    }
    if (!plugin.client) throw new ConfigError(`plugin ${JSON.stringify(name)} has no client side: it cannot be dispensed by a host`);
    const client = plugin.client({ transport: this.connection.transport, broker: this.connection.broker });
    this.dispensed.set(name, client);
    return client as DispensedClient<PluginNamed<P, K>>;
  }

  /** Checks the plugin answers its health check ("plugin" SERVING). */
  async ping(options: { timeoutMs?: number } = {}): Promise<void> {
    const response = await new HealthClient(this.connection.transport).check({ service: "plugin" }, { timeoutMs: options.timeoutMs ?? 5000 });
    if (response.status !== 1) throw new PluginError(`the plugin reports health status ${response.status}, not SERVING`);
  }

  /**
   * The application's health as the plugin reports it (service "" unless
   * `options.service` names another), e.g. NOT_SERVING while it cannot do its
   * work. Unlike {@link ping} (go-plugin's liveness check) this does not throw
   * for NOT_SERVING; it throws RpcError NOT_FOUND for a name the plugin does not report.
   */
  health(options: HealthQueryOptions = {}): Promise<ServingStatus> {
    return checkHealth(this.connection.transport, options);
  }

  /**
   * The application's health statuses as they change (grpc.health.v1 Watch):
   * the current one first, then each change. When the plugin stops serving
   * this host (it shuts down, exits or drops the connection) or this client
   * closes, the iteration ends with NOT_SERVING. Leave the loop to stop watching.
   *
   * @example
   * ```ts
   * for await (const status of client.watchHealth()) console.log(ServingStatus[status]);
   * ```
   */
  watchHealth(options: HealthWatchOptions = {}): AsyncIterable<ServingStatus> {
    return watchHealth(this.connection.transport, this.stdioCall.signal, options);
  }

  /**
   * Stops the plugin: Controller.Shutdown, then a grace period (2 s) for it to
   * exit, then SIGKILL. A reattached plugin in test mode is only
   * disconnected. Idempotent; never leaves the process or its socket file.
   */
  close(): Promise<void> {
    this.closing ??= traced("rpcplugin.shutdown", { "rpcplugin.pid": this.pid ?? 0 }, () => this.shutdown());
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    const grace = this.options.killGraceMs ?? 2000;
    const { transport, broker, brokerOutgoing } = this.connection;
    await broker.close();
    brokerOutgoing.end();
    const manage = this.child !== undefined || (this.reattached !== undefined && !this.reattached.test);
    const running = this.child ? !this.child.exit : this.reattached ? processAlive(this.reattached.pid) : false;
    if (manage && running) {
      await this.controller.shutdown({}, { timeoutMs: grace }).catch(() => undefined);
    }
    this.stdioCall.abort();
    transport.close();
    if (this.child) {
      if (!(await this.child.exitsWithin(grace))) await this.child.kill();
      untrack(this.child);
      this.removeLeftoverSocket();
    } else if (this.reattached && !this.reattached.test && this.reattached.pid > 0) {
      if (!(await pidExitsWithin(this.reattached.pid, grace))) {
        try {
          process.kill(this.reattached.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }

  private onExit(): void {
    this.stdioCall.abort();
    this.removeLeftoverSocket();
  }

  /** A killed plugin cannot remove its own socket file; we launched it, so we do. */
  private removeLeftoverSocket(): void {
    if (this.child?.exit && this.connection.address.network === "unix") removeSocketFile(this.connection.address.address);
  }

  private pumpStdio(): void {
    const { syncStdout, syncStderr } = this.options;
    const stdio = new GRPCStdioClient(this.connection.transport);
    void (async () => {
      try {
        for await (const data of stdio.streamStdio({}, { signal: this.stdioCall.signal })) {
          const sink = data.channel === StdioChannel.STDOUT ? syncStdout : data.channel === StdioChannel.STDERR ? syncStderr : undefined;
          if (sink) writeTo(sink, Buffer.from(data.data));
        }
      } catch {
        // Ends with the connection (EOF, cancel, or a plugin without the stdio service).
      }
    })();
  }

  private runBroker(): void {
    const { transport, broker, brokerOutgoing } = this.connection;
    const client = new GRPCBrokerClient(transport);
    void (async () => {
      try {
        for await (const info of client.startStream(brokerOutgoing)) broker.receive(info);
      } catch {
        // The plugin does not broker, or the connection ended.
      }
    })();
  }
}

/** The socket path a (possibly invalid) handshake line names, if it names one. */
function unixSocketOfLine(line: string): string | undefined {
  const [, , network, address] = line.trim().split("|");
  return network === "unix" && address ? address : undefined;
}

/** Removes a dead plugin's socket file — only if it is a socket, whatever the line claimed. */
function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path, { force: true });
  } catch {
    // already gone
  }
}

function writeTo(sink: OutputSink, chunk: Buffer): void {
  if (typeof sink === "function") sink(chunk);
  else sink.write(chunk);
}

function defaultLogPrinter(name: string, level: LogLevel): (record: LogRecord) => void {
  return (record) => {
    if (levelAtLeast(record.level, level)) process.stderr.write(`${formatLogRecord(record, name)}\n`);
  };
}

function pluginSets<P extends PluginSet>(options: ConnectOptions<P>): Map<number, P> {
  const sets = new Map<number, P>();
  for (const [version, set] of Object.entries(options.versionedPlugins ?? {})) sets.set(Number(version), set);
  if (options.plugins) sets.set(options.protocolVersion ?? 1, options.plugins);
  if (sets.size === 0) throw new ConfigError("startPlugin() needs `plugins` or `versionedPlugins`: the host must know what it can dispense");
  return sets;
}

function withTail(error: unknown, tail: readonly string[]): unknown {
  return error instanceof PluginError ? error.attachStderrTail(tail) : error;
}

function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function pidExitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !processAlive(pid);
}

function track(child: PluginProcess): void {
  liveProcesses.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // If the host exits without closing its plugins, do not leave orphans.
    process.on("exit", () => {
      for (const live of liveProcesses) live.killGroup();
    });
  }
}

function untrack(child: PluginProcess): void {
  liveProcesses.delete(child);
}
