/**
 * @rpcplugin/runtime — go-plugin's gRPC plugin protocol for TypeScript.
 *
 * Plugin side: {@link serve}. Host side: {@link startPlugin},
 * {@link reattachPlugin} and {@link PluginClient}.
 */

export {
  ConfigError,
  HandshakeError,
  IncompatibleVersionError,
  PluginError,
  PluginExitedError,
  StartTimeoutError,
  TLSError,
  TransportError,
} from "./errors.js";
export {
  type ConnectOptions,
  type OutputSink,
  PluginClient,
  type PluginName,
  type PluginNamed,
  type ReattachPluginOptions,
  reattachPlugin,
  type StartPluginOptions,
  startPlugin,
} from "./host/client.js";
export type { HealthQueryOptions, HealthWatchOptions } from "./host/health-watch.js";
export { isRetryableStartError } from "./host/start-retry.js";
export { createLogger, createStderrParser, formatLogRecord, type Logger, type LogLevel, type LogRecord } from "./log.js";
export { DEFAULT_HEALTH_INTERVAL_MS, type HealthCheckOptions } from "./plugin/health-check.js";
export {
  type Clock,
  type RateLimit,
  type RateLimitOptions,
  RETRY_AFTER_MS,
  rateLimitError,
  rateLimitInterceptor,
  retryDelayFromMetadata,
  retryDelayMs,
  TokenBucket,
} from "./plugin/rate-limit.js";
export { type PluginSetLoader, type ServeOptions, type ServingPlugin, serve } from "./plugin/serve.js";
export { type ServeUnmanagedOptions, serveUnmanaged, type UnmanagedPlugin } from "./plugin/serve-unmanaged.js";
export { PluginExitCode } from "./plugin/signals.js";
export { deferToSnapshotStart, SNAPSHOT_START_HOOK, type SnapshotStartHook } from "./plugin/snapshot-start.js";
export { type Broker, type BrokeredServer, CHANNEL_OPTIONS, MAX_MESSAGE_SIZE, SERVER_OPTIONS } from "./protocol/broker.js";
export {
  type ClientConfig,
  type ClientSettings,
  type ClientTls,
  CONFIG_DEFAULTS,
  ConfigEnv,
  clientConfigFromEnv,
  type RateLimitSettings,
  resolveClientConfig,
  resolveServerConfig,
  type ServerConfig,
  type ServerSettings,
  type StartRetry,
  serverConfigFromEnv,
  type TlsFiles,
} from "./protocol/config.js";
export {
  buildPluginEnvironment,
  CORE_PROTOCOL_VERSION,
  Env,
  formatHandshakeLine,
  type HandshakeConfig,
  type HandshakeInfo,
  type Network,
  NOT_A_PLUGIN_MESSAGE,
  negotiateVersion,
  parseHandshakeLine,
  readPluginEnvironment,
} from "./protocol/handshake.js";
export {
  clientPlugin,
  type DispensedClient,
  definePlugin,
  type HandlerInit,
  type Plugin,
  type PluginClientContext,
  type PluginDefinition,
  type PluginServerContext,
  type PluginSet,
  servicePlugin,
} from "./protocol/plugins.js";
export { formatReattachProviders, parseReattachProviders, type ReattachConfig } from "./protocol/reattach.js";
export { type CertificateCurve, type CertificateKeyPair, generateCertificate } from "./protocol/tls.js";
export { type LoadedTls, loadClientTls, loadServerTls } from "./protocol/tls-files.js";
export { loadGrpcJs } from "./rpc/grpc-js.js";
export * from "./rpc/index.js";
export { APPLICATION_HEALTH_SERVICE, type HealthReporter, PLUGIN_HEALTH_SERVICE, ServingStatus } from "./services/health.js";
export { LIFECYCLE_SERVICES } from "./services/lifecycle.js";
export {
  clientTelemetryHook,
  clientTelemetryInterceptor,
  extractTraceContext,
  injectTraceContext,
  serverTelemetryInterceptor,
  TRACER_NAME,
} from "./telemetry.js";
export { anySignal, type CombinedSignal } from "./util/any-signal.js";
