/**
 * The typed RPC layer: protobuf-es service descriptors served on either
 * engine (grpc-js or the runtime's own h2 engine) with async functions ({@link addService}) and called through typed clients
 * ({@link createClient}), with one error type ({@link RpcError}).
 */

export {
  type AnyClientMethod,
  type BidiStreamingMethod,
  type CallOptions,
  type ClientMethod,
  type ClientStreamingMethod,
  createClient,
  type ServerStreamingMethod,
  type ServiceClient,
  type UnaryMethod,
} from "./client.js";
export { Code, codeName } from "./code.js";
export type { CallContext } from "./context.js";
export { type MethodDefinition, methodDefinition, methodPath, type ServiceDefinition, serviceDefinition } from "./definition.js";
export { ENGINES, type EngineName, type RpcServer, type Transport } from "./engine.js";
export { RpcError, type RpcErrorOptions, type StatusLike } from "./errors.js";
export { type CallHook, type CallStatus, type ChannelTarget, H2Channel, type H2ChannelOptions } from "./h2/channel.js";
export { H2Server, type H2ServerOptions } from "./h2/server.js";
export type { ClientTlsMaterial, ServerTlsMaterial } from "./h2/tls.js";
export { type MemberName, memberName } from "./member-name.js";
export { type MetadataInit, toMetadata } from "./metadata.js";
export { type CallRetry, DEFAULT_CALL_RETRY, isIdempotent } from "./retry.js";
export {
  type AddServiceOptions,
  type AnyMethodHandler,
  addService,
  type BidiStreamingHandler,
  type ClientStreamingHandler,
  type HandlerInterceptor,
  type MethodHandler,
  type ServerStreamingHandler,
  type ServiceHandler,
  type UnaryHandler,
  type UntypedHandler,
  useInterceptors,
} from "./server.js";
