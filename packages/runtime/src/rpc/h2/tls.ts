/**
 * The TLS material of the h2 engine, in Node's own terms. The runtime builds
 * these from the same certificates it gives grpc-js as credentials
 * (AutoMTLS pinning or supplied files), so both engines verify the same way.
 */

/** A server's TLS: its identity, and the CA its clients must be signed by (AutoMTLS: the host's own certificate). */
export interface ServerTlsMaterial {
  certPem: string | Buffer;
  keyPem: string | Buffer;
  /** The CA client certificates are verified against; absent: clients are not asked for one. */
  caPem?: string | Buffer | undefined;
  /** Refuse clients without a certificate signed by `caPem` (AutoMTLS: true). */
  requireClientCert: boolean;
}

/** A client's TLS: the CA the server is verified against (AutoMTLS: the plugin's own certificate) and an optional identity. */
export interface ClientTlsMaterial {
  /** Verify the server against this CA; absent: the system's roots. */
  caPem?: string | Buffer | undefined;
  certPem?: string | Buffer | undefined;
  keyPem?: string | Buffer | undefined;
  /** The name the server's certificate must carry (go-plugin's certificates say `localhost`). */
  serverName: string;
}
