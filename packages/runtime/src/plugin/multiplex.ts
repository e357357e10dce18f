/**
 * go-plugin's multiplexed broker (PLUGIN_MULTIPLEX_GRPC), plugin side. The
 * host's first connection carries a yamux session in which the plugin is the
 * server. Each stream the host opens is one gRPC connection: to the main
 * server, or — when the host knocked for a broker id just before — to that
 * id's brokered server. Streams the plugin opens (after its own knock) carry
 * its connections to services the host serves.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../log.js";
import { type BrokerMultiplexer, TRACED_CHANNEL_OPTIONS } from "../protocol/broker.js";
import { grpcTarget } from "../protocol/transport.js";
import { YamuxSession } from "../yamux/index.js";

/** A running multiplexed session. */
export interface Multiplexer extends BrokerMultiplexer {
  close(): void;
}

/** Runs a yamux server session on `socket`; streams without a pending knock go to `injectMain`. */
export function startMultiplexing(socket: Socket, injectMain: (stream: Duplex) => void, logger: Logger): Multiplexer {
  const session = new YamuxSession(socket, { role: "server" });
  const expected: ((stream: Duplex) => void)[] = [];
  session.on("stream", (stream) => {
    const brokered = expected.shift();
    if (brokered) brokered(stream);
    else injectMain(stream);
  });
  session.on("close", (reason) => {
    if (reason) logger.debug("multiplexed session closed", { error: reason.message });
  });
  return {
    openStream: () => session.open(),
    expectStream: (_id, handler) => expected.push(handler),
    clientOver: async (openStream, credentials) => clientOverStreams(openStream, credentials, logger),
    close: () => session.destroy(),
  };
}

/**
 * Joins a local socket to a yamux stream. The stream is only ever half-closed
 * (FIN), never destroyed from our side: Go's yamux closes streams with FIN,
 * and an RST crossing its FIN makes the Go side log "frame for missing stream".
 */
function splice(local: Socket, remote: Duplex, logger: Logger): void {
  local.pipe(remote);
  remote.pipe(local);
  const endRemote = () => {
    if (remote.writable) remote.end();
  };
  local.on("close", endRemote);
  local.on("error", (error) => {
    logger.trace("brokered multiplexed connection ended", { error: error.message });
    endRemote();
  });
  remote.on("error", (error) => {
    logger.trace("brokered multiplexed stream failed", { error: error.message });
    local.destroy();
  });
  remote.on("close", () => local.destroy());
}

/**
 * A grpc-js client whose connections are yamux streams. grpc-js cannot dial
 * a custom Duplex, so it dials a private unix socket (in a 0700 directory)
 * whose every connection is piped into a fresh stream.
 */
async function clientOverStreams(openStream: () => Promise<Duplex>, credentials: grpc.ChannelCredentials, logger: Logger): Promise<grpc.Client> {
  const dir = mkdtempSync(join(tmpdir(), "rpcplugin-mux-"));
  const path = join(dir, "s");
  const proxy = createServer((local) => {
    openStream().then(
      (remote) => splice(local, remote, logger),
      (error: Error) => {
        logger.debug("could not open a multiplexed broker stream", { error: error.message });
        local.destroy(error);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once("error", reject);
    proxy.listen(path, resolve);
  });
  const client = new grpc.Client(grpcTarget({ network: "unix", address: path }), credentials, TRACED_CHANNEL_OPTIONS);
  const close = client.close.bind(client);
  client.close = () => {
    close();
    proxy.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return client;
}
