/**
 * The lifecycle services every plugin serves, as protobuf-es descriptors, for
 * tools that talk to a plugin directly (e.g. `rpcplugin probe`).
 */
export { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
export { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
export { GRPCBroker } from "../gen/plugin/grpc_broker_pb.js";
export { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
export { GRPCStdio, StdioData_Channel as StdioChannel } from "../gen/plugin/grpc_stdio_pb.js";
