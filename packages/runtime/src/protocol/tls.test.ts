import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TLSError } from "../errors.js";
import { generateCertificate, parseCertificate, toPem } from "./tls.js";

describe("generateCertificate", () => {
  for (const curve of ["P-256", "P-384", "P-521"] as const) {
    it(`makes a self-signed ${curve} localhost CA certificate for client and server auth`, () => {
      const pair = generateCertificate({ curve });
      const cert = new X509Certificate(pair.certDer);
      expect(cert.subject).toContain("CN=localhost");
      expect(cert.issuer).toBe(cert.subject);
      expect(cert.ca).toBe(true);
      expect(cert.subjectAltName).toContain("DNS:localhost");
      expect(cert.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(pair.keyPem))).toBe(true);
      expect(cert.checkHost("localhost")).toBe("localhost");
      expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe({ "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1" }[curve]);
      expect(BigInt(`0x${cert.serialNumber}`) > 0n).toBe(true);
      expect(pair.certPem).toBe(toPem(pair.certDer));
    });
  }

  it("is valid from 30 seconds ago for about 30 years (GeneralizedTime past 2049)", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const cert = new X509Certificate(generateCertificate({ now }).certDer);
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 30_000);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2056);
  });

  it("makes a new key and serial each time", () => {
    const a = new X509Certificate(generateCertificate().certDer);
    const b = new X509Certificate(generateCertificate().certDer);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });
});

describe("parseCertificate", () => {
  it("rejects garbage with a TLSError naming the input", () => {
    expect(() => parseCertificate(Buffer.from("not a cert"), "the plugin's certificate")).toThrow(TLSError);
    expect(() => parseCertificate(Buffer.from("not a cert"), "the plugin's certificate")).toThrow(/the plugin's certificate is not a valid X.509/);
  });

  it("rejects an expired certificate", () => {
    const old = generateCertificate({ now: new Date("1980-01-01T00:00:00Z") });
    // Valid 30 years from 1980: expired in 2010.
    expect(() => parseCertificate(old.certPem, "PLUGIN_CLIENT_CERT")).toThrow(/PLUGIN_CLIENT_CERT is not valid now/);
  });
});
