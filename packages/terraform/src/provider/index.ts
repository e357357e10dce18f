/**
 * The provider framework: define a provider with typed schemas and plain
 * async functions; {@link serveProvider} serves it to Terraform/OpenTofu over
 * tfplugin5 and tfplugin6.
 */

export {
  type DebugProvider,
  installCrashHandler,
  needsProtocol6,
  PROVIDER_PLUGIN_NAME,
  type ServeProviderOptions,
  serveProvider,
  serveProviderDebug,
  TERRAFORM_HANDSHAKE,
} from "../serve.js";
export {
  type DataSource,
  defineDataSource,
  defineEphemeralResource,
  defineProvider,
  defineResource,
  type EphemeralOpened,
  type EphemeralRenewed,
  type EphemeralResource,
  type PlanResult,
  type Provider,
  type RequestContext,
  type Resource,
  type ResourceIdentity,
} from "./define.js";
export {
  type AttributePath,
  attributePath,
  type Diagnostic,
  DiagnosticError,
  Diagnostics,
  formatPath,
  type PathStep,
  type Severity,
  toWireDiagnostic,
  type WireAttributePath,
  type WireDiagnostic,
} from "./diagnostics.js";
export { type DocsOptions, providerDocs } from "./docs.js";
export {
  type ArgumentsOf,
  type ArgumentValue,
  type CallFunctionResult,
  defineFunction,
  type FunctionContext,
  FunctionError,
  type FunctionParameter,
  type ProviderFunction,
  type WireFunction,
} from "./functions.js";
export type { IdentityAttribute, IdentityAttributes, IdentityOf, IdentityType, WireIdentitySchema } from "./identity.js";
export { type ObjectValue, type PlannedChange, planChange } from "./plan.js";
export {
  type Attribute,
  type AttributeValue,
  type Block,
  blockType,
  type MaybeUnknown,
  type NestedAttributes,
  type NestedBlock,
  type NestedType,
  type Nesting,
  nestedAttribute,
  type ObjectOf,
  usesNestedAttributes,
  type ValueOf,
} from "./schema.js";
export { type DynamicValueBytes, ProviderServer } from "./server.js";
export { providerHandlerV5 } from "./v5.js";
export { providerHandlerV6 } from "./v6.js";
export { firstUnknown } from "./values.js";
export { checkBlock, toWireSchema, type WireSchema } from "./wire-schema.js";
