/**
 * A plugin's gRPC server on the engine its configuration names, and how a
 * connection (a listener's socket or a yamux stream) is handed to it. grpc-js
 * is loaded only when it is the engine.
 */

import type { Duplex } from "node:stream";
import type * as grpc from "@grpc/grpc-js";
import { SERVER_OPTIONS } from "../protocol/broker.js";
import type { EngineName, RpcServer } from "../rpc/engine.js";
import { loadGrpcJs } from "../rpc/grpc-js.js";
import { H2Server } from "../rpc/h2/server.js";
import type { ServerTlsMaterial } from "../rpc/h2/tls.js";

/** A server and its connection injector. */
export interface EngineServer {
  server: RpcServer;
  inject(connection: Duplex): void;
}

/**
 * Makes the server: on h2 with `tls` (undefined: plaintext), on grpc-js with
 * `credentials()` (the same certificates as grpc-js credentials).
 */
export async function createEngineServer(
  engine: EngineName,
  tls: ServerTlsMaterial | undefined,
  credentials: () => grpc.ServerCredentials,
): Promise<EngineServer> {
  if (engine === "h2") {
    const server = new H2Server({ tls });
    return { server, inject: (connection) => server.injectConnection(connection) };
  }
  const grpcJs = await loadGrpcJs();
  const server = new grpcJs.Server(SERVER_OPTIONS);
  const injector = server.createConnectionInjector(credentials());
  return { server, inject: (connection) => injector.injectConnection(connection) };
}

/** `make`, called once on first use. */
export function once<T>(make: () => T): () => T {
  let value: { made: T } | undefined;
  return () => (value ??= { made: make() }).made;
}
