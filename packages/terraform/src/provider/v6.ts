/**
 * tfplugin6.Provider served by a {@link ProviderServer}. RPCs the framework
 * does not implement (list resources, actions, state stores, config generation) answer
 * UNIMPLEMENTED, which Terraform accepts for all of them.
 */
import type { ProviderHandler } from "../gen/tfplugin6/tfplugin6_rpcplugin.js";
import type { ProviderServer } from "./server.js";

/** The tfplugin6 handler of `server`. */
export function providerHandlerV6(server: ProviderServer): Partial<ProviderHandler> {
  return {
    getMetadata: () => server.getMetadata(),
    getProviderSchema: () => server.getProviderSchema(),
    validateProviderConfig: (request, call) => server.validateProviderConfig(request, call),
    validateResourceConfig: (request, call) => server.validateResourceConfig(request, call),
    validateDataResourceConfig: (request, call) => server.validateDataResourceConfig(request, call),
    upgradeResourceState: (request, call) => server.upgradeResourceState(request, call),
    configureProvider: (request, call) => server.configureProvider(request, call),
    readResource: (request, call) => server.readResource(request, call),
    planResourceChange: (request, call) => server.planResourceChange(request, call),
    applyResourceChange: (request, call) => server.applyResourceChange(request, call),
    importResourceState: (request, call) => server.importResourceState(request, call),
    readDataSource: (request, call) => server.readDataSource(request, call),
    moveResourceState: (request, call) => server.moveResourceState(request, call),
    validateEphemeralResourceConfig: (request, call) => server.validateEphemeralResourceConfig(request, call),
    openEphemeralResource: (request, call) => server.openEphemeralResource(request, call),
    renewEphemeralResource: (request, call) => server.renewEphemeralResource(request, call),
    closeEphemeralResource: (request, call) => server.closeEphemeralResource(request, call),
    getFunctions: () => server.getFunctions(),
    getResourceIdentitySchemas: () => server.getResourceIdentitySchemas(),
    upgradeResourceIdentity: (request, call) => server.upgradeResourceIdentity(request, call),
    callFunction: (request, call) => server.callFunction(request, call),
    stopProvider: () => server.stopProvider(),
  };
}
