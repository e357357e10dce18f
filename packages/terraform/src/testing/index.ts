/**
 * `@rpcplugin/terraform/testing`: acceptance tests of a provider against the real terraform or
 * tofu binary, with the provider served in the test's own process through reattach.
 *
 * @packageDocumentation
 */
export {
  type AcceptanceTest,
  AcceptanceTestError,
  type ConfigStep,
  type ImportStep,
  type PlannedAction,
  runAcceptanceTest,
  type TestStep,
} from "./acceptance.js";
export { findTerraform, TERRAFORM_PATH_ENV } from "./binary.js";
export type { StateResource, TestState } from "./state.js";
