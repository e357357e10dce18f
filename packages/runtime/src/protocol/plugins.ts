/**
 * What a plugin is, for both sides. A plugin registers gRPC services on the
 * plugin process's server (plugin side) and builds a client over the shared
 * connection (host side). Plugin names never cross the wire: the host's
 * `dispense(name)` is a local lookup in the negotiated plugin set, and all
 * services share one connection, exactly as in go-plugin.
 *
 * Generated code (protoc-gen-rpcplugin) produces these objects; hand-written
 * ones use {@link servicePlugin} and {@link clientPlugin}.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { Logger } from "../log.js";
import { createClient, type ServiceClient } from "../rpc/client.js";
import type { RpcServer, Transport } from "../rpc/engine.js";
import { addService, type ServiceHandler } from "../rpc/server.js";
import type { Broker } from "./broker.js";

/** Passed to a plugin when the plugin process registers its services. */
export interface PluginServerContext {
  /** Opens connections to services the host serves (callbacks) and offers services to the host. */
  broker: Broker;
  /** The plugin's hclog logger (writes to the real stderr, which the host parses). */
  logger: Logger;
}

/** Passed to a plugin when a host dispenses it. */
export interface PluginClientContext {
  /** The one gRPC connection to the plugin process, shared by every service (an h2 engine channel or a grpc-js `Client`). */
  transport: Transport;
  /** Serves callback services to the plugin and dials services it offers. */
  broker: Broker;
}

/** A plugin: the plugin side registers services, the host side builds a client. */
export interface Plugin<TClient = unknown> {
  /**
   * Plugin side: registers this plugin's services on the plugin's gRPC server (an h2 engine
   * server or a grpc-js `Server`, by the plugin's engine; `addService` takes either).
   */
  register?(server: RpcServer, context: PluginServerContext): void;
  /** Host side: makes what `PluginClient.dispense()` returns. */
  client?(context: PluginClientContext): TClient;
}

/** Named plugins served or dispensed together at one protocol version. */
export type PluginSet = Record<string, Plugin>;

/** What `dispense(name)` returns for a plugin of a set. */
export type DispensedClient<P> = P extends Plugin<infer C> ? C : never;

/** A handler for a service, or a function making one from the plugin's context (for the broker or logger). */
export type HandlerInit<S extends DescService> = Partial<ServiceHandler<S>> | ((context: PluginServerContext) => Partial<ServiceHandler<S>>);

/**
 * A plugin bound to one service: hosts dispense it as a typed client, and
 * plugin processes serve it with `.server(handler)`. Generated code exports
 * one per service (`KVPlugin`); hand-written code calls {@link definePlugin}.
 */
export interface PluginDefinition<S extends DescService, C> extends Plugin<C> {
  /** The service this plugin serves. */
  readonly service: S;
  /** The plugin-side plugin: serves `handler` (and can still be dispensed in-process). */
  server(handler: HandlerInit<S>): Plugin<C>;
}

/** Binds a service to the client hosts get from `dispense()`. */
export function definePlugin<S extends DescService, C>(service: S, makeClient: (context: PluginClientContext) => C): PluginDefinition<S, C> {
  return {
    service,
    client: makeClient,
    server: (handler) => ({ ...servicePlugin(service, handler), client: makeClient }),
  };
}

/** A plugin-side plugin that serves one service with `handler`. */
export function servicePlugin<S extends DescService>(service: S, handler: HandlerInit<S>): Plugin<never> {
  return {
    register(server, context) {
      addService(server, service, typeof handler === "function" ? handler(context) : handler);
    },
  };
}

/** A host-side plugin whose client is a typed client of one service. */
export function clientPlugin<S extends DescService>(service: S): Plugin<ServiceClient<S>> {
  return { client: ({ transport }) => createClient(service, transport) };
}
