/**
 * Certificates and TLS credentials for AutoMTLS.
 *
 * Each side makes a fresh self-signed certificate per launch, as go-plugin's
 * mtls.go does: CN and DNS SAN `localhost`, marked CA (so the peer can trust
 * it as its own root), usable for client and server auth, valid ~30 years.
 * The host sends its PEM in PLUGIN_CLIENT_CERT; the plugin sends its DER in
 * the handshake line. Each side then trusts only the other's certificate.
 *
 * We use P-256 by default rather than go-plugin's P-521: Go accepts it, it
 * is several times faster to generate and to handshake with, and every TLS
 * stack supports it. P-384 and P-521 are available.
 */

import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import type * as grpc from "@grpc/grpc-js";
import { TLSError } from "../errors.js";
import { grpcJs } from "../rpc/grpc-js.js";
import type { ClientTlsMaterial, ServerTlsMaterial } from "../rpc/h2/tls.js";
import * as der from "./der.js";

/** Elliptic curves a generated certificate may use. */
export type CertificateCurve = "P-256" | "P-384" | "P-521";

/** A certificate with its private key. */
export interface CertificateKeyPair {
  /** PEM `CERTIFICATE`. */
  certPem: string;
  /** PEM PKCS#8 private key. */
  keyPem: string;
  /** The certificate's DER bytes (what the handshake line carries). */
  certDer: Buffer;
}

const curves = {
  "P-256": { nodeName: "prime256v1", hash: "sha256", signatureOid: "1.2.840.10045.4.3.2" },
  "P-384": { nodeName: "secp384r1", hash: "sha384", signatureOid: "1.2.840.10045.4.3.3" },
  "P-521": { nodeName: "secp521r1", hash: "sha512", signatureOid: "1.2.840.10045.4.3.4" },
} as const;

const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

const VALIDITY_MS = 262_980 * 3600 * 1000; // go-plugin: 262,980 hours (~30 years)
const BACKDATE_MS = 30_000; // tolerate small clock differences, as go-plugin does

/** Makes a fresh self-signed AutoMTLS certificate. */
export function generateCertificate(options: { curve?: CertificateCurve; now?: Date } = {}): CertificateKeyPair {
  const curve = curves[options.curve ?? "P-256"];
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: curve.nodeName });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const now = options.now ?? new Date();

  const name = der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.organization), der.utf8String("rpcplugin"))),
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String("localhost"))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and non-zero: Go rejects negative serials
  const signatureAlgorithm = der.sequence(der.objectIdentifier(curve.signatureOid));
  // SHA-1 of the public key bit string (RFC 5280 §4.2.1.2 method 1); Go adds it to CA certs too.
  const keyId = createHash("sha1").update(publicKeyBits(spki)).digest();
  const extensions = der.sequence(
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    // digitalSignature, keyEncipherment, keyAgreement, keyCertSign
    extension(OID.keyUsage, true, der.namedBits([0, 2, 4, 5])),
    extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth), der.objectIdentifier(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
    extension(OID.subjectAltName, false, der.sequence(der.implicit(2, Buffer.from("localhost")), der.implicit(7, Buffer.from([127, 0, 0, 1])))),
  );
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name,
    der.sequence(der.time(new Date(now.getTime() - BACKDATE_MS)), der.time(new Date(now.getTime() + VALIDITY_MS))),
    name,
    spki,
    der.explicit(3, extensions),
  );
  const signature = sign(curve.hash, tbs, privateKey);
  const certDer = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  return {
    certDer,
    certPem: toPem(certDer),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.objectIdentifier(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.objectIdentifier(oid), der.octetString(value));
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (the last BIT STRING, minus its unused-bits byte). */
function publicKeyBits(spki: Buffer): Buffer {
  // SPKI = SEQUENCE { AlgorithmIdentifier, BIT STRING }; walk past the outer header and the algorithm.
  let offset = headerLength(spki, 0);
  offset += headerLength(spki, offset) + contentLength(spki, offset);
  const start = offset + headerLength(spki, offset);
  return spki.subarray(start + 1, start + contentLength(spki, offset));
}

function headerLength(buf: Buffer, offset: number): number {
  const first = buf[offset + 1] ?? 0;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function contentLength(buf: Buffer, offset: number): number {
  const first = buf[offset + 1] ?? 0;
  if (first < 0x80) return first;
  let n = 0;
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + (buf[offset + 2 + i] ?? 0);
  return n;
}

/** DER → PEM `CERTIFICATE`. */
export function toPem(certDer: Uint8Array): string {
  const body = Buffer.from(certDer)
    .toString("base64")
    .replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

/**
 * Parses a certificate (PEM or DER) and checks it can serve as a pinned
 * AutoMTLS peer: it must parse and be within its validity period. Throws a
 * {@link TLSError} naming `what` otherwise.
 */
export function parseCertificate(input: string | Uint8Array, what: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(typeof input === "string" ? input : Buffer.from(input));
  } catch (cause) {
    throw new TLSError(`${what} is not a valid X.509 certificate: ${(cause as Error).message}`, { cause });
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now || Date.parse(cert.validFrom) > now + 60_000) {
    throw new TLSError(`${what} is not valid now (valid from ${cert.validFrom} to ${cert.validTo})`);
  }
  return cert;
}

/**
 * Server credentials that require a client certificate and trust only
 * `clientCertPem` (the host's AutoMTLS certificate).
 */
export function pinnedServerCredentials(own: CertificateKeyPair, clientCertPem: string): grpc.ServerCredentials {
  return grpcJs().ServerCredentials.createSsl(
    Buffer.from(clientCertPem),
    [{ private_key: Buffer.from(own.keyPem), cert_chain: Buffer.from(own.certPem) }],
    true,
  );
}

/**
 * Channel credentials that present `own` and trust only `serverCertPem`
 * (the plugin's certificate from the handshake line), verified for the name
 * `localhost` as go-plugin does.
 */
export function pinnedChannelCredentials(own: CertificateKeyPair, serverCertPem: string): grpc.ChannelCredentials {
  return grpcJs().credentials.createSsl(Buffer.from(serverCertPem), Buffer.from(own.keyPem), Buffer.from(own.certPem));
}

/** {@link pinnedServerCredentials} for the h2 engine. */
export function pinnedServerTls(own: CertificateKeyPair, clientCertPem: string): ServerTlsMaterial {
  return { certPem: own.certPem, keyPem: own.keyPem, caPem: clientCertPem, requireClientCert: true };
}

/** {@link pinnedChannelCredentials} for the h2 engine. */
export function pinnedClientTls(own: CertificateKeyPair, serverCertPem: string): ClientTlsMaterial {
  return { caPem: serverCertPem, certPem: own.certPem, keyPem: own.keyPem, serverName: "localhost" };
}

/** Channel options that make grpc-js verify and send SNI `localhost` whatever the target address. */
export const TLS_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.ssl_target_name_override": "localhost",
  "grpc.default_authority": "localhost",
};
