// serveProviderDebug: the protocol it serves, and a clear error for one it cannot.
import { ConfigError, createLogger, reattachPlugin } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { ProviderPlugin as ProviderPluginV5 } from "./gen/tfplugin5/tfplugin5_rpcplugin.js";
import { ProviderPlugin as ProviderPluginV6 } from "./gen/tfplugin6/tfplugin6_rpcplugin.js";
import { defineProvider } from "./provider/define.js";
import { serveProviderDebug } from "./serve.js";

const provider = defineProvider({ name: "empty", schema: { attributes: {} } });
const logger = createLogger({ write: () => {} });

describe("serveProviderDebug", () => {
  it("serves protocol 6 by default, answering as tfplugin6.Provider", async () => {
    await using served = await serveProviderDebug(provider, { logger });
    expect(JSON.parse(served.reattachProviders)["registry.terraform.io/hashicorp/empty"].ProtocolVersion).toBe(6);
    const host = await reattachPlugin(served.plugin.reattachConfig, { versionedPlugins: { 6: { provider: ProviderPluginV6 } } });
    try {
      expect((await host.dispense("provider").getProviderSchema({})).provider?.block).toBeDefined();
    } finally {
      await host.close();
    }
  });

  it("serves protocol 5 when asked, answering as tfplugin5.Provider", async () => {
    await using served = await serveProviderDebug(provider, { debugProtocolVersion: 5, logger });
    expect(JSON.parse(served.reattachProviders)["registry.terraform.io/hashicorp/empty"].ProtocolVersion).toBe(5);
    const host = await reattachPlugin(served.plugin.reattachConfig, { versionedPlugins: { 5: { provider: ProviderPluginV5 } } });
    try {
      expect((await host.dispense("provider").getSchema({})).provider?.block).toBeDefined();
    } finally {
      await host.close();
    }
  });

  it("refuses a protocol other than 5 or 6 with a ConfigError naming it", async () => {
    const error = await serveProviderDebug(provider, { debugProtocolVersion: 4 as 5, logger }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe("debugProtocolVersion must be 5 or 6, got 4");
  });
});
