import { describe, expect, it } from "vitest";
import { ConfigError, HandshakeError, IncompatibleVersionError } from "../errors.js";
import {
  buildPluginEnvironment,
  checkMagicCookie,
  encodeCertificateField,
  formatHandshakeLine,
  NOT_A_PLUGIN_MESSAGE,
  negotiateVersion,
  parseHandshakeLine,
  readPluginEnvironment,
} from "./handshake.js";
import { generateCertificate } from "./tls.js";

const cookie = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };

describe("checkMagicCookie", () => {
  it("accepts the exact value only", () => {
    expect(checkMagicCookie(cookie, { BASIC_PLUGIN: "hello" })).toEqual({ ok: true });
    expect(checkMagicCookie(cookie, { BASIC_PLUGIN: "hello " })).toEqual({ ok: false, message: NOT_A_PLUGIN_MESSAGE });
    expect(checkMagicCookie(cookie, {})).toEqual({ ok: false, message: NOT_A_PLUGIN_MESSAGE });
  });
  it("reports a serve config without a cookie as a bug", () => {
    const result = checkMagicCookie({ magicCookieKey: "", magicCookieValue: "x" }, { "": "x" });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^Misconfigured ServeConfig/);
  });
});

describe("handshake line", () => {
  it("formats without TLS with an empty 6th field and no 7th", () => {
    const line = formatHandshakeLine({ appVersion: 5, network: "unix", address: "/tmp/plugin1", serverCert: undefined, multiplex: false });
    expect(line).toBe("1|5|unix|/tmp/plugin1|grpc|");
  });
  it("adds `|true` only when multiplexing was asked for", () => {
    const line = formatHandshakeLine({ appVersion: 1, network: "tcp", address: "127.0.0.1:10000", serverCert: undefined, multiplex: true });
    expect(line).toBe("1|1|tcp|127.0.0.1:10000|grpc||true");
  });
  it("encodes the certificate as unpadded standard base64 of its DER, for every length", () => {
    for (const len of [30, 31, 32]) {
      const der = Buffer.alloc(len, 0xfb);
      const field = encodeCertificateField(der);
      expect(field).not.toContain("=");
      expect(Buffer.from(field, "base64")).toEqual(der);
    }
  });
  it("round-trips a real certificate", () => {
    const { certDer } = generateCertificate();
    const line = formatHandshakeLine({ appVersion: 6, network: "tcp", address: "127.0.0.1:1234", serverCert: certDer, multiplex: false });
    const info = parseHandshakeLine(`${line}\r\n`, { hostVersions: [5, 6] });
    expect(info).toMatchObject({ coreVersion: 1, appVersion: 6, network: "tcp", address: "127.0.0.1:1234", protocol: "grpc", multiplex: false });
    expect(info.serverCert).toEqual(certDer);
  });
  it("accepts go-plugin's documented minimal 5-field form", () => {
    expect(parseHandshakeLine("1|1|tcp|127.0.0.1:1234|grpc", { hostVersions: [1] }).serverCert).toBeUndefined();
  });
  it("rejects garbage, quoting the line", () => {
    const parse = () => parseHandshakeLine("hello from the plugin", { hostVersions: [1] });
    expect(parse).toThrow(HandshakeError);
    expect(parse).toThrow(/Unrecognized remote plugin message.*\n.*"hello from the plugin"/s);
  });
  it("rejects a wrong core version", () => {
    expect(() => parseHandshakeLine("2|1|tcp|127.0.0.1:1|grpc|", { hostVersions: [1] })).toThrow(
      /incompatible core API version with plugin. Plugin version: 2, Core version: 1/,
    );
  });
  it("rejects an app version the host does not speak with IncompatibleVersionError", () => {
    let caught: unknown;
    try {
      parseHandshakeLine("1|7|tcp|127.0.0.1:1|grpc|", { hostVersions: [5, 6] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IncompatibleVersionError);
    expect((caught as Error).message).toMatch(/Plugin version: 7, Client versions: \[5 6\]/);
  });
  it("rejects unknown networks, net/rpc and padded certificates", () => {
    expect(() => parseHandshakeLine("1|1|pipe|x|grpc|", { hostVersions: [1] })).toThrow(/unknown address type "pipe"/);
    expect(() => parseHandshakeLine("1|1|tcp|127.0.0.1:1|netrpc|", { hostVersions: [1] })).toThrow(/unsupported plugin protocol "netrpc"/);
    expect(() => parseHandshakeLine("1|1|tcp|127.0.0.1:1", { hostVersions: [1] })).toThrow(/unsupported plugin protocol "netrpc"/);
    const padded = `${Buffer.alloc(40, 1).toString("base64")}==`;
    expect(() => parseHandshakeLine(`1|1|tcp|127.0.0.1:1|grpc|${padded}`, { hostVersions: [1] })).toThrow(/error parsing server cert/);
  });
  it("checks the multiplexing answer when the host asked for it", () => {
    const opts = { hostVersions: [1], multiplexRequested: true };
    expect(parseHandshakeLine("1|1|unix|/tmp/p|grpc||true", opts).multiplex).toBe(true);
    expect(() => parseHandshakeLine("1|1|unix|/tmp/p|grpc|", opts)).toThrow(/does not support the feature/);
    expect(() => parseHandshakeLine("1|1|unix|/tmp/p|grpc||maybe", opts)).toThrow(/error parsing "maybe" as a boolean/);
    expect(() => parseHandshakeLine("1|1|unix|/tmp/p|grpc||false", opts)).toThrow(/declined/);
  });
});

describe("plugin environment", () => {
  it("round-trips what a host sends", () => {
    const env = buildPluginEnvironment({
      handshake: cookie,
      protocolVersions: [6, 5],
      clientCertPem: "PEM",
      unixSocketDir: "/run/x",
      unixSocketGroup: "plugins",
      multiplex: true,
    });
    expect(env).toEqual({
      BASIC_PLUGIN: "hello",
      PLUGIN_MIN_PORT: "10000",
      PLUGIN_MAX_PORT: "25000",
      PLUGIN_PROTOCOL_VERSIONS: "6,5",
      PLUGIN_CLIENT_CERT: "PEM",
      PLUGIN_UNIX_SOCKET_DIR: "/run/x",
      PLUGIN_UNIX_SOCKET_GROUP: "plugins",
      PLUGIN_MULTIPLEX_GRPC: "true",
    });
    expect(readPluginEnvironment(env)).toEqual({
      protocolVersions: [6, 5],
      invalidProtocolVersions: [],
      minPort: 10000,
      maxPort: 25000,
      clientCertPem: "PEM",
      unixSocketDir: "/run/x",
      unixSocketGroup: "plugins",
      multiplexRequested: true,
      multiplexFieldRequested: true,
    });
  });
  it("skips invalid versions and treats empty values as unset", () => {
    const env = readPluginEnvironment({ PLUGIN_PROTOCOL_VERSIONS: "5,x,6", PLUGIN_CLIENT_CERT: "", PLUGIN_MULTIPLEX_GRPC: "false" });
    expect(env.protocolVersions).toEqual([5, 6]);
    expect(env.invalidProtocolVersions).toEqual(["x"]);
    expect(env.clientCertPem).toBeUndefined();
    expect(env.multiplexRequested).toBe(false);
    expect(env.multiplexFieldRequested).toBe(true);
  });
  it("names the variable and value on bad ports", () => {
    expect(() => readPluginEnvironment({ PLUGIN_MIN_PORT: "ten" })).toThrow(ConfigError);
    expect(() => readPluginEnvironment({ PLUGIN_MIN_PORT: "ten" })).toThrow(/PLUGIN_MIN_PORT: "ten" is not a port number/);
    expect(() => readPluginEnvironment({ PLUGIN_MIN_PORT: "200", PLUGIN_MAX_PORT: "100" })).toThrow(
      /value of 200 is greater than PLUGIN_MAX_PORT value of 100/,
    );
  });
});

describe("negotiateVersion", () => {
  it("picks the highest common version whatever the order", () => {
    expect(negotiateVersion([5, 6], [5, 6])).toEqual({ version: 6, common: true });
    expect(negotiateVersion([6, 5], [5])).toEqual({ version: 5, common: true });
    expect(negotiateVersion([2, 3], [3, 2, 7])).toEqual({ version: 3, common: true });
  });
  it("answers with the lowest served version when none is common", () => {
    expect(negotiateVersion([7], [5, 6])).toEqual({ version: 5, common: false });
    expect(negotiateVersion([], [6, 5])).toEqual({ version: 5, common: false });
  });
  it("needs something to serve", () => {
    expect(() => negotiateVersion([1], [])).toThrow(ConfigError);
  });
});
