import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TLSError } from "../errors.js";
import { makePki } from "../testdata/certs.js";
import { loadClientTls, loadServerTls } from "./tls-files.js";

let dir: string;
let rsa: ReturnType<typeof makePki>;
let ec: ReturnType<typeof makePki>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rpcplugin-tls-files-"));
  rsa = makePki(dir, "rsa");
  ec = makePki(dir, "ec");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (load: () => unknown): TLSError => {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(TLSError);
    return error as TLSError;
  }
  throw new Error("expected a TLSError");
};

describe("loadServerTls / loadClientTls", () => {
  it.each(["rsa", "ec"] as const)("accepts a %s certificate, key and CA", (type) => {
    const pki = type === "rsa" ? rsa : ec;
    const server = loadServerTls({ certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca.cert });
    expect(server.identity?.leaf.subject).toContain("CN=localhost");
    expect(server.caPem?.toString()).toContain("BEGIN CERTIFICATE");
    const client = loadClientTls({ caFile: pki.ca.cert });
    expect(client.identity).toBeUndefined();
  });

  it("names the missing file", () => {
    expect(failure(() => loadServerTls({ certFile: rsa.server.cert, source: "env" })).message).toContain("PLUGIN_TLS_KEY_FILE is missing");
    expect(failure(() => loadClientTls({ certFile: rsa.client.cert, keyFile: rsa.client.key })).message).toContain("needs a CA file (tls.caFile)");
    expect(failure(() => loadClientTls({ caFile: rsa.ca.cert, certFile: rsa.client.cert })).message).toContain("go together");
  });

  it("refuses an unreadable file, naming it", () => {
    const missing = join(dir, "nope.pem");
    const error = failure(() => loadServerTls({ certFile: missing, keyFile: rsa.server.key, source: "env" }));
    expect(error.message).toContain(`cannot read PLUGIN_TLS_CERT_FILE=${missing}`);
    expect(error.message).toContain("ENOENT");
  });

  it("refuses a file that is not PEM", () => {
    const der = join(dir, "not.pem");
    writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x00]));
    expect(failure(() => loadServerTls({ certFile: der, keyFile: rsa.server.key })).message).toContain(`tls.certFile=${der} is not PEM`);
    expect(failure(() => loadServerTls({ certFile: rsa.server.cert, keyFile: der })).message).toContain(`tls.keyFile=${der} is not PEM`);
    // A key where a certificate belongs.
    expect(failure(() => loadServerTls({ certFile: rsa.server.key, keyFile: rsa.server.key })).message).toContain(
      'holds no "-----BEGIN CERTIFICATE-----" block',
    );
  });

  it("refuses a key that is not the certificate's (also across key types)", () => {
    expect(failure(() => loadServerTls({ certFile: rsa.server.cert, keyFile: rsa.client.key })).message).toContain("does not belong to the certificate");
    expect(failure(() => loadServerTls({ certFile: ec.server.cert, keyFile: rsa.server.key })).message).toContain("does not belong to the certificate");
  });

  it("refuses certificates outside their validity period", () => {
    const later = new Date(Date.now() + 10 * 24 * 3600 * 1000);
    const earlier = new Date(Date.now() - 10 * 24 * 3600 * 1000);
    expect(failure(() => loadServerTls({ certFile: ec.server.cert, keyFile: ec.server.key }, later)).message).toMatch(/expired on .*: renew it/);
    expect(failure(() => loadServerTls({ certFile: ec.server.cert, keyFile: ec.server.key }, earlier)).message).toContain("is not valid before");
    expect(failure(() => loadClientTls({ caFile: ec.ca.cert }, later)).message).toContain(`tls.caFile=${ec.ca.cert}`);
  });

  it("refuses a CA file holding a leaf", () => {
    expect(failure(() => loadClientTls({ caFile: ec.server.cert })).message).toContain("is not a CA");
  });

  it("refuses an encrypted key with what to do", () => {
    const encrypted = join(dir, "encrypted.key");
    writeFileSync(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    expect(failure(() => loadServerTls({ certFile: ec.server.cert, keyFile: encrypted })).message).toContain("is encrypted");
  });
});
