/**
 * Reattach: connect to a plugin that is already running (started by hand or
 * by a debugger) instead of launching one. Terraform's TF_REATTACH_PROVIDERS
 * carries a JSON object of these, keyed by provider address.
 */
import { ConfigError } from "../errors.js";
import type { Network } from "./handshake.js";

/** Where a running plugin is and how to treat it (go-plugin's ReattachConfig). */
export interface ReattachConfig {
  /** Always "grpc" (go-plugin's net/rpc is not supported). */
  protocol: "grpc";
  /** The app protocol version the plugin serves. */
  protocolVersion: number;
  /** The plugin's address. */
  address: { network: Network; address: string };
  /** The plugin's process id (0 if unknown). */
  pid: number;
  /**
   * Test mode: the plugin is managed elsewhere, so `close()` only disconnects;
   * otherwise `close()` stops it (Shutdown, then SIGKILL of `pid`).
   */
  test: boolean;
}

/** Parses TF_REATTACH_PROVIDERS-style JSON: `{"<name>": {"Protocol","ProtocolVersion","Pid","Test","Addr":{"Network","String"}}}`. */
export function parseReattachProviders(json: string): Record<string, ReattachConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new ConfigError(`Invalid format for TF_REATTACH_PROVIDERS: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("Invalid format for TF_REATTACH_PROVIDERS: expected a JSON object keyed by provider address");
  }
  const configs: Record<string, ReattachConfig> = {};
  for (const [name, value] of Object.entries(parsed)) {
    ownKey(configs, name, fromJson(name, value));
  }
  return configs;
}

/** Formats configs as TF_REATTACH_PROVIDERS JSON. */
export function formatReattachProviders(configs: Record<string, ReattachConfig>): string {
  const out: Record<string, unknown> = {};
  for (const [name, config] of Object.entries(configs)) {
    ownKey(out, name, {
      Protocol: config.protocol,
      ProtocolVersion: config.protocolVersion,
      Pid: config.pid,
      Test: config.test,
      Addr: { Network: config.address.network, String: config.address.address },
    });
  }
  return JSON.stringify(out);
}

/** `target[key] = value` as an own property, also for keys such as "__proto__" (a provider address is any text). */
function ownKey(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function fromJson(name: string, value: unknown): ReattachConfig {
  const bad = (what: string): never => {
    throw new ConfigError(`Invalid format for TF_REATTACH_PROVIDERS: entry ${JSON.stringify(name)}: ${what}`);
  };
  if (typeof value !== "object" || value === null) return bad("expected an object");
  const entry = value as Record<string, unknown>;
  const protocol = entry.Protocol ?? "netrpc";
  if (protocol !== "grpc") bad(`Protocol ${JSON.stringify(protocol)} is not supported (only "grpc")`);
  const addr = entry.Addr as Record<string, unknown> | undefined;
  const network = addr?.Network;
  if (network !== "unix" && network !== "tcp") bad(`Addr.Network must be "unix" or "tcp", got ${JSON.stringify(network)}`);
  const address = addr?.String;
  if (typeof address !== "string" || address === "") bad("Addr.String must be the socket path or host:port");
  const version = entry.ProtocolVersion ?? 0;
  if (typeof version !== "number" || !Number.isInteger(version)) bad("ProtocolVersion must be an integer");
  const pid = entry.Pid ?? 0;
  if (typeof pid !== "number" || !Number.isInteger(pid)) bad("Pid must be an integer");
  return {
    protocol: "grpc",
    protocolVersion: version as number,
    address: { network: network as Network, address: address as string },
    pid: pid as number,
    test: entry.Test === true,
  };
}
