/**
 * Unmanaged serving: go-plugin's `ServeConfig.Test` (Terraform's debug and
 * test mode). The plugin is started by hand, a debugger or a test, not by the
 * host, so there is no magic cookie, no version negotiation, no handshake
 * line, no AutoMTLS and no stdio capture: plaintext gRPC on a socket, and a
 * {@link ReattachConfig} (with `test: true`) that the host is given instead,
 * e.g. as TF_REATTACH_PROVIDERS.
 *
 * Unlike {@link serve}, stopping never exits the process, and the server
 * keeps accepting connections until stopped, so one server can answer many
 * hosts in turn (Terraform connects once per command and never stops a
 * reattached provider).
 */

import { createLogger, type Logger } from "../log.js";
import { BrokerCore } from "../protocol/broker.js";
import { CONFIG_DEFAULTS, serverConfigFromEnv } from "../protocol/config.js";
import type { Network } from "../protocol/handshake.js";
import type { PluginSet } from "../protocol/plugins.js";
import type { ReattachConfig } from "../protocol/reattach.js";
import { listen, type PluginListener } from "../protocol/transport.js";
import type { EngineName } from "../rpc/engine.js";
import { grpcJs } from "../rpc/grpc-js.js";
import { addService } from "../rpc/server.js";
import { brokerStreamHandler, GRPCBroker } from "../services/broker.js";
import { controllerHandler, GRPCController } from "../services/controller.js";
import { Health, HealthState } from "../services/health.js";
import { takeHeldStdout } from "../services/held-stdout.js";
import { createEngineServer } from "./server-engine.js";
import { deferToSnapshotStart } from "./snapshot-start.js";

/** Options of {@link serveUnmanaged}. */
export interface ServeUnmanagedOptions {
  /** The plugins to serve. */
  plugins: PluginSet;
  /** The app protocol version they speak (written into the reattach config). */
  protocolVersion: number;
  /** Transport (default "unix"). */
  network?: Network;
  /** Unix: directory of the socket file (default: the OS temp dir). Keep it short (~100 bytes). */
  unixSocketDir?: string;
  /** Logger for the plugin's records (default: hclog JSON on stderr at "info"). */
  logger?: Logger;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** The RPC engine (default: PLUGIN_RPC_ENGINE, else the runtime's default). */
  engine?: EngineName;
}

/** A plugin served with {@link serveUnmanaged}. */
export interface UnmanagedPlugin extends AsyncDisposable {
  readonly protocolVersion: number;
  readonly address: { network: Network; address: string };
  /** Where hosts reattach: this process, `test: true`. */
  readonly reattachConfig: ReattachConfig;
  readonly logger: Logger;
  /** Resolves once stopped (by {@link UnmanagedPlugin.stop}, the signal or a host's Shutdown call). */
  readonly stopped: Promise<void>;
  /** Stops accepting, ends open calls and removes the socket file. Never exits the process. */
  stop(): Promise<void>;
}

/** Serves `plugins` in this process for hosts that reattach (plaintext, no handshake). */
export async function serveUnmanaged(options: ServeUnmanagedOptions): Promise<UnmanagedPlugin> {
  const fromSnapshot = deferToSnapshotStart(() => serveUnmanaged(options));
  if (fromSnapshot) return fromSnapshot;
  // No host reads GRPCStdio here: output held from before (a built executable's) goes to the real stdout, and stops being held.
  for (const chunk of takeHeldStdout()) process.stdout.write(chunk);
  const logger = options.logger ?? createLogger({ level: "info", write: (line) => process.stderr.write(line) });
  const listenOptions = { network: options.network ?? "unix", unixSocketDir: options.unixSocketDir };
  const insecureServer = () => grpcJs().ServerCredentials.createInsecure();
  const engine = options.engine ?? serverConfigFromEnv(process.env).engine ?? CONFIG_DEFAULTS.engine;
  const { server, inject } = await createEngineServer(engine, undefined, insecureServer);
  const broker = new BrokerCore({
    send: (info) => brokerStream.send(info),
    listen: listenOptions,
    serverCredentials: insecureServer,
    channelCredentials: () => grpcJs().credentials.createInsecure(),
  });
  const brokerStream = brokerStreamHandler(broker);
  const health = new HealthState();

  let stopping: Promise<void> | undefined;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      health.shutdown();
      brokerStream.end();
      server.forceShutdown();
      await broker.close();
      await listener.close();
      resolveStopped();
    })();
    return stopping;
  };
  const onAbort = () => void stop();

  addService(server, Health, health.handler);
  addService(server, GRPCBroker, brokerStream.handler);
  addService(
    server,
    GRPCController,
    controllerHandler(() => void stop()),
  );
  for (const plugin of Object.values(options.plugins)) plugin.register?.(server, { broker, logger });

  const listener: PluginListener = await listen(listenOptions, inject);
  if (options.signal?.aborted) await stop();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  logger.debug("plugin serving unmanaged", { network: listener.address.network, address: listener.address.address });

  const reattachConfig: ReattachConfig = {
    protocol: "grpc",
    protocolVersion: options.protocolVersion,
    address: listener.address,
    pid: process.pid,
    test: true,
  };
  return {
    protocolVersion: options.protocolVersion,
    address: listener.address,
    reattachConfig,
    logger,
    stopped,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
