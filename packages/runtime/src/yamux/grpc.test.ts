/**
 * yamux streams as the transport of gRPC (HTTP/2), plain and with TLS per
 * stream (go-plugin's AutoMTLS over a multiplexed broker).
 *
 * Server side: grpc-js accepts any Duplex through
 * `server.createConnectionInjector(credentials).injectConnection(stream)`
 * (with TLS credentials the injected stream is wrapped in a TLSSocket by the
 * underlying http2 secure server, so TLS runs per yamux stream).
 *
 * Client side — what we found about grpc-js (1.14) and custom transports:
 * grpc-js has NO public hook to make a client connection over a given Duplex.
 * Its subchannel always creates the socket itself (`net.connect(address)` in
 * transport.ts, or an HTTP CONNECT proxy socket), then hands that socket to
 * the credentials' internal `_createSecureConnector().connect(socket)` and
 * passes the result to `http2.connect({ createConnection })`. Resolvers
 * (`experimental.registerResolver`) only produce addresses, not sockets; the
 * `channelOverride` client option needs a whole Channel implementation; and
 * overriding `_createSecureConnector` is private API that still needs a real
 * address to dial first. Two approaches work with public APIs only:
 *
 *  1. Node's own http2 client: `http2.connect(authority, { createConnection:
 *     () => stream })` (or `tls.connect({ socket: stream, ALPNProtocols:
 *     ["h2"] })` for TLS) — full control, but we frame gRPC ourselves.
 *  2. A grpc-js client pointed at `unix:///<tmp>/x.sock` where a tiny local
 *     `net.Server` opens one yamux stream per accepted connection and pipes
 *     the two together. grpc-js then behaves exactly as usual (reconnects make
 *     new connections, hence new yamux streams, as Go's dialer does); the
 *     connection handler is also the natural place for go-plugin's broker
 *     "knock" before opening the stream. Cost: one local socket hop.
 *
 * Both are exercised below.
 */

import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { generateCertificate } from "../protocol/tls.js";
import { YamuxSession, type YamuxStream } from "./index.js";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "yamux-grpc-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function sessionPair(): Promise<{ client: YamuxSession; server: YamuxSession }> {
  const path = join(tempDir(), "mux.sock");
  const listener = net.createServer();
  listener.listen(path);
  await once(listener, "listening");
  const accepted = once(listener, "connection") as Promise<[net.Socket]>;
  const a = net.connect(path);
  const [[b]] = await Promise.all([accepted, once(a, "connect")]);
  listener.close();
  const client = new YamuxSession(a, { role: "client" });
  const server = new YamuxSession(b, { role: "server" });
  cleanups.push(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

const identity = (b: Buffer): Buffer => b;
const ECHO_SERVICE: grpc.ServiceDefinition = {
  Echo: {
    path: "/rpcplugin.test.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  Chat: {
    path: "/rpcplugin.test.Echo/Chat",
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** A grpc-js server whose connections are yamux streams accepted on `session`. */
function serveOver(session: YamuxSession, credentials: grpc.ServerCredentials): grpc.Server {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      cb(null, Buffer.concat([Buffer.from("echo:"), call.request]));
    },
    Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on("data", (m: Buffer) => call.write(m));
      call.on("end", () => call.end());
    },
  });
  const injector = server.createConnectionInjector(credentials);
  session.on("stream", (stream: YamuxStream) => injector.injectConnection(stream));
  cleanups.push(() => {
    injector.destroy();
    server.forceShutdown();
  });
  return server;
}

/** A raw gRPC unary call over an http2 session: 5-byte length prefix, trailers carry the status. */
async function rawUnary(session: http2.ClientHttp2Session, path: string, message: Buffer): Promise<{ status: string; body: Buffer }> {
  const req = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
  });
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  req.end(frame);
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  const [trailers] = (await once(req, "trailers")) as [http2.IncomingHttpHeaders];
  if (!req.readableEnded) await once(req, "end");
  const all = Buffer.concat(chunks);
  const length = all.length >= 5 ? all.readUInt32BE(1) : 0;
  return { status: String(trailers["grpc-status"]), body: all.subarray(5, 5 + length) };
}

describe("gRPC over yamux streams", () => {
  it("grpc-js server via a connection injector, raw http2 client over a yamux stream", async () => {
    const { client, server } = await sessionPair();
    serveOver(server, grpc.ServerCredentials.createInsecure());
    const stream = await client.open();
    const h2 = http2.connect("http://yamux.invalid", { createConnection: () => stream });
    cleanups.push(() => void h2.destroy());
    const res = await rawUnary(h2, "/rpcplugin.test.Echo/Echo", Buffer.from("hi"));
    expect(res.status).toBe("0");
    expect(res.body.toString()).toBe("echo:hi");
    // A second call on the same connection (= the same yamux stream).
    const res2 = await rawUnary(h2, "/rpcplugin.test.Echo/Echo", Buffer.alloc(300_000, 7));
    expect(res2.body.length).toBe(5 + 300_000);
    expect(client.numStreams).toBe(1);
    h2.close();
    await once(h2, "close");
    // The http2 client ended its transport; the server side followed: no stream left.
    while (client.numStreams + server.numStreams > 0) await client.ping();
  });

  it("TLS per stream (AutoMTLS style): tls.connect over a yamux stream to grpc-js with SSL credentials", async () => {
    const { client, server } = await sessionPair();
    const serverCert = generateCertificate();
    const clientCert = generateCertificate();
    serveOver(
      server,
      grpc.ServerCredentials.createSsl(
        Buffer.from(clientCert.certPem),
        [{ cert_chain: Buffer.from(serverCert.certPem), private_key: Buffer.from(serverCert.keyPem) }],
        true,
      ),
    );
    const stream = await client.open();
    const h2 = http2.connect("https://localhost", {
      createConnection: () =>
        tls.connect({
          socket: stream,
          servername: "localhost",
          ALPNProtocols: ["h2"],
          ca: serverCert.certPem,
          cert: clientCert.certPem,
          key: clientCert.keyPem,
        }),
    });
    cleanups.push(() => void h2.destroy());
    const res = await rawUnary(h2, "/rpcplugin.test.Echo/Echo", Buffer.from("secure"));
    expect(res.status).toBe("0");
    expect(res.body.toString()).toBe("echo:secure");
    const socket = h2.socket as tls.TLSSocket;
    expect(socket.alpnProtocol).toBe("h2");
    expect(socket.getPeerCertificate().fingerprint256).toBe(new X509Certificate(serverCert.certPem).fingerprint256);
    h2.close();
    await once(h2, "close");
    while (client.numStreams + server.numStreams > 0) await client.ping();
  });

  it("grpc-js client through a local unix-socket proxy that opens one yamux stream per connection", async () => {
    const { client, server } = await sessionPair();
    serveOver(server, grpc.ServerCredentials.createInsecure());

    const proxyPath = join(tempDir(), "proxy.sock");
    let proxied = 0;
    const proxy = net.createServer((conn) => {
      conn.pause();
      // (A go-plugin broker dial would send its knock here, before opening the stream.)
      client.open().then(
        (stream) => {
          proxied++;
          const teardown = () => {
            conn.destroy();
            stream.destroy();
          };
          conn.on("error", teardown);
          stream.on("error", teardown);
          conn.on("close", teardown);
          stream.on("close", teardown);
          conn.pipe(stream);
          stream.pipe(conn);
          conn.resume();
        },
        () => conn.destroy(),
      );
    });
    proxy.listen(proxyPath);
    await once(proxy, "listening");
    cleanups.push(() => void proxy.close());

    const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, "Echo");
    const echo = new EchoClient(`unix://${proxyPath}`, grpc.credentials.createInsecure());
    cleanups.push(() => echo.close());

    const reply = await new Promise<Buffer>((resolve, reject) => {
      echo.makeUnaryRequest("/rpcplugin.test.Echo/Echo", identity, identity, Buffer.from("via grpc-js"), (err, value) => (err ? reject(err) : resolve(value!)));
    });
    expect(reply.toString()).toBe("echo:via grpc-js");

    // A bidi stream moving a few MiB: HTTP/2 flow control on top of yamux flow control.
    const call = echo.makeBidiStreamRequest("/rpcplugin.test.Echo/Chat", identity, identity);
    let received = 0;
    call.on("data", (m: Buffer) => (received += m.length));
    const done = once(call, "end");
    const status = once(call, "status") as Promise<[grpc.StatusObject]>;
    for (let i = 0; i < 64; i++) {
      if (!call.write(Buffer.alloc(64 * 1024, i))) await once(call, "drain");
    }
    call.end();
    await done;
    expect((await status)[0].code).toBe(grpc.status.OK);
    expect(received).toBe(64 * 64 * 1024);
    expect(proxied).toBe(1); // one grpc-js connection, one yamux stream

    // Closing the client closes its connection; the yamux streams go away on both sides.
    echo.close();
    while (client.numStreams + server.numStreams > 0) await client.ping();
    expect(client.numStreams + server.numStreams).toBe(0);
  });
});
