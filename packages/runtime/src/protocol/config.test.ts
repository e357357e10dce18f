import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { CONFIG_DEFAULTS, clientConfigFromEnv, resolveClientConfig, resolveServerConfig, serverConfigFromEnv } from "./config.js";

describe("serverConfigFromEnv", () => {
  it("reads only the variables that are set, and the go-plugin contract", () => {
    expect(serverConfigFromEnv({})).toEqual({ host: expect.objectContaining({ protocolVersions: [], minPort: 0, maxPort: 0 }) });
    const settings = serverConfigFromEnv({
      PLUGIN_TRANSPORT: "tcp",
      PLUGIN_LOG_LEVEL: "WARN",
      PLUGIN_SHUTDOWN_GRACE_MS: "250",
      PLUGIN_TLS_CERT_FILE: "/c.pem",
      PLUGIN_TLS_KEY_FILE: "/k.pem",
      PLUGIN_RATE_LIMIT: "2.5",
      PLUGIN_PROTOCOL_VERSIONS: "1,3",
      PLUGIN_MIN_PORT: "12000",
      PLUGIN_MAX_PORT: "12100",
    });
    expect(settings).toMatchObject({
      network: "tcp",
      logLevel: "warn",
      shutdownGraceMs: 250,
      tls: { certFile: "/c.pem", keyFile: "/k.pem", source: "env" },
      rateLimit: { ratePerSecond: 2.5, burst: 3 },
      host: { protocolVersions: [1, 3], minPort: 12000, maxPort: 12100 },
    });
    expect(settings.tls).not.toHaveProperty("caFile");
  });

  it("treats an empty variable as unset", () => {
    expect(serverConfigFromEnv({ PLUGIN_TRANSPORT: "", PLUGIN_TLS_CA_FILE: " " })).toEqual({ host: expect.anything() });
  });

  it.each([
    ["PLUGIN_TRANSPORT", "udp", 'PLUGIN_TRANSPORT="udp" is not a transport: unix or tcp'],
    ["PLUGIN_LOG_LEVEL", "loud", 'PLUGIN_LOG_LEVEL="loud" is not a log level: trace, debug, info, warn, error'],
    ["PLUGIN_SHUTDOWN_GRACE_MS", "2s", 'PLUGIN_SHUTDOWN_GRACE_MS="2s" is not a duration in milliseconds (a whole number ≥ 0)'],
    ["PLUGIN_SHUTDOWN_GRACE_MS", "-5", 'PLUGIN_SHUTDOWN_GRACE_MS="-5" is not a duration in milliseconds (a whole number ≥ 0)'],
    ["PLUGIN_RATE_LIMIT", "0", 'PLUGIN_RATE_LIMIT="0" is not a number of calls per second > 0, e.g. 100 or 2.5'],
    ["PLUGIN_RATE_LIMIT", "fast", 'PLUGIN_RATE_LIMIT="fast" is not a number of calls per second > 0, e.g. 100 or 2.5'],
    ["PLUGIN_MIN_PORT", "abc", 'couldn\'t get value from PLUGIN_MIN_PORT: "abc" is not a port number (0-65535)'],
  ])("%s=%s is a ConfigError naming variable, value and what is accepted", (name, value, message) => {
    const read = () => serverConfigFromEnv({ [name]: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });

  it("wants a rate with a burst, and takes the burst as given", () => {
    expect(() => serverConfigFromEnv({ PLUGIN_RATE_BURST: "10" })).toThrow('PLUGIN_RATE_BURST="10" is set but PLUGIN_RATE_LIMIT is not');
    expect(serverConfigFromEnv({ PLUGIN_RATE_LIMIT: "100", PLUGIN_RATE_BURST: "7" }).rateLimit).toEqual({ ratePerSecond: 100, burst: 7 });
    expect(() => serverConfigFromEnv({ PLUGIN_RATE_LIMIT: "1", PLUGIN_RATE_BURST: "0" })).toThrow('PLUGIN_RATE_BURST="0" is not a whole number ≥ 1');
  });

  it("is pure: the same env gives the same result, and process.env is not consulted", () => {
    const before = process.env.PLUGIN_TRANSPORT;
    process.env.PLUGIN_TRANSPORT = "tcp";
    try {
      expect(serverConfigFromEnv({}).network).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env.PLUGIN_TRANSPORT;
      else process.env.PLUGIN_TRANSPORT = before;
    }
  });
});

describe("resolveServerConfig precedence: explicit option > environment > default", () => {
  const env = { PLUGIN_TRANSPORT: "tcp", PLUGIN_LOG_LEVEL: "error", PLUGIN_SHUTDOWN_GRACE_MS: "300" };
  it.each([
    ["default", {}, {}, { network: "unix", logLevel: "debug", shutdownGraceMs: 2000 }],
    ["environment", {}, env, { network: "tcp", logLevel: "error", shutdownGraceMs: 300 }],
    ["explicit", { network: "unix", logLevel: "info", shutdownGraceMs: 10 } as const, env, { network: "unix", logLevel: "info", shutdownGraceMs: 10 }],
  ])("%s wins", (_name, explicit, environment, expected) => {
    expect(resolveServerConfig(explicit, environment)).toMatchObject(expected);
  });

  it("rejects bad explicit options by name", () => {
    expect(() => resolveServerConfig({ shutdownGraceMs: -1 }, {})).toThrow(
      "option shutdownGraceMs=-1 is not a duration in milliseconds: use a whole number ≥ 0",
    );
    expect(() => resolveServerConfig({ network: "udp" as never }, {})).toThrow('option network="udp" is not a transport');
    expect(() => resolveServerConfig({ rateLimit: { ratePerSecond: 1, burst: 0.5 } }, {})).toThrow("option rateLimit.burst=0.5");
    expect(() => resolveServerConfig({ tls: { certFile: "" } }, {})).toThrow('option tls.certFile="" is not a file path');
  });
});

describe("client config", () => {
  it("reads host variables", () => {
    expect(
      clientConfigFromEnv({
        PLUGIN_START_TIMEOUT_MS: "5000",
        PLUGIN_CONNECT_TIMEOUT_MS: "700",
        PLUGIN_KILL_GRACE_MS: "0",
        PLUGIN_START_ATTEMPTS: "3",
        PLUGIN_TLS_CA_FILE: "/ca.pem",
      }),
    ).toEqual({ startTimeoutMs: 5000, connectTimeoutMs: 700, killGraceMs: 0, retry: { attempts: 3 }, tls: { caFile: "/ca.pem", source: "env" } });
    expect(() => clientConfigFromEnv({ PLUGIN_START_TIMEOUT_MS: "0" })).toThrow(
      'PLUGIN_START_TIMEOUT_MS="0" is not a duration in milliseconds (a whole number ≥ 1)',
    );
    expect(() => clientConfigFromEnv({ PLUGIN_START_ATTEMPTS: "many" })).toThrow('PLUGIN_START_ATTEMPTS="many" is not a whole number ≥ 1');
  });

  it("defaults: AutoMTLS, no retry, go-plugin's timeouts", () => {
    expect(resolveClientConfig({}, {})).toEqual({
      engine: "h2",
      logLevel: "info",
      startTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      killGraceMs: 2000,
      tls: { mode: "auto" },
      retry: CONFIG_DEFAULTS.retry,
    });
    expect(CONFIG_DEFAULTS.retry.attempts).toBe(1);
  });

  it("engine: explicit option > PLUGIN_RPC_ENGINE > h2, on both sides; anything else is a ConfigError naming the engines", () => {
    expect(resolveClientConfig({}, { PLUGIN_RPC_ENGINE: "grpc-js" }).engine).toBe("grpc-js");
    expect(resolveClientConfig({ engine: "h2" }, { PLUGIN_RPC_ENGINE: "grpc-js" }).engine).toBe("h2");
    expect(resolveServerConfig({}, { PLUGIN_RPC_ENGINE: "grpc-js" }).engine).toBe("grpc-js");
    expect(resolveServerConfig({ engine: "grpc-js" }, {}).engine).toBe("grpc-js");
    expect(resolveServerConfig({}, {}).engine).toBe("h2");
    expect(() => resolveServerConfig({}, { PLUGIN_RPC_ENGINE: "http2" })).toThrow(ConfigError);
    expect(() => resolveServerConfig({}, { PLUGIN_RPC_ENGINE: "http2" })).toThrow(/PLUGIN_RPC_ENGINE="http2" is not an RPC engine: grpc-js or h2/);
    expect(() => resolveClientConfig({ engine: "fast" as never }, {})).toThrow(/option engine="fast" is not an RPC engine/);
  });

  it("TLS: explicit files > explicit autoMTLS > env files > AutoMTLS", () => {
    const env = { PLUGIN_TLS_CA_FILE: "/env-ca.pem" };
    expect(resolveClientConfig({ tls: { caFile: "/ca.pem" } }, env).tls).toEqual({ mode: "files", files: { caFile: "/ca.pem" } });
    expect(resolveClientConfig({ autoMTLS: false }, env).tls).toEqual({ mode: "off" });
    expect(resolveClientConfig({ autoMTLS: true }, env).tls).toEqual({ mode: "auto" });
    expect(resolveClientConfig({}, env).tls).toEqual({ mode: "files", files: { caFile: "/env-ca.pem", source: "env" } });
    expect(() => resolveClientConfig({ autoMTLS: true, tls: { caFile: "/ca.pem" } }, {})).toThrow("both `tls`");
  });

  it("retry: explicit fields over PLUGIN_START_ATTEMPTS over defaults, checked", () => {
    expect(resolveClientConfig({ retry: { initialDelayMs: 5 } }, { PLUGIN_START_ATTEMPTS: "4" }).retry).toEqual({
      attempts: 4,
      initialDelayMs: 5,
      maxDelayMs: 5000,
      totalTimeoutMs: undefined,
    });
    expect(resolveClientConfig({ retry: { attempts: 2 } }, { PLUGIN_START_ATTEMPTS: "4" }).retry.attempts).toBe(2);
    expect(() => resolveClientConfig({ retry: { attempts: 0 } }, {})).toThrow("option retry.attempts=0 is not an attempt count");
    expect(() => resolveClientConfig({ retry: { initialDelayMs: 100, maxDelayMs: 10 } }, {})).toThrow(
      "retry.maxDelayMs (10) is less than retry.initialDelayMs (100)",
    );
  });
});
