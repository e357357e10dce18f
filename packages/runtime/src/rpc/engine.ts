/**
 * The RPC engines the runtime runs calls on, and the types that stand for
 * either: `grpc-js` (`@grpc/grpc-js`, the engine the project was specified
 * with) and `h2` (the runtime's own gRPC over HTTP/2, `rpc/h2/`). Typed clients
 * and services take either; a user's own grpc-js `Client` or `Server` works
 * as before.
 */
import type { Message } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import type { H2Channel } from "./h2/channel.js";
import type { H2Server } from "./h2/server.js";

/** The name of an RPC engine. */
export type EngineName = "grpc-js" | "h2";

/** The engines, for validation and messages. */
export const ENGINES: readonly EngineName[] = ["grpc-js", "h2"];

/** A connection typed clients call over: a grpc-js `Client` or an h2 engine channel. */
export type Transport = grpc.Client | H2Channel;

/** A server services are added to: a grpc-js `Server` or an h2 engine server. */
export type RpcServer = grpc.Server | H2Server;

/** The call-making surface both engines' connections share (grpc-js's `make*Request` signatures). */
export interface CallTransport {
  makeUnaryRequest(
    path: string,
    serialize: (value: never) => Buffer,
    deserialize: (bytes: Buffer) => Message,
    argument: unknown,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, value?: Message) => void,
  ): grpc.ClientUnaryCall;
  makeClientStreamRequest(
    path: string,
    serialize: (value: never) => Buffer,
    deserialize: (bytes: Buffer) => Message,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, value?: Message) => void,
  ): grpc.ClientWritableStream<Message>;
  makeServerStreamRequest(
    path: string,
    serialize: (value: never) => Buffer,
    deserialize: (bytes: Buffer) => Message,
    argument: unknown,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<Message>;
  makeBidiStreamRequest(
    path: string,
    serialize: (value: never) => Buffer,
    deserialize: (bytes: Buffer) => Message,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientDuplexStream<Message, Message>;
}
