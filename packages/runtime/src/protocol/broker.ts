/**
 * go-plugin's GRPCBroker: extra connections between host and plugin, so
 * either side can serve a service the other calls (e.g. a host-provided
 * callback the plugin invokes). The two sides exchange `ConnInfo` over one
 * long-lived `plugin.GRPCBroker/StartStream` call that the host opens.
 *
 * Plain mode: the acceptor opens a new listener and announces
 * `{service_id, network, address}`; the dialer waits (5 s) for that
 * announcement and connects with the same TLS setup as the main connection.
 *
 * Multiplexed mode (PLUGIN_MULTIPLEX_GRPC): every connection is a stream of
 * one yamux session over the main socket. The dialer knocks
 * (`{service_id, knock: {knock: true}}`), the acceptor acks, and the dialer
 * then opens a new stream, which the acceptor hands to that id's server.
 */

import type { Duplex } from "node:stream";
import { create } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { TransportError } from "../errors.js";
import { type ConnInfo, ConnInfoSchema } from "../gen/plugin/grpc_broker_pb.js";
import { loadGrpcJs } from "../rpc/grpc-js.js";
import { useInterceptors } from "../rpc/server.js";
import { clientTelemetryInterceptor, serverTelemetryInterceptor } from "../telemetry.js";
import { grpcTarget, type ListenOptions, listen, type PluginListener } from "./transport.js";

/** Opens and accepts brokered connections. Both the host and the plugin have one. */
export interface Broker {
  /** A fresh id for {@link Broker.acceptAndServe}; ids start at 1 on each side. */
  nextId(): number;
  /**
   * Serves services on a new connection the other side can dial with `id`.
   * Resolves once the connection info has been sent; `close()` the result
   * when the other side no longer needs it (the broker closes it at the end).
   */
  acceptAndServe(id: number, register: (server: grpc.Server) => void): Promise<BrokeredServer>;
  /** Connects to the services the other side serves under `id`. */
  dial(id: number, options?: { timeoutMs?: number }): Promise<grpc.Client>;
}

/** A server the broker runs for one id. */
export interface BrokeredServer {
  readonly id: number;
  /** Stops serving this id (in-flight calls are cut); idempotent. */
  close(): Promise<void>;
}

/** Upper bound on message size on every connection (go-plugin: math.MaxInt32). */
export const MAX_MESSAGE_SIZE = 2_147_483_647;

/** Server options for every gRPC server rpcplugin runs. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_SIZE,
  "grpc.max_send_message_length": MAX_MESSAGE_SIZE,
};

/** Channel options for every gRPC connection rpcplugin makes. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_SIZE,
  "grpc.max_send_message_length": MAX_MESSAGE_SIZE,
  // go-plugin dials with authority "unused"; what matters is that TLS verifies "localhost".
  "grpc.default_authority": "localhost",
  "grpc.ssl_target_name_override": "localhost",
  // HTTP/2's default 64 KiB receive window makes every 64 KiB message of a response stream wait
  // for a WINDOW_UPDATE round trip (grpc-go grows its window by BDP estimation, up to 16 MiB).
  // In-process A/B (bench/profile/stream-ab.mjs): server streaming CPU per MB ×0.76, MB/s ×1.3.
  // grpc-js servers ignore this option, so request streams into a TS server keep 64 KiB.
  "grpc-node.flow_control_window": 8 * 1024 * 1024,
};

/** {@link CHANNEL_OPTIONS} with calls traced (telemetry.ts), for the connections the runtime dials itself. */
export const TRACED_CHANNEL_OPTIONS: grpc.ClientOptions = { ...CHANNEL_OPTIONS, interceptors: [clientTelemetryInterceptor] };

const DIAL_TIMEOUT_MS = 5000;

/** How a broker reaches the other side in multiplexed mode. */
export interface BrokerMultiplexer {
  /** Opens a new stream on the shared session (after the peer acked the knock). */
  openStream(): Promise<Duplex>;
  /** Routes the next incoming stream to `handler` (it was announced by a knock for `id`). */
  expectStream(id: number, handler: (stream: Duplex) => void): void;
  /** Makes a gRPC client whose every connection is a stream made by `openStream`. */
  clientOver(openStream: () => Promise<Duplex>, credentials: grpc.ChannelCredentials): Promise<grpc.Client>;
}

/** What {@link createBroker} needs from the side it runs on. */
export interface BrokerOptions {
  /** Sends a ConnInfo to the other side over StartStream. */
  send(info: ConnInfo): void;
  /** Where plain-mode listeners are opened. */
  listen: ListenOptions;
  serverCredentials(): grpc.ServerCredentials;
  channelCredentials(): grpc.ChannelCredentials;
  /** Present in multiplexed mode. */
  multiplexer?: BrokerMultiplexer | undefined;
}

/** The broker of one connection; {@link BrokerCore.receive} is fed from StartStream. */
export class BrokerCore implements Broker {
  private lastId = 0;
  private readonly infos = new Map<number, ConnInfo>();
  private readonly waiting = new Map<number, Set<(info: ConnInfo) => void>>();
  private readonly acceptors = new Map<number, (stream: Duplex) => void>();
  private readonly pendingKnocks = new Set<number>();
  private readonly servers = new Set<grpc.Server>();
  private readonly listeners = new Set<PluginListener>();
  private readonly clients = new Set<grpc.Client>();
  private dialLock: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: BrokerOptions) {}

  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  /** Handles one ConnInfo from the other side. */
  receive(info: ConnInfo): void {
    if (this.closed) return;
    const knock = info.knock;
    if (knock?.knock && !knock.ack) {
      this.answerKnock(info.serviceId);
      return;
    }
    const waiters = this.waiting.get(info.serviceId);
    const first = waiters?.values().next().value;
    if (waiters && first) {
      waiters.delete(first);
      if (waiters.size === 0) this.waiting.delete(info.serviceId);
      first(info);
      return;
    }
    // Nobody is dialing yet: keep it for a later dial, as go-plugin does for 5 s.
    this.infos.set(info.serviceId, info);
    setTimeout(() => {
      if (this.infos.get(info.serviceId) === info) this.infos.delete(info.serviceId);
    }, DIAL_TIMEOUT_MS).unref();
  }

  async acceptAndServe(id: number, register: (server: grpc.Server) => void): Promise<BrokeredServer> {
    this.assertOpen();
    // Brokered connections run on grpc-js whichever engine the main connection has.
    const grpc = await loadGrpcJs();
    const server = new grpc.Server(SERVER_OPTIONS);
    useInterceptors(server, [serverTelemetryInterceptor]);
    register(server);
    const injector = server.createConnectionInjector(this.options.serverCredentials());
    this.servers.add(server);
    let listener: PluginListener | undefined;
    const handle: BrokeredServer = {
      id,
      close: async () => {
        this.servers.delete(server);
        if (this.acceptors.get(id) === inject) this.acceptors.delete(id);
        server.forceShutdown();
        if (listener) {
          this.listeners.delete(listener);
          await listener.close();
        }
      },
    };
    const inject = (stream: Duplex) => injector.injectConnection(stream);
    if (this.options.multiplexer) {
      this.acceptors.set(id, inject);
      if (this.pendingKnocks.delete(id)) this.answerKnock(id);
      return handle;
    }
    listener = await listen(this.options.listen, inject);
    this.listeners.add(listener);
    this.options.send(create(ConnInfoSchema, { serviceId: id, network: listener.address.network, address: listener.address.address }));
    return handle;
  }

  async dial(id: number, options: { timeoutMs?: number } = {}): Promise<grpc.Client> {
    this.assertOpen();
    const grpc = await loadGrpcJs();
    const timeoutMs = options.timeoutMs ?? DIAL_TIMEOUT_MS;
    const multiplexer = this.options.multiplexer;
    let client: grpc.Client;
    if (multiplexer) {
      // Every new connection (grpc-js may reconnect) knocks again, then opens a stream.
      const knockAndOpen = () => {
        // Streams are established one at a time: an ack is for the *next* stream.
        const opened = this.dialLock.then(async () => {
          this.assertOpen();
          const ack = this.waitFor(id, timeoutMs, `timeout waiting for multiplexing knock handshake on id ${id}`);
          this.options.send(create(ConnInfoSchema, { serviceId: id, knock: { knock: true } }));
          const info = await ack;
          if (!info.knock?.ack) throw new TransportError(`handshake failed for multiplexing on id ${id}: expected a knock acknowledgement`);
          if (info.knock.error) throw new TransportError(`failed to knock for id ${id}: ${info.knock.error}`);
          return multiplexer.openStream();
        });
        this.dialLock = opened.catch(() => undefined);
        return opened;
      };
      client = await multiplexer.clientOver(knockAndOpen, this.options.channelCredentials());
    } else {
      const info = this.infos.get(id) ?? (await this.waitFor(id, timeoutMs, `timeout waiting for connection info for id ${id}`));
      this.infos.delete(id);
      if (info.network !== "unix" && info.network !== "tcp") {
        throw new TransportError(`unknown address type ${JSON.stringify(info.network)} for brokered id ${id}: ${info.address}`);
      }
      client = new grpc.Client(grpcTarget({ network: info.network, address: info.address }), this.options.channelCredentials(), TRACED_CHANNEL_OPTIONS);
    }
    this.clients.add(client);
    return client;
  }

  /** Closes every brokered server, listener and client; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiters of this.waiting.values()) waiters.clear();
    this.waiting.clear();
    for (const client of this.clients) client.close();
    for (const server of this.servers) server.forceShutdown();
    await Promise.all([...this.listeners].map((listener) => listener.close()));
  }

  private answerKnock(id: number): void {
    const acceptor = this.acceptors.get(id);
    const multiplexer = this.options.multiplexer;
    if (!multiplexer) {
      this.sendAck(id, "multiplexing is not enabled on this connection");
      return;
    }
    if (!acceptor) {
      // go-plugin holds a knock until Accept(id) is called; so do we.
      this.pendingKnocks.add(id);
      return;
    }
    multiplexer.expectStream(id, acceptor);
    this.sendAck(id, "");
  }

  private sendAck(id: number, error: string): void {
    this.options.send(create(ConnInfoSchema, { serviceId: id, knock: { knock: true, ack: true, error } }));
  }

  private waitFor(id: number, timeoutMs: number, timeoutMessage: string): Promise<ConnInfo> {
    return new Promise((resolve, reject) => {
      let waiters = this.waiting.get(id);
      if (!waiters) {
        waiters = new Set();
        this.waiting.set(id, waiters);
      }
      const timer = setTimeout(() => {
        waiters.delete(onInfo);
        reject(new TransportError(timeoutMessage));
      }, timeoutMs);
      const onInfo = (info: ConnInfo) => {
        clearTimeout(timer);
        resolve(info);
      };
      waiters.add(onInfo);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new TransportError("the broker is closed: the plugin connection has shut down");
  }
}
