/**
 * Terraform plugin protocol 5 (tfplugin5.11): the protobuf-es messages and the generated
 * `ProviderHandler`, `ProviderClient` and `ProviderPlugin` for `tfplugin5.Provider`.
 *
 * @packageDocumentation
 */
export * from "./gen/tfplugin5/tfplugin5_pb.js";
export * from "./gen/tfplugin5/tfplugin5_rpcplugin.js";
