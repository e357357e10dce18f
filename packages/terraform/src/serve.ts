/**
 * Serving a provider to Terraform/OpenTofu: managed (Terraform launches the
 * executable; cookie, 5/6 negotiation, AutoMTLS) or debug (started by hand
 * or a test; plaintext unix socket, TF_REATTACH_PROVIDERS).
 */
import { writeSync } from "node:fs";
import {
  ConfigError,
  createLogger,
  deferToSnapshotStart,
  formatReattachProviders,
  type HandshakeConfig,
  type Logger,
  type LogLevel,
  type Plugin,
  type ServingPlugin,
  serve,
  serveUnmanaged,
  type UnmanagedPlugin,
} from "@rpcplugin/runtime";
import type { Provider } from "./provider/define.js";
import { usesNestedAttributes } from "./provider/schema.js";
import { ProviderServer } from "./provider/server.js";

/** Whether `provider` needs protocol 6 (nested attributes, which protocol 5 cannot carry). */
export function needsProtocol6(provider: Provider): boolean {
  const blocks = [
    provider.schema,
    ...Object.values(provider.resources ?? {}).map((r) => r.schema),
    ...Object.values(provider.dataSources ?? {}).map((d) => d.schema),
    ...Object.values(provider.ephemeralResources ?? {}).map((e) => e.schema),
  ];
  return blocks.some((block) => usesNestedAttributes(block));
}

/** Terraform's and OpenTofu's magic cookie (the same in every version: "should NEVER be changed"). */
export const TERRAFORM_HANDSHAKE: HandshakeConfig = {
  magicCookieKey: "TF_PLUGIN_MAGIC_COOKIE",
  magicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
};

/** The go-plugin name Terraform dispenses the provider under. */
export const PROVIDER_PLUGIN_NAME = "provider";

/** Options of {@link serveProvider}. */
export interface ServeProviderOptions {
  /**
   * The provider's source address (`example.com/rpcplugin/files`): the key of
   * TF_REATTACH_PROVIDERS in debug mode.
   */
  address?: string;
  /** Serve in debug mode (default: when the command line has `--debug`). */
  debug?: boolean;
  /** Protocol of debug mode (default 6). */
  debugProtocolVersion?: 5 | 6;
  /** Lowest level of the provider's log records (default "trace"; Terraform filters by TF_LOG itself). */
  logLevel?: LogLevel;
  /** Environment of the go-plugin contract (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A provider serving in debug mode. */
export interface DebugProvider extends AsyncDisposable {
  /** The server (address, reattach config, stop). */
  readonly plugin: UnmanagedPlugin;
  /** The value for TF_REATTACH_PROVIDERS. */
  readonly reattachProviders: string;
  /** Stops serving; never exits the process. */
  stop(): Promise<void>;
}

/**
 * The one entry point of a provider executable. Managed (the default):
 * serves protocol 5 and 6 and lets Terraform's PLUGIN_PROTOCOL_VERSIONS pick
 * (only the picked protocol's generated code is loaded), and exits when
 * Terraform is done. Debug (`--debug` or `options.debug`):
 * prints `TF_REATTACH_PROVIDERS='…'` on stdout and serves until SIGINT/SIGTERM.
 *
 * A definition with a mistake (bad names, an attribute neither required,
 * optional nor computed, …) throws a ConfigError before anything is served.
 *
 * Either way an exception nothing catches (a bug in provider code outside
 * the request it serves) crashes the process as a Go panic would: "panic: "
 * and the stack on stderr, exit status 2, so Terraform reports that the
 * plugin crashed.
 */
export async function serveProvider(provider: Provider, options: ServeProviderOptions = {}): Promise<ServingPlugin | DebugProvider> {
  // Building a startup snapshot: serving waits for the executable's start, and protocol 6's generated code goes into the
  // snapshot (Terraform and OpenTofu ≥ 1.0 offer 5 and 6, and go-plugin picks 6; 5 would cost every start its
  // deserialization for nothing, ~3 ms measured, so it loads if negotiated).
  const fromSnapshot = deferToSnapshotStart(
    () => serveProvider(provider, options),
    () => import("./provider/plugin-v6.js"),
  );
  if (fromSnapshot) return fromSnapshot;
  installCrashHandler();
  // Check the definition now (ConfigError naming the problem), not only once Terraform connects.
  new ProviderServer(provider, createLogger({ write: () => {} }));
  const debug = options.debug ?? process.argv.slice(2).includes("--debug");
  if (!debug) {
    return serve({
      handshake: TERRAFORM_HANDSHAKE,
      // Loaders: only the negotiated protocol's generated code is ever loaded.
      versionedPlugins: {
        // Nested attributes exist in protocol 6 only: such a provider does not offer 5.
        ...(needsProtocol6(provider) ? {} : { 5: async () => ({ [PROVIDER_PLUGIN_NAME]: await providerPlugin(5, (logger) => newServer(provider, logger)) }) }),
        6: async () => ({ [PROVIDER_PLUGIN_NAME]: await providerPlugin(6, (logger) => newServer(provider, logger)) }),
      },
      logLevel: options.logLevel ?? "trace",
      ...(options.env ? { env: options.env } : {}),
    });
  }
  const served = await serveProviderDebug(provider, options);
  process.stdout.write(
    `Provider ${provider.name} is serving in debug mode. To use it, set in the shell that runs terraform:\n\n` +
      `    TF_REATTACH_PROVIDERS='${served.reattachProviders}'\n\nStop it with Ctrl-C.\n`,
  );
  const stop = () => void served.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await served.plugin.stopped;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  return served;
}

/**
 * Serves `provider` in this process for Terraform to reattach to (go-plugin
 * test mode: plaintext, no cookie, `Test: true`). One server answers any
 * number of terraform commands; stop it when done. Tests use this directly.
 */
export async function serveProviderDebug(
  provider: Provider,
  options: Pick<ServeProviderOptions, "address" | "debugProtocolVersion" | "logLevel"> & { logger?: Logger; unixSocketDir?: string } = {},
): Promise<DebugProvider> {
  const protocolVersion = options.debugProtocolVersion ?? 6;
  if (protocolVersion !== 5 && protocolVersion !== 6) throw new ConfigError(`debugProtocolVersion must be 5 or 6, got ${JSON.stringify(protocolVersion)}`);
  if (protocolVersion === 5 && needsProtocol6(provider)) {
    throw new ConfigError(`provider ${JSON.stringify(provider.name)} has nested attributes, which protocol 5 cannot carry: serve it over protocol 6`);
  }
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info", write: (line) => process.stderr.write(line) });
  const plugin = await providerPlugin(protocolVersion, () => newServer(provider, logger));
  const served = await serveUnmanaged({
    plugins: { [PROVIDER_PLUGIN_NAME]: plugin },
    protocolVersion,
    logger,
    ...(options.unixSocketDir ? { unixSocketDir: options.unixSocketDir } : {}),
  });
  const address = options.address ?? `registry.terraform.io/hashicorp/${provider.name}`;
  return {
    plugin: served,
    reattachProviders: formatReattachProviders({ [address]: served.reattachConfig }),
    stop: () => served.stop(),
    [Symbol.asyncDispose]: () => served.stop(),
  };
}

/** The plugin serving over `version`, importing that protocol's generated code (and not the other's). */
async function providerPlugin(version: 5 | 6, makeServer: (logger: Logger) => ProviderServer): Promise<Plugin> {
  if (version === 6) return (await import("./provider/plugin-v6.js")).providerPluginV6(makeServer);
  return (await import("./provider/plugin-v5.js")).providerPluginV5(makeServer);
}

function newServer(provider: Provider, logger: Logger): ProviderServer {
  return new ProviderServer(provider, logger.named("provider").named(provider.name));
}

let crashHandlerInstalled = false;

/** Makes an uncaught exception or unhandled rejection a Go-style panic: stack on the real stderr, exit 2. */
export function installCrashHandler(): void {
  if (crashHandlerInstalled) return;
  crashHandlerInstalled = true;
  const crash = (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    const message = error instanceof Error ? error.message : String(error);
    try {
      // Straight to fd 2: process.stderr.write is captured for GRPCStdio once serving.
      writeSync(2, `panic: ${message}\n\n${text}\n`);
    } finally {
      process.exit(2);
    }
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
}
