/**
 * The provider framework: define a provider with typed schemas and plain
 * async functions; {@link serveProvider} serves it to Terraform/OpenTofu over
 * tfplugin5 and tfplugin6.
 */
export {
  type Attribute,
  type Block,
  type NestedBlock,
  type Nesting,
  type ValueOf,
  type AttributeValue,
  type ObjectOf,
  type MaybeUnknown,
  blockType,
} from "./schema.js";
export {
  type AttributePath,
  type PathStep,
  type Diagnostic,
  type Severity,
  type WireDiagnostic,
  type WireAttributePath,
  Diagnostics,
  DiagnosticError,
  attributePath,
  formatPath,
  toWireDiagnostic,
} from "./diagnostics.js";
export {
  type Provider,
  type Resource,
  type DataSource,
  type RequestContext,
  type PlanResult,
  defineProvider,
  defineResource,
  defineDataSource,
} from "./define.js";
export { planChange, type PlannedChange, type ObjectValue } from "./plan.js";
export { firstUnknown } from "./values.js";
export { toWireSchema, checkBlock, type WireSchema } from "./wire-schema.js";
export { ProviderServer, type DynamicValueBytes } from "./server.js";
export { providerHandlerV5 } from "./v5.js";
export { providerHandlerV6 } from "./v6.js";
export {
  serveProvider,
  serveProviderDebug,
  installCrashHandler,
  TERRAFORM_HANDSHAKE,
  PROVIDER_PLUGIN_NAME,
  type ServeProviderOptions,
  type DebugProvider,
} from "../serve.js";
