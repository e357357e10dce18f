/**
 * The typed RPC layer: protobuf-es service descriptors served on grpc-js
 * with async functions ({@link addService}) and called through typed clients
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
export { type CallRetry, DEFAULT_CALL_RETRY, isIdempotent } from "./retry.js";
