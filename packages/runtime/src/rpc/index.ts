/**
 * The typed RPC layer: protobuf-es service descriptors served on either
 * engine (grpc-js or the h2 engine on node:http2) with async functions ({@link addService}) and called through typed clients
 * ({@link createClient}), with one error type ({@link RpcError}).
 */
export { Code, codeName } from "./code.js";
export { RpcError, type RpcErrorOptions, type StatusLike } from "./errors.js";
export { type MetadataInit, toMetadata } from "./metadata.js";
export { type MethodDefinition, type ServiceDefinition, serviceDefinition, methodDefinition, methodPath } from "./definition.js";
export type { CallContext } from "./context.js";
export {
  addService,
  useInterceptors,
  type AddServiceOptions,
  type ServiceHandler,
  type MethodHandler,
  type UnaryHandler,
  type ServerStreamingHandler,
  type ClientStreamingHandler,
  type BidiStreamingHandler,
  type AnyMethodHandler,
  type UntypedHandler,
  type HandlerInterceptor,
} from "./server.js";
export {
  createClient,
  type CallOptions,
  type ServiceClient,
  type ClientMethod,
  type UnaryMethod,
  type ServerStreamingMethod,
  type ClientStreamingMethod,
  type BidiStreamingMethod,
  type AnyClientMethod,
} from "./client.js";
export { type EngineName, type Transport, type RpcServer, ENGINES } from "./engine.js";
export { H2Channel, type H2ChannelOptions, type ChannelTarget, type CallHook, type CallStatus } from "./h2/channel.js";
export { H2Server, type H2ServerOptions } from "./h2/server.js";
export type { ClientTlsMaterial, ServerTlsMaterial } from "./h2/tls.js";
export { type CallRetry, DEFAULT_CALL_RETRY, isIdempotent } from "./retry.js";
