// Test-only PKI made with the openssl CLI: a CA and leaf certificates it
// signs (RSA or ECDSA), written to a temp dir. Nothing here is committed key
// material; every run makes fresh keys.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export type KeyType = "rsa" | "ec";

export interface Pair {
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(path: string, type: KeyType): void {
  openssl(
    type === "rsa"
      ? ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path]
      : ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path],
  );
}

/** A self-signed CA valid for two days. */
export function makeCa(dir: string, name: string, type: KeyType): Pair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  newKey(key, type);
  openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    key,
    "-subj",
    `/CN=${name}`,
    "-days",
    "2",
    "-out",
    cert,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { cert, key };
}

/** A leaf for `localhost` / 127.0.0.1, usable as server and client certificate, signed by `ca`. */
export function makeLeaf(dir: string, name: string, type: KeyType, ca: Pair): Pair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  newKey(key, type);
  openssl(["req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr]);
  writeFileSync(
    ext,
    "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-days",
    "2",
    "-extfile",
    ext,
    "-out",
    cert,
  ]);
  return { cert, key };
}

/** A CA with a server and a client leaf of the same key type. */
export function makePki(dir: string, type: KeyType, prefix = type): { ca: Pair; server: Pair; client: Pair } {
  const ca = makeCa(dir, `${prefix}-ca`, type);
  return { ca, server: makeLeaf(dir, `${prefix}-server`, type, ca), client: makeLeaf(dir, `${prefix}-client`, type, ca) };
}
