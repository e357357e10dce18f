/**
 * tfplugin6.Provider served by a {@link ProviderServer}. RPCs the framework
 * does not implement (identity, move, ephemeral, list, functions, actions,
 * state stores) answer UNIMPLEMENTED, which Terraform accepts for all of them
 * (GetResourceIdentitySchemas: "no identities").
 */
import type { ProviderHandler } from "../gen/tfplugin6/tfplugin6_rpcplugin.js";
import type { ProviderServer } from "./server.js";

/** The tfplugin6 handler of `server`. */
export function providerHandlerV6(server: ProviderServer): Partial<ProviderHandler> {
  return {
    getMetadata: () => server.getMetadata(),
    getProviderSchema: () => server.getProviderSchema(),
    validateProviderConfig: (request) => server.validateProviderConfig(request),
    validateResourceConfig: (request) => server.validateResourceConfig(request),
    validateDataResourceConfig: (request) => server.validateDataResourceConfig(request),
    upgradeResourceState: (request) => server.upgradeResourceState(request),
    configureProvider: (request) => server.configureProvider(request),
    readResource: (request) => server.readResource(request),
    planResourceChange: (request) => server.planResourceChange(request),
    applyResourceChange: (request) => server.applyResourceChange(request),
    importResourceState: (request) => server.importResourceState(request),
    readDataSource: (request) => server.readDataSource(request),
    stopProvider: () => server.stopProvider(),
  };
}
