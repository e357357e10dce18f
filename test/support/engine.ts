/**
 * The RPC engine the TS hosts and plugins of this test process run on: what
 * PLUGIN_RPC_ENGINE says (vitest.config.ts sets it for the grpc-js project),
 * else the runtime's default. For the few assertions where the engines
 * differ on purpose (a status text grpc-js words its own way).
 */
import { CONFIG_DEFAULTS, clientConfigFromEnv, type EngineName } from "@rpcplugin/runtime";

export function testEngine(): EngineName {
  return clientConfigFromEnv(process.env).engine ?? CONFIG_DEFAULTS.engine;
}
