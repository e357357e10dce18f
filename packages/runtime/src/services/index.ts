/**
 * The lifecycle services every plugin serves — their protobuf-es descriptors
 * and the typed handlers and clients protoc-gen-rpcplugin generates for them —
 * for tools that talk to a plugin directly (e.g. `rpcplugin probe`).
 */
export { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
export { HealthClient, type HealthHandler } from "../gen/grpc/health/v1/health_rpcplugin.js";
export { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
export { ServerReflectionClient, type ServerReflectionHandler } from "../gen/grpc/reflection/v1/reflection_rpcplugin.js";
export { GRPCBroker } from "../gen/plugin/grpc_broker_pb.js";
export { GRPCBrokerClient, type GRPCBrokerHandler } from "../gen/plugin/grpc_broker_rpcplugin.js";
export { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
export { GRPCControllerClient, type GRPCControllerHandler } from "../gen/plugin/grpc_controller_rpcplugin.js";
export { GRPCStdio, StdioData_Channel as StdioChannel } from "../gen/plugin/grpc_stdio_pb.js";
export { GRPCStdioClient, type GRPCStdioHandler } from "../gen/plugin/grpc_stdio_rpcplugin.js";
