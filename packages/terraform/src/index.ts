/**
 * `@rpcplugin/terraform`: Terraform and OpenTofu providers in TypeScript.
 *
 * @packageDocumentation
 */
export * from "./cty/index.js";
export * as tfplugin5 from "./tfplugin5.js";
export * as tfplugin6 from "./tfplugin6.js";
export * from "./provider/index.js";
