/**
 * `@rpcplugin/terraform`: Terraform and OpenTofu providers in TypeScript — the cty value codec
 * and the provider framework ({@link serveProvider}).
 *
 * The plugin protocols' generated code (messages, `ProviderHandler`, `ProviderClient`,
 * `ProviderPlugin`) lives in the subpath entries `@rpcplugin/terraform/tfplugin6` and
 * `@rpcplugin/terraform/tfplugin5`, not here: importing this entry loads neither, and a served
 * provider loads only the protocol Terraform negotiates.
 *
 * @packageDocumentation
 */
export * from "./cty/index.js";
export * from "./provider/index.js";
