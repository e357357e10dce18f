/**
 * @rpcplugin/runtime — go-plugin's gRPC plugin protocol for TypeScript.
 *
 * Plugin side: {@link serve}. Host side: {@link startPlugin},
 * {@link reattachPlugin} and {@link PluginClient}.
 */
export { serve, type ServeOptions, type ServingPlugin, type PluginSetLoader } from "./plugin/serve.js";
export { serveUnmanaged, type ServeUnmanagedOptions, type UnmanagedPlugin } from "./plugin/serve-unmanaged.js";
export {
  startPlugin,
  reattachPlugin,
  PluginClient,
  type StartPluginOptions,
  type ReattachPluginOptions,
  type ConnectOptions,
  type OutputSink,
  type PluginName,
  type PluginNamed,
} from "./host/client.js";
export {
  type Plugin,
  type PluginSet,
  type PluginServerContext,
  type PluginClientContext,
  type DispensedClient,
  type PluginDefinition,
  type HandlerInit,
  definePlugin,
  servicePlugin,
  clientPlugin,
} from "./protocol/plugins.js";
export { type Broker, type BrokeredServer, MAX_MESSAGE_SIZE, SERVER_OPTIONS, CHANNEL_OPTIONS } from "./protocol/broker.js";
export {
  type HandshakeConfig,
  type HandshakeInfo,
  type Network,
  CORE_PROTOCOL_VERSION,
  Env,
  NOT_A_PLUGIN_MESSAGE,
  formatHandshakeLine,
  parseHandshakeLine,
  readPluginEnvironment,
  buildPluginEnvironment,
  negotiateVersion,
} from "./protocol/handshake.js";
export { type ReattachConfig, parseReattachProviders, formatReattachProviders } from "./protocol/reattach.js";
export { type Logger, type LogLevel, type LogRecord, createLogger, createStderrParser, formatLogRecord } from "./log.js";
export { type CertificateCurve, type CertificateKeyPair, generateCertificate } from "./protocol/tls.js";
export {
  type ServerConfig,
  type ClientConfig,
  type ServerSettings,
  type ClientSettings,
  type ClientTls,
  type TlsFiles,
  type RateLimitSettings,
  type StartRetry,
  ConfigEnv,
  CONFIG_DEFAULTS,
  serverConfigFromEnv,
  clientConfigFromEnv,
  resolveServerConfig,
  resolveClientConfig,
} from "./protocol/config.js";
export { type LoadedTls, loadServerTls, loadClientTls } from "./protocol/tls-files.js";
export { PluginExitCode } from "./plugin/signals.js";
export { type CombinedSignal, anySignal } from "./util/any-signal.js";
export { isRetryableStartError } from "./host/start-retry.js";
export { type HealthReporter, ServingStatus, PLUGIN_HEALTH_SERVICE, APPLICATION_HEALTH_SERVICE } from "./services/health.js";
export { type HealthCheckOptions, DEFAULT_HEALTH_INTERVAL_MS } from "./plugin/health-check.js";
export type { HealthQueryOptions, HealthWatchOptions } from "./host/health-watch.js";
export {
  type RateLimit,
  type RateLimitOptions,
  type Clock,
  TokenBucket,
  rateLimitInterceptor,
  rateLimitError,
  retryDelayMs,
  retryDelayFromMetadata,
  RETRY_AFTER_MS,
} from "./plugin/rate-limit.js";
export {
  TRACER_NAME,
  clientTelemetryInterceptor,
  clientTelemetryHook,
  serverTelemetryInterceptor,
  injectTraceContext,
  extractTraceContext,
} from "./telemetry.js";
export { LIFECYCLE_SERVICES } from "./services/lifecycle.js";
export {
  PluginError,
  ConfigError,
  HandshakeError,
  StartTimeoutError,
  IncompatibleVersionError,
  TransportError,
  TLSError,
  PluginExitedError,
} from "./errors.js";
export * from "./rpc/index.js";
export { loadGrpcJs } from "./rpc/grpc-js.js";
