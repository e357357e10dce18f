/**
 * tfplugin5.Provider served by a {@link ProviderServer}: the same framework
 * calls under protocol 5's names (GetSchema, PrepareProviderConfig,
 * ValidateResourceTypeConfig, ValidateDataSourceConfig, Configure, Stop).
 * The framework's schemas use blocks only, never nested attribute types, so
 * every schema is valid in protocol 5 as it is.
 */
import type { ProviderHandler } from "../gen/tfplugin5/tfplugin5_rpcplugin.js";
import type { ProviderServer } from "./server.js";

/** The tfplugin5 handler of `server`. */
export function providerHandlerV5(server: ProviderServer): Partial<ProviderHandler> {
  return {
    getMetadata: () => server.getMetadata(),
    getSchema: () => server.getProviderSchema(),
    // v5 wants the (possibly defaulted) config back; the framework has no defaults, so it is the config itself.
    prepareProviderConfig: async (request, call) => ({ ...(await server.validateProviderConfig(request, call)), preparedConfig: request.config }),
    validateResourceTypeConfig: (request, call) => server.validateResourceConfig(request, call),
    validateDataSourceConfig: (request, call) => server.validateDataResourceConfig(request, call),
    upgradeResourceState: (request, call) => server.upgradeResourceState(request, call),
    configure: (request, call) => server.configureProvider(request, call),
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
    stop: () => server.stopProvider(),
  };
}
