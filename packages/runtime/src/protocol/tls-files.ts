/**
 * Supplied TLS: certificate, key and CA files given by the user instead of
 * AutoMTLS's fresh per-launch certificates.
 *
 * Everything that can be checked before a connection is checked when the
 * plugin or host starts, so a wrong file fails the start with a message
 * naming the file rather than the first call: unreadable, not PEM, a key that
 * is not the certificate's, a certificate (or CA) outside its validity period,
 * a CA file holding a certificate that is not a CA. Whether the peer's
 * certificate was signed by the CA can only be known when connecting; a
 * failure there is a TLSError too (see {@link describeTlsFailure}).
 *
 * How this meets the go-plugin handshake: a plugin serving supplied TLS
 * leaves the handshake line's certificate field empty, exactly as go-plugin's
 * `TLSProvider` does (a Go host with its own TLSConfig would otherwise replace
 * its CA with the announced leaf, and a Go host without TLS would crash on
 * it). The host verifies the plugin's certificate against its CA file and the
 * name `localhost`; it does not pin anything from the handshake line.
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type * as grpc from "@grpc/grpc-js";
import { TLSError } from "../errors.js";
import { grpcJs } from "../rpc/grpc-js.js";
import type { ClientTlsMaterial, ServerTlsMaterial } from "../rpc/h2/tls.js";
import { ConfigEnv, type TlsFiles } from "./config.js";

/** Supplied TLS material, read and checked. */
export interface LoadedTls {
  files: TlsFiles;
  /** The certificate chain PEM and its key, when this side presents a certificate. */
  identity: { certPem: Buffer; keyPem: Buffer; leaf: X509Certificate } | undefined;
  /** The CA bundle PEM, when the peer is verified. */
  caPem: Buffer | undefined;
}

/** Reads and checks a plugin's files: certificate and key required; with a CA, host certificates are required and verified. */
export function loadServerTls(files: TlsFiles, now = new Date()): LoadedTls {
  if (files.certFile === undefined || files.keyFile === undefined) {
    throw new TLSError(
      `a plugin serving supplied TLS needs both a certificate and a key file (${label(files, "certFile")} and ${label(files, "keyFile")}); ` +
        `${files.certFile === undefined ? label(files, "certFile") : label(files, "keyFile")} is missing`,
    );
  }
  return load(files, now);
}

/** Reads and checks a host's files: a CA is required; a certificate and key (both or neither) are presented to the plugin. */
export function loadClientTls(files: TlsFiles, now = new Date()): LoadedTls {
  if (files.caFile === undefined) {
    throw new TLSError(`a host using supplied TLS needs a CA file (${label(files, "caFile")}) to verify the plugin's certificate against`);
  }
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new TLSError(`${label(files, "certFile")} and ${label(files, "keyFile")} go together: give both (to present a client certificate) or neither`);
  }
  return load(files, now);
}

function load(files: TlsFiles, now: Date): LoadedTls {
  let identity: LoadedTls["identity"];
  if (files.certFile !== undefined && files.keyFile !== undefined) {
    const certPem = readPem(files, "certFile");
    const certs = parseCertificates(certPem, files, "certFile");
    const leaf = certs[0] as X509Certificate;
    checkValidity(leaf, files, "certFile", now);
    const keyPem = readPem(files, "keyFile");
    const key = parseKey(keyPem, files);
    if (!leaf.checkPrivateKey(key)) {
      throw new TLSError(
        `the key in ${describe(files, "keyFile")} does not belong to the certificate in ${describe(files, "certFile")} ` +
          `(subject ${oneLine(leaf.subject)}): give the key the certificate was issued for`,
      );
    }
    identity = { certPem, keyPem, leaf };
  }
  let caPem: Buffer | undefined;
  if (files.caFile !== undefined) {
    caPem = readPem(files, "caFile");
    for (const ca of parseCertificates(caPem, files, "caFile")) {
      checkValidity(ca, files, "caFile", now);
      if (!ca.ca) {
        throw new TLSError(
          `${describe(files, "caFile")} holds a certificate that is not a CA (subject ${oneLine(ca.subject)}, no basicConstraints CA:TRUE): ` +
            "give the certificate of the CA that signed the peer's certificate",
        );
      }
    }
  }
  return { files, identity, caPem };
}

/** Server credentials for supplied TLS: our certificate; with a CA, client certificates required and verified against it. */
export function suppliedServerCredentials(tls: LoadedTls): grpc.ServerCredentials {
  const identity = tls.identity as NonNullable<LoadedTls["identity"]>;
  return grpcJs().ServerCredentials.createSsl(tls.caPem ?? null, [{ private_key: identity.keyPem, cert_chain: identity.certPem }], tls.caPem !== undefined);
}

/** Channel credentials for supplied TLS: the plugin must present a certificate signed by the CA; ours is presented if we have one. */
export function suppliedChannelCredentials(tls: LoadedTls): grpc.ChannelCredentials {
  return grpcJs().credentials.createSsl(tls.caPem ?? null, tls.identity?.keyPem ?? null, tls.identity?.certPem ?? null);
}

/** {@link suppliedServerCredentials} for the h2 engine. */
export function suppliedServerTls(tls: LoadedTls): ServerTlsMaterial {
  const identity = tls.identity as NonNullable<LoadedTls["identity"]>;
  return { certPem: identity.certPem, keyPem: identity.keyPem, caPem: tls.caPem, requireClientCert: tls.caPem !== undefined };
}

/** {@link suppliedChannelCredentials} for the h2 engine (the plugin's certificate is verified for `localhost`, as with grpc-js). */
export function suppliedClientTls(tls: LoadedTls): ClientTlsMaterial {
  return { caPem: tls.caPem, certPem: tls.identity?.certPem, keyPem: tls.identity?.keyPem, serverName: "localhost" };
}

/** A connect-time TLS failure, explained in terms of the supplied files. */
export function describeTlsFailure(detail: string, tls: LoadedTls): string {
  if (/unable to (verify|get local issuer)|self[- ]signed|certificate signature failure/i.test(detail)) {
    return `the plugin's certificate is not signed by the CA in ${describe(tls.files, "caFile")}: ${detail}`;
  }
  if (/unknown ca|bad certificate|certificate required|refused this host's certificate/i.test(detail)) {
    return tls.identity
      ? `the plugin refused this host's certificate (${describe(tls.files, "certFile")}): it is not signed by a CA the plugin trusts (PLUGIN_TLS_CA_FILE on the plugin side): ${detail}`
      : `the plugin requires a client certificate and this host has none: give ${label(tls.files, "certFile")} and ${label(tls.files, "keyFile")}: ${detail}`;
  }
  if (/altnames|hostname|subject alt|does not match/i.test(detail)) {
    return `the plugin's certificate does not name "localhost" (a DNS subjectAltName the host verifies): ${detail}`;
  }
  if (/expired|not yet valid/i.test(detail)) return `the plugin's certificate is outside its validity period: ${detail}`;
  return detail;
}

function readPem(files: TlsFiles, key: "certFile" | "keyFile" | "caFile"): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(files[key] as string);
  } catch (cause) {
    throw new TLSError(`cannot read ${describe(files, key)}: ${(cause as Error).message}`, { cause });
  }
  if (!content.toString("latin1").includes("-----BEGIN ")) {
    throw new TLSError(`${describe(files, key)} is not PEM (no "-----BEGIN" line): give a PEM-encoded ${key === "keyFile" ? "private key" : "certificate"}`);
  }
  return content;
}

function parseCertificates(pem: Buffer, files: TlsFiles, key: "certFile" | "caFile"): X509Certificate[] {
  const blocks = pem.toString("latin1").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new TLSError(`${describe(files, key)} holds no "-----BEGIN CERTIFICATE-----" block: give a PEM certificate`);
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (cause) {
      throw new TLSError(`certificate ${index + 1} in ${describe(files, key)} is not a valid X.509 certificate: ${(cause as Error).message}`, { cause });
    }
  });
}

function parseKey(pem: Buffer, files: TlsFiles): KeyObject {
  if (/ENCRYPTED/.test(pem.toString("latin1"))) {
    throw new TLSError(`the key in ${describe(files, "keyFile")} is encrypted: give an unencrypted PEM key (e.g. \`openssl pkey -in key.pem -out plain.pem\`)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new TLSError(`${describe(files, "keyFile")} is not a PEM private key: ${(cause as Error).message}`, { cause });
  }
  if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") {
    throw new TLSError(`the key in ${describe(files, "keyFile")} is ${key.asymmetricKeyType ?? "of an unknown type"}: RSA and ECDSA keys are accepted`);
  }
  return key;
}

function checkValidity(cert: X509Certificate, files: TlsFiles, key: "certFile" | "caFile", now: Date): void {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const what = `the certificate in ${describe(files, key)} (subject ${oneLine(cert.subject)})`;
  if (to < now.getTime()) throw new TLSError(`${what} expired on ${new Date(to).toISOString()}: renew it`);
  if (from > now.getTime()) throw new TLSError(`${what} is not valid before ${new Date(from).toISOString()}: check the clock, or wait`);
}

/** `PLUGIN_TLS_CERT_FILE=/path` or `option tls.certFile=/path`. */
function describe(files: TlsFiles, key: "certFile" | "keyFile" | "caFile"): string {
  return `${label(files, key)}=${files[key]}`;
}

function label(files: TlsFiles, key: "certFile" | "keyFile" | "caFile"): string {
  if (files.source === "env") return key === "certFile" ? ConfigEnv.tlsCertFile : key === "keyFile" ? ConfigEnv.tlsKeyFile : ConfigEnv.tlsCaFile;
  return `tls.${key}`;
}

function oneLine(name: string): string {
  return name.split("\n").join(", ");
}

/**
 * After a failed connect, asks the TLS layer itself what went wrong: grpc-js
 * often reports only "Failed to connect" (with TLS 1.3 the server's refusal
 * of our certificate arrives after our side thinks the handshake is done).
 * Opens one plain TLS connection with the same material and returns its
 * error message, or undefined if TLS was fine. Bounded by `ms`.
 */
export async function probeTlsFailure(address: { network: "unix" | "tcp"; address: string }, tls: LoadedTls, ms = 1000): Promise<string | undefined> {
  const { connect } = await import("node:tls");
  const where =
    address.network === "unix"
      ? { path: address.address }
      : { host: address.address.slice(0, address.address.lastIndexOf(":")), port: Number(address.address.slice(address.address.lastIndexOf(":") + 1)) };
  return new Promise((resolve) => {
    const socket = connect({
      ...where,
      servername: "localhost",
      ALPNProtocols: ["h2"],
      ...(tls.caPem ? { ca: tls.caPem } : {}),
      ...(tls.identity ? { cert: tls.identity.certPem, key: tls.identity.keyPem } : {}),
    });
    let settled = false;
    const finish = (result: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    socket.on("error", (error) => finish(error.message));
    // A refusal of our certificate comes as an alert right after the handshake: wait a moment for it.
    socket.on("secureConnect", () => setTimeout(() => finish(undefined), Math.min(300, ms)));
    socket.on("close", () => finish(settled ? undefined : "the plugin closed the TLS connection (it may have refused this host's certificate)"));
  });
}
