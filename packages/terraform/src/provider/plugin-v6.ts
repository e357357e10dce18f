/**
 * The go-plugin plugin that serves a provider over tfplugin6. `serveProvider`
 * imports this module only when protocol 6 is the one served: it is what loads
 * the generated tfplugin6 code.
 */
import type { Logger, Plugin } from "@rpcplugin/runtime";
import { ProviderPlugin } from "../gen/tfplugin6/tfplugin6_rpcplugin.js";
import type { ProviderServer } from "./server.js";
import { providerHandlerV6 } from "./v6.js";

/** Serves the {@link ProviderServer} `makeServer` builds (with the plugin's logger) as tfplugin6.Provider. */
export function providerPluginV6(makeServer: (logger: Logger) => ProviderServer): Plugin {
  return ProviderPlugin.server(({ logger }) => providerHandlerV6(makeServer(logger)));
}
