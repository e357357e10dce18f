/**
 * The runtime's HTTP/2 against node:http2 (nghttp2) as the peer, both ways,
 * on what gRPC leans on: headers past one frame, padding, flow control with
 * small windows and paused readers, PING, GOAWAY, SETTINGS changed mid-way,
 * MAX_CONCURRENT_STREAMS, resets; and a peer breaking the protocol.
 */
import { once } from "node:events";
import * as http2 from "node:http2";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_PREFACE, ERROR, FRAME, frame } from "./frames.js";
import { Http2Session } from "./session.js";
import type { Http2Stream } from "./stream.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function nodeServer(options: http2.ServerOptions, onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const server = http2.createServer(options);
  server.on("stream", onStream);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  return { port: await listenLocal(server, sessions), sessions };
}

/** Listens on a free loopback port; the sessions and the server go at cleanup. */
async function listenLocal(server: Server | http2.Http2Server, sessions: Iterable<{ destroy(): void }>): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

function ourClient(port: number, windowSize = 8 << 20): Http2Session {
  const session = new Http2Session(connect(port, "127.0.0.1"), "client", { windowSize });
  session.on("error", () => undefined);
  cleanups.push(() => session.destroy());
  return session;
}

async function ourServer(onStream: (stream: Http2Stream, headers: http2.IncomingHttpHeaders) => void, windowSize = 8 << 20) {
  const sessions: Http2Session[] = [];
  const server: Server = createServer((socket) => {
    const session = new Http2Session(socket, "server", { windowSize });
    session.on("error", () => undefined);
    session.on("stream", onStream);
    sessions.push(session);
  });
  return { port: await listenLocal(server, sessions), sessions };
}

function nodeClient(port: number, options: http2.ClientSessionOptions = {}): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`, options);
  session.on("error", () => undefined);
  cleanups.push(() => session.destroy());
  return session;
}

/** Collects a stream's response: headers, body bytes, trailers, and how it closed. */
function collect(stream: Http2Stream | http2.ClientHttp2Stream) {
  const chunks: Buffer[] = [];
  let headers: http2.IncomingHttpHeaders | undefined;
  let trailers: http2.IncomingHttpHeaders | undefined;
  stream.on("response", (h: http2.IncomingHttpHeaders) => (headers = h));
  stream.on("trailers", (t: http2.IncomingHttpHeaders) => (trailers = t));
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("error", () => undefined);
  return new Promise<{
    headers: http2.IncomingHttpHeaders | undefined;
    body: Buffer;
    trailers: http2.IncomingHttpHeaders | undefined;
    rstCode: number | undefined;
  }>((resolve) => {
    stream.on("close", () => resolve({ headers, body: Buffer.concat(chunks), trailers, rstCode: stream.rstCode }));
  });
}

const post = (path = "/echo", extra: http2.OutgoingHttpHeaders = {}) => ({
  ":method": "POST",
  ":scheme": "http",
  ":path": path,
  ":authority": "localhost",
  ...extra,
});

/** A node:http2 handler that echoes the body, the request's x-meta header, and ends with trailers. */
function echo(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("error", () => undefined);
  stream.on("end", () => {
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "x-meta": headers["x-meta"] ?? "" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "x-done": "yes" }));
    stream.end(Buffer.concat(chunks));
  });
}

describe("the runtime's HTTP/2 client, node:http2 server", () => {
  it("sends and receives headers larger than a frame (CONTINUATION both ways), a body and trailers", async () => {
    const { port } = await nodeServer({ maxHeaderListPairs: 4096, maxSendHeaderBlockLength: 1 << 20 }, echo);
    const session = ourClient(port);
    const big = "m".repeat(40_000);
    const stream = session.request(post("/echo", { "x-meta": big }));
    const result = collect(stream);
    stream.end(Buffer.from("hello"));
    const { headers, body, trailers } = await result;
    expect(headers?.[":status"]).toBe("200");
    expect(headers?.["x-meta"]).toBe(big);
    expect(body.toString()).toBe("hello");
    expect(trailers?.["x-done"]).toBe("yes");
  });

  it("reads padded HEADERS and DATA", async () => {
    const { port } = await nodeServer({ paddingStrategy: http2.constants.PADDING_STRATEGY_MAX }, echo);
    const session = ourClient(port);
    const stream = session.request(post());
    const result = collect(stream);
    stream.end(Buffer.alloc(3000, 7));
    const { body, trailers } = await result;
    expect(body).toEqual(Buffer.alloc(3000, 7));
    expect(trailers?.["x-done"]).toBe("yes");
  });

  it("keeps to a 64 KiB window when sending 4 MiB, and grants windows when receiving 4 MiB through a 64 KiB one", async () => {
    const { port } = await nodeServer({ settings: { initialWindowSize: 65_535 } }, echo);
    const session = ourClient(port, 65_535);
    const payload = Buffer.alloc(4 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const stream = session.request(post());
    const result = collect(stream);
    stream.end(payload);
    const { body } = await result;
    expect(body.equals(payload)).toBe(true);
  });

  it("holds back a paused stream's window only: the sender waits, then everything arrives", async () => {
    const size = 1 << 20;
    const { port } = await nodeServer({}, (stream) => {
      stream.respond({ ":status": 200 });
      stream.end(Buffer.alloc(size, 1));
    });
    const session = ourClient(port, 65_535);
    const stream = session.request(post("/big"), { endStream: true });
    stream.end();
    let received = 0;
    stream.on("data", (chunk: Buffer) => (received += chunk.length));
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toBe(0);
    // Another stream on the same connection is not held up by the paused one.
    const other = session.request(post("/big"));
    const otherResult = collect(other);
    other.end();
    expect((await otherResult).body.length).toBe(size);
    stream.resume();
    await once(stream, "close");
    expect(received).toBe(size);
  });

  it("answers PING, follows SETTINGS changed mid-way (smaller HPACK table, other window) and MAX_CONCURRENT_STREAMS", async () => {
    const { port, sessions } = await nodeServer({ settings: { maxConcurrentStreams: 2 } }, echo);
    const session = ourClient(port);
    const first = collect(session.request(post("/echo", { "x-meta": "one" }), {}));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [server] = [...sessions];
    const rtt = await new Promise<number>((resolve, reject) => server?.ping((error, duration) => (error ? reject(error) : resolve(duration))));
    expect(rtt).toBeGreaterThanOrEqual(0);
    server?.settings({ headerTableSize: 0, initialWindowSize: 1 << 20 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Ten calls at once through a limit of two.
    const calls = Array.from({ length: 10 }, (_, i) => {
      const stream = session.request(post("/echo", { "x-meta": `call ${i}` }));
      const result = collect(stream);
      stream.end(Buffer.from(String(i)));
      return result;
    });
    const results = await Promise.all(calls);
    expect(results.map((r) => [r.headers?.["x-meta"], r.body.toString()])).toEqual(Array.from({ length: 10 }, (_, i) => [`call ${i}`, String(i)]));
    void first;
  });

  it("lets streams in flight finish after GOAWAY, refuses new ones, and reports a reset's code", async () => {
    const { port, sessions } = await nodeServer({}, (stream, headers) => {
      if (headers[":path"] === "/reset") {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      echo(stream, headers);
    });
    const session = ourClient(port);
    const reset = session.request(post("/reset"));
    const resetResult = collect(reset);
    reset.end();
    expect((await resetResult).rstCode).toBe(ERROR.CANCEL);

    const inFlight = session.request(post());
    const inFlightResult = collect(inFlight);
    inFlight.write(Buffer.from("before "));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const goaway = once(session, "goaway");
    [...sessions][0]?.close();
    await goaway;
    inFlight.end(Buffer.from("after"));
    expect((await inFlightResult).body.toString()).toBe("before after");
    expect(() => session.request(post())).toThrow(/closed/);
  });
});

describe("the runtime's HTTP/2 server, node:http2 client", () => {
  const ourEcho = (stream: Http2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      stream.respond({ ":status": 200, "x-meta": headers["x-meta"] ?? "" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "x-done": "yes" }));
      stream.end(Buffer.concat(chunks));
    });
  };

  it("serves a call with large headers, a padded body through small windows, and trailers", async () => {
    const { port } = await ourServer(ourEcho, 65_535);
    const client = nodeClient(port, { paddingStrategy: http2.constants.PADDING_STRATEGY_MAX, settings: { initialWindowSize: 65_535 } });
    const big = "h".repeat(30_000);
    const payload = Buffer.alloc(2 << 20, 3);
    const stream = client.request(post("/echo", { "x-meta": big }));
    const result = collect(stream);
    stream.end(payload);
    const { headers, body, trailers } = await result;
    expect(headers?.["x-meta"]).toBe(big);
    expect(body.equals(payload)).toBe(true);
    expect(trailers?.["x-done"]).toBe("yes");
  });

  it("answers the client's PING and many concurrent calls, and closes gracefully", async () => {
    const { port, sessions } = await ourServer(ourEcho);
    const client = nodeClient(port);
    await once(client, "connect");
    const rtt = await new Promise<number>((resolve, reject) => client.ping((error, duration) => (error ? reject(error) : resolve(duration))));
    expect(rtt).toBeGreaterThanOrEqual(0);
    const calls = Array.from({ length: 100 }, (_, i) => {
      const stream = client.request(post("/echo", { "x-meta": String(i) }));
      const result = collect(stream);
      stream.end(Buffer.from(`body ${i}`));
      return result;
    });
    const results = await Promise.all(calls);
    expect(results.every((r, i) => r.body.toString() === `body ${i}` && r.headers?.["x-meta"] === String(i))).toBe(true);
    const closed = once(client, "close");
    sessions[0]?.close();
    await closed;
  });
});

describe("a peer that breaks HTTP/2", () => {
  /** Connects a raw socket to our server, writes `bytes`, and returns the GOAWAY error code it gets back (or undefined). */
  async function goawayFor(bytes: Buffer): Promise<number | undefined> {
    const { port } = await ourServer(() => undefined);
    const socket: Socket = connect(port, "127.0.0.1");
    cleanups.push(() => socket.destroy());
    await once(socket, "connect");
    socket.write(bytes);
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    await once(socket, "close");
    const all = Buffer.concat(received);
    for (let offset = 0; offset + 9 <= all.length; ) {
      const length = all.readUIntBE(offset, 3);
      if (all[offset + 3] === FRAME.GOAWAY) return all.readUInt32BE(offset + 9 + 4);
      offset += 9 + length;
    }
    return undefined;
  }
  const settings = frame(FRAME.SETTINGS, 0, 0);

  it.each([
    ["a wrong preface", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ERROR.PROTOCOL_ERROR],
    [
      "a frame over the announced size",
      Buffer.concat([CLIENT_PREFACE, settings, Buffer.from([0x20, 0, 0, FRAME.DATA, 0, 0, 0, 0, 1])]),
      ERROR.FRAME_SIZE_ERROR,
    ],
    [
      "a header block HPACK cannot decode",
      Buffer.concat([CLIENT_PREFACE, settings, frame(FRAME.HEADERS, 0x4, 1, Buffer.from([0xbf]))]),
      ERROR.COMPRESSION_ERROR,
    ],
    ["DATA on a stream never opened", Buffer.concat([CLIENT_PREFACE, settings, frame(FRAME.DATA, 0, 7, Buffer.from("x"))]), ERROR.PROTOCOL_ERROR],
    [
      "a WINDOW_UPDATE of 0 for the connection",
      Buffer.concat([CLIENT_PREFACE, settings, frame(FRAME.WINDOW_UPDATE, 0, 0, Buffer.alloc(4))]),
      ERROR.PROTOCOL_ERROR,
    ],
    ["a PING of the wrong length", Buffer.concat([CLIENT_PREFACE, settings, frame(FRAME.PING, 0, 0, Buffer.alloc(3))]), ERROR.PROTOCOL_ERROR],
    [
      "an interrupted header block",
      Buffer.concat([CLIENT_PREFACE, settings, frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82])), frame(FRAME.PING, 0, 0, Buffer.alloc(8))]),
      ERROR.PROTOCOL_ERROR,
    ],
  ])("%s: GOAWAY with the error's code, and the connection closes", async (_what, bytes, code) => {
    expect(await goawayFor(bytes)).toBe(code);
  });
});
