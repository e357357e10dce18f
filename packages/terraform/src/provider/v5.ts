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
    prepareProviderConfig: async (request) => ({ ...(await server.validateProviderConfig(request)), preparedConfig: request.config }),
    validateResourceTypeConfig: (request) => server.validateResourceConfig(request),
    validateDataSourceConfig: (request) => server.validateDataResourceConfig(request),
    upgradeResourceState: (request) => server.upgradeResourceState(request),
    configure: (request) => server.configureProvider(request),
    readResource: (request) => server.readResource(request),
    planResourceChange: (request) => server.planResourceChange(request),
    applyResourceChange: (request) => server.applyResourceChange(request),
    importResourceState: (request) => server.importResourceState(request),
    readDataSource: (request) => server.readDataSource(request),
    stop: () => server.stopProvider(),
  };
}
