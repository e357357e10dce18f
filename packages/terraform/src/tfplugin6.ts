/**
 * Terraform plugin protocol 6 (tfplugin6.11): the protobuf-es messages and the generated
 * `ProviderHandler`, `ProviderClient` and `ProviderPlugin` for `tfplugin6.Provider`.
 *
 * @packageDocumentation
 */
export * from "./gen/tfplugin6/tfplugin6_pb.js";
export * from "./gen/tfplugin6/tfplugin6_rpcplugin.js";
