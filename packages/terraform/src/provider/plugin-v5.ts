/**
 * The go-plugin plugin that serves a provider over tfplugin5. `serveProvider`
 * imports this module only when protocol 5 is the one served: it is what loads
 * the generated tfplugin5 code.
 */
import type { Logger, Plugin } from "@rpcplugin/runtime";
import { ProviderPlugin } from "../gen/tfplugin5/tfplugin5_rpcplugin.js";
import type { ProviderServer } from "./server.js";
import { providerHandlerV5 } from "./v5.js";

/** Serves the {@link ProviderServer} `makeServer` builds (with the plugin's logger) as tfplugin5.Provider. */
export function providerPluginV5(makeServer: (logger: Logger) => ProviderServer): Plugin {
  return ProviderPlugin.server(({ logger }) => providerHandlerV5(makeServer(logger)));
}
