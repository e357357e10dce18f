/**
 * Test harness of rpc/*.test.ts: the echo service served on a real server
 * on 127.0.0.1 and a typed client over a real connection, each on the engine
 * {@link useEngines} chose (grpc-js unless a suite asks for h2). Not part of
 * the public API.
 */
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { createClient, type ServiceClient } from "../client.js";
import type { EngineName, RpcServer, Transport } from "../engine.js";
import { H2Channel } from "../h2/channel.js";
import { H2Server } from "../h2/server.js";
import { type AddServiceOptions, addService, type ServiceHandler } from "../server.js";
import { EchoService } from "./gen/echo_pb.js";

/** What the tests set on both ends so 16 MiB messages pass (grpc-js defaults to 4 MiB). */
export const LARGE_MESSAGES = {
  "grpc.max_receive_message_length": 2147483647,
  "grpc.max_send_message_length": 2147483647,
} as const;

/** The engines of the harness's server and client. */
export const harnessEngines: { server: EngineName; client: EngineName } = { server: "grpc-js", client: "grpc-js" };

/** Runs the suites imported after this call with these engines (see rpc/engines-*.test.ts). */
export function useEngines(server: EngineName, client: EngineName): void {
  harnessEngines.server = server;
  harnessEngines.client = client;
}

/** A running echo server and a client of it. */
export interface EchoHarness {
  server: RpcServer;
  transport: Transport;
  client: ServiceClient<typeof EchoService>;
  target: string;
  /** Closes the client connection and the server (in-flight calls are cut). */
  close(): void;
}

/** Serves `handler` and connects a client; `options` are both ends' grpc-js options. */
export async function startEcho(
  handler: Partial<ServiceHandler<typeof EchoService>>,
  options: { grpc?: grpc.ChannelOptions; addService?: AddServiceOptions } = {},
): Promise<EchoHarness> {
  const channelOptions = options.grpc ?? LARGE_MESSAGES;
  // The h2 engine's limit is one number for both directions; grpc-js's default is 4 MiB.
  const maxMessageSize = channelOptions["grpc.max_receive_message_length"] ?? 4 * 1024 * 1024;
  let server: RpcServer;
  let port: number;
  if (harnessEngines.server === "h2") {
    const h2 = new H2Server({ maxMessageSize });
    addService(h2, EchoService, handler, options.addService);
    const listener = createServer((socket) => h2.injectConnection(socket));
    port = await new Promise<number>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(0, "127.0.0.1", () => resolve((listener.address() as { port: number }).port));
    });
    const force = h2.forceShutdown.bind(h2);
    h2.forceShutdown = () => {
      listener.close();
      force();
    };
    server = h2;
  } else {
    const grpcServer = new grpc.Server(channelOptions);
    addService(grpcServer, EchoService, handler, options.addService);
    port = await new Promise<number>((resolve, reject) => {
      grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    server = grpcServer;
  }
  const target = `127.0.0.1:${port}`;
  const transport: Transport =
    harnessEngines.client === "h2"
      ? new H2Channel({ network: "tcp", address: target }, { maxMessageSize })
      : new grpc.Client(target, grpc.credentials.createInsecure(), channelOptions);
  return {
    server,
    transport,
    target,
    client: createClient(EchoService, transport),
    close() {
      transport.close();
      server.forceShutdown();
    },
  };
}

/** A promise with its resolve function, for handing values between client and server in tests. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason), { once: true }));
}

/**
 * Waits for `promise`, failing with `what` if it has not settled after a
 * generous bound: a guard against a hang, not a timing assertion.
 */
export async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (not within ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `read()` returns the same value `times` polls in a row (the producer has stalled). */
export async function settled(read: () => number, times = 5, intervalMs = 50): Promise<number> {
  let last = read();
  let same = 0;
  while (same < times) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}
