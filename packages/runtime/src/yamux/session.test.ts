import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { finished } from "node:stream/promises";
import { setImmediate as nextLoop } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  encodeHeader,
  Flag,
  type FrameHeader,
  FrameParser,
  FrameType,
  GoAwayCode,
  INITIAL_STREAM_WINDOW,
  YamuxError,
  YamuxGoAwayError,
  YamuxProtocolError,
  YamuxSession,
  YamuxSessionClosedError,
  type YamuxSessionOptions,
  type YamuxStream,
  YamuxStreamResetError,
  YamuxTimeoutError,
} from "./index.js";

// ---- fixtures ---------------------------------------------------------------------------

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Two connected unix sockets (real kernel sockets, so real back-pressure). */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const dir = mkdtempSync(join(tmpdir(), "yamux-test-"));
  const path = join(dir, "s.sock");
  const server = net.createServer();
  const accepted = once(server, "connection") as Promise<[net.Socket]>;
  server.listen(path);
  await once(server, "listening");
  const a = net.connect(path);
  const [[b]] = await Promise.all([accepted, once(a, "connect")]);
  server.close();
  cleanups.push(() => {
    a.destroy();
    b.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return [a, b];
}

interface Pair {
  client: YamuxSession;
  server: YamuxSession;
  clientSocket: Duplex;
  serverSocket: Duplex;
}

async function sessionPair(
  clientOptions: Partial<YamuxSessionOptions> = {},
  serverOptions: Partial<YamuxSessionOptions> = {},
  wrapClientSocket: (s: net.Socket) => Duplex = (s) => s,
): Promise<Pair> {
  const [a, b] = await socketPair();
  const clientSocket = wrapClientSocket(a);
  const client = new YamuxSession(clientSocket, { ...clientOptions, role: "client" });
  const server = new YamuxSession(b, { ...serverOptions, role: "server" });
  cleanups.push(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server, clientSocket, serverSocket: b };
}

/** Forwards to a socket, reporting every frame header going out and coming in. */
class Tap extends Duplex {
  readonly #inner: net.Socket;

  constructor(inner: net.Socket, onOut: (h: FrameHeader) => void, onIn: (h: FrameHeader) => void) {
    super();
    this.#inner = inner;
    const out = new FrameParser({ onHeader: onOut, onPayload: () => {}, onFrameEnd: () => {} });
    const inn = new FrameParser({ onHeader: onIn, onPayload: () => {}, onFrameEnd: () => {} });
    this.#out = out;
    inner.on("data", (d: Buffer) => {
      inn.push(d);
      if (!this.push(d)) inner.pause();
    });
    inner.on("end", () => this.push(null));
    inner.on("error", (e) => this.destroy(e));
    inner.on("close", () => this.destroy());
  }

  readonly #out: FrameParser;

  override _read(): void {
    this.#inner.resume();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#out.push(chunk);
    this.#inner.write(chunk, cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.#inner.end(cb);
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#inner.destroy();
    cb(err);
  }
}

/** A raw peer: a socket whose incoming frames are parsed and recorded. */
async function rawPeer(role: "client" | "server", options: Partial<YamuxSessionOptions> = {}) {
  const [a, b] = await socketPair();
  const session = new YamuxSession(a, { ...options, role });
  cleanups.push(() => session.destroy());
  const frames: Array<FrameHeader & { payload: Buffer }> = [];
  let current: (FrameHeader & { payload: Buffer }) | undefined;
  const parser = new FrameParser({
    onHeader: (h) => {
      current = { ...h, payload: Buffer.alloc(0) };
    },
    onPayload: (_h, chunk) => {
      current!.payload = Buffer.concat([current!.payload, chunk]);
    },
    onFrameEnd: () => {
      frames.push(current!);
    },
  });
  const waiters: Array<() => void> = [];
  b.on("data", (d: Buffer) => {
    parser.push(d);
    for (const w of waiters.splice(0)) w();
  });
  let ended = false;
  b.on("close", () => {
    ended = true;
    for (const w of waiters.splice(0)) w();
  });
  b.on("error", () => {});
  const send = (type: FrameType, flags: number, id: number, length: number, payload?: Buffer) => {
    b.write(encodeHeader(type, flags, id, length));
    if (payload) b.write(payload);
  };
  async function waitFor(pred: (f: FrameHeader & { payload: Buffer }) => boolean) {
    for (;;) {
      const f = frames.find(pred);
      if (f) return f;
      if (ended) throw new Error("raw peer connection closed before the expected frame arrived");
      await new Promise<void>((r) => waiters.push(r));
    }
  }
  async function waitClosed() {
    while (!ended) await new Promise<void>((r) => waiters.push(r));
  }
  return { session, socket: b, frames, send, waitFor, waitClosed };
}

async function writeRandom(stream: Duplex, total: number): Promise<string> {
  const hash = createHash("sha256");
  let sent = 0;
  while (sent < total) {
    const size = Math.min(total - sent, 1 + Math.floor(Math.random() * 96 * 1024));
    const chunk = randomBytes(size);
    hash.update(chunk);
    sent += size;
    if (!stream.write(chunk)) await once(stream, "drain");
  }
  stream.end();
  return hash.digest("hex");
}

/**
 * Reads a stream to its end. (Not with `for await`: a Readable's async
 * iterator destroys the stream when the loop ends, which would reset a
 * stream whose writable side is still in use.)
 */
function readAll(stream: Duplex): Promise<{ bytes: number; sha: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Promise((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    stream.once("end", () => resolve({ bytes, sha: hash.digest("hex") }));
    stream.once("error", reject);
    stream.once("close", () => {
      if (!stream.readableEnded) reject(new Error(`stream closed before its end (${bytes} bytes read)`));
    });
  });
}

function closeEvent(session: YamuxSession): Promise<Error | undefined> {
  return new Promise((resolve) => {
    if (session.closed) resolve(session.closeReason);
    else session.once("close", resolve);
  });
}

/** Resolves with the error a stream ended with (undefined for a clean end). */
function outcome(stream: Duplex): Promise<Error | undefined> {
  return finished(stream).then(
    () => undefined,
    (e: Error) => e,
  );
}

const MiB = 1024 * 1024;

// ---- tests -------------------------------------------------------------------------------

describe("YamuxSession, TS client <-> TS server", () => {
  it("carries 8 MiB each way on many concurrent streams, intact", async () => {
    const { client, server } = await sessionPair();
    const STREAMS = 8;
    const SIZE = 8 * MiB;
    const serverSide: Array<Promise<{ sent: string; got: { bytes: number; sha: string } }>> = [];
    server.on("stream", (s) => {
      serverSide.push(Promise.all([writeRandom(s, SIZE), readAll(s)]).then(([sent, got]) => ({ sent, got })));
    });
    const clientSide = await Promise.all(
      Array.from({ length: STREAMS }, async () => {
        const s = await client.open();
        const [sent, got] = await Promise.all([writeRandom(s, SIZE), readAll(s)]);
        return { id: s.id, sent, got };
      }),
    );
    const serverResults = await Promise.all(serverSide);
    expect(serverResults).toHaveLength(STREAMS);
    expect(clientSide.map((c) => c.id).sort((x, y) => x - y)).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
    const clientSent = new Set(clientSide.map((c) => c.sent));
    const serverSent = new Set(serverResults.map((r) => r.sent));
    for (const c of clientSide) {
      expect(c.got.bytes).toBe(SIZE);
      expect(serverSent.has(c.got.sha)).toBe(true);
    }
    for (const r of serverResults) {
      expect(r.got.bytes).toBe(SIZE);
      expect(clientSent.has(r.got.sha)).toBe(true);
    }
    // Closed both ways and consumed: the sessions forget the streams.
    await nextLoop();
    expect(client.numStreams).toBe(0);
    expect(server.numStreams).toBe(0);
  });

  it("server-opened streams use even ids and accept() works", async () => {
    const { client, server } = await sessionPair();
    const accepted = client.accept();
    const s = await server.open();
    expect(s.id).toBe(2);
    const c = await accepted;
    expect(c.id).toBe(2);
    s.end("from server");
    const got = await readAll(c);
    expect(got.bytes).toBe("from server".length);
    expect((await server.open()).id).toBe(4);
  });

  it("a slow reader bounds the bytes in flight to the window and the writer's buffers", async () => {
    // Frame-level accounting on the client's wire: data sent on stream 1 may
    // never exceed 256 KiB + the window updates received for it.
    let dataSent = 0;
    let granted = INITIAL_STREAM_WINDOW;
    let maxInFlight = 0;
    let windowExhausted = 0;
    let violation: string | undefined;
    const onOut = (h: FrameHeader) => {
      if (h.type !== FrameType.Data || h.streamId !== 1) return;
      dataSent += h.length;
      if (dataSent > granted) violation ??= `sent ${dataSent} bytes with only ${granted} granted`;
      maxInFlight = Math.max(maxInFlight, dataSent - (granted - INITIAL_STREAM_WINDOW));
      if (dataSent === granted) windowExhausted++;
    };
    const onIn = (h: FrameHeader) => {
      if (h.type === FrameType.WindowUpdate && h.streamId === 1) granted += h.length;
    };
    let tap: Tap | undefined;
    const { client, server } = await sessionPair({}, {}, (s) => (tap = new Tap(s, onOut, onIn)));
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const w = await client.open();
    const TOTAL = 8 * MiB;
    let maxWriterBuffered = 0;
    let maxSocketBuffered = 0;
    const writer = (async () => {
      const hash = createHash("sha256");
      let sent = 0;
      while (sent < TOTAL) {
        const chunk = randomBytes(32 * 1024);
        hash.update(chunk);
        sent += chunk.length;
        const ok = w.write(chunk);
        maxWriterBuffered = Math.max(maxWriterBuffered, w.writableLength);
        maxSocketBuffered = Math.max(maxSocketBuffered, tap!.writableLength);
        if (!ok) await once(w, "drain");
      }
      w.end();
      return hash.digest("hex");
    })();
    const [r] = await incoming;
    const hash = createHash("sha256");
    let received = 0;
    let maxReaderBuffered = 0;
    let ended = false;
    r.on("end", () => (ended = true));
    r.pause();
    while (!ended && !r.destroyed) {
      // A slow consumer: at most 8 KiB per turn of the event loop.
      await nextLoop();
      maxReaderBuffered = Math.max(maxReaderBuffered, r.readableLength);
      const chunk = r.read(Math.min(8192, Math.max(1, r.readableLength))) as Buffer | null;
      if (chunk) {
        hash.update(chunk);
        received += chunk.length;
      } else if (r.readableEnded || r.readableLength === 0) {
        r.read(0);
      }
    }
    expect(received).toBe(TOTAL);
    expect(hash.digest("hex")).toBe(await writer);
    expect(violation).toBeUndefined();
    expect(maxInFlight).toBeLessThanOrEqual(INITIAL_STREAM_WINDOW);
    // The writer really was held back by the window, many times over.
    expect(windowExhausted).toBeGreaterThan(4);
    expect(maxReaderBuffered).toBeLessThanOrEqual(INITIAL_STREAM_WINDOW);
    // Node's write buffer stays at the high-water mark (16 KiB) plus one chunk...
    expect(maxWriterBuffered).toBeLessThanOrEqual(16 * 1024 + 32 * 1024);
    // ...and what the session queued on the connection is bounded by the window.
    expect(maxSocketBuffered).toBeLessThanOrEqual(INITIAL_STREAM_WINDOW + 64 * 1024);
    // Only the writer has closed its side so far.
    expect(client.numStreams + server.numStreams).toBe(2);
    r.end();
    w.resume();
    expect(await Promise.all([outcome(r), outcome(w)])).toEqual([undefined, undefined]);
    await client.ping();
    expect(client.numStreams + server.numStreams).toBe(0);
  });

  it("a reader that never reads holds at most one window, and the writer stalls", async () => {
    const { client, server } = await sessionPair();
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const w = await client.open();
    const big = randomBytes(2 * MiB);
    let written = false;
    w.write(big, () => (written = true));
    const [r] = await incoming;
    r.pause();
    // Wait until the whole first window has arrived (ping round trips flush the wire).
    while (r.readableLength < INITIAL_STREAM_WINDOW) await client.ping();
    await client.ping();
    await server.ping();
    expect(r.readableLength).toBe(INITIAL_STREAM_WINDOW);
    expect(r.receiveWindow).toBe(0);
    expect(w.sendWindow).toBe(0);
    expect(written).toBe(false);
    // Reading everything releases the writer.
    r.resume();
    let got = 0;
    r.on("data", (c: Buffer) => (got += c.length));
    while (!written) await nextLoop();
    while (got < big.length) await client.ping();
    expect(got).toBe(big.length);
  });

  it("half-close: each side can keep writing after the other has ended", async () => {
    const { client, server } = await sessionPair();
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const c = await client.open();
    c.end("request");
    const [s] = await incoming;
    const req = await readAll(s);
    expect(req.bytes).toBe(7);
    expect(s.writable).toBe(true);
    s.write("response part 1, ");
    await client.ping();
    expect(client.numStreams).toBe(1);
    s.end("part 2");
    const chunks: Buffer[] = [];
    c.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(c, "end");
    expect(Buffer.concat(chunks).toString()).toBe("response part 1, part 2");
    await Promise.all([outcome(c), outcome(s)]).then((r) => expect(r).toEqual([undefined, undefined]));
    await server.ping();
    expect(client.numStreams).toBe(0);
    expect(server.numStreams).toBe(0);
  });

  it("allowHalfOpen: false ends our side when the peer's side ends", async () => {
    const { client, server } = await sessionPair({}, { allowHalfOpen: false });
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const c = await client.open();
    c.end("x");
    const [s] = await incoming;
    s.resume();
    expect(await outcome(s)).toBeUndefined();
    expect((await readAll(c)).bytes).toBe(0);
  });

  it("destroy() resets the stream: the peer's stream errors with YamuxStreamResetError", async () => {
    const { client, server } = await sessionPair();
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const c = await client.open();
    c.write("hello");
    const [s] = await incoming;
    const sOutcome = outcome(s);
    c.destroy();
    const err = await sOutcome;
    expect(err).toBeInstanceOf(YamuxStreamResetError);
    expect(s.resetByPeer).toBe(true);
    await client.ping();
    expect(client.numStreams).toBe(0);
    expect(server.numStreams).toBe(0);
    // The session is unaffected.
    const again = await client.open();
    again.end();
    const [s2] = (await once(server, "stream")) as [YamuxStream];
    expect((await readAll(s2)).bytes).toBe(0);
  });

  it("a reset stream without an 'error' listener closes without crashing", async () => {
    const { client, server } = await sessionPair();
    let serverStream: YamuxStream | undefined;
    server.on("stream", (s) => {
      serverStream = s; // deliberately no listeners at all
    });
    const c = await client.open();
    c.write("x");
    await client.ping();
    c.destroy();
    await client.ping();
    await server.ping();
    expect(serverStream!.destroyed).toBe(true);
    expect(serverStream!.closeReason).toBeInstanceOf(YamuxStreamResetError);
  });

  it("open() waits while acceptBacklog streams are unacknowledged", async () => {
    const { client, server } = await sessionPair({ acceptBacklog: 2 });
    const a = await client.open();
    const b = await client.open();
    let thirdOpened = false;
    const third = client.open().then((s) => {
      thirdOpened = true;
      return s;
    });
    // Round trips: the server has seen both SYNs, but nobody accepted them yet.
    await client.ping();
    await server.ping();
    expect(thirdOpened).toBe(false);
    expect(a.established || b.established).toBe(false);
    const acceptedA = await server.accept();
    expect(acceptedA.id).toBe(a.id);
    const c = await third;
    expect(c.id).toBe(5);
    expect(a.established).toBe(true);
    expect((await server.accept()).id).toBe(b.id);
    expect((await server.accept()).id).toBe(c.id);
  });

  it("refuses streams beyond the accept backlog with RST", async () => {
    const { client, server } = await sessionPair({}, { acceptBacklog: 2 });
    const a = await client.open();
    const b = await client.open();
    const c = await client.open();
    expect(await outcome(c)).toBeInstanceOf(YamuxStreamResetError);
    expect(c.resetByPeer).toBe(true);
    expect((await server.accept()).id).toBe(a.id);
    expect((await server.accept()).id).toBe(b.id);
    // Room again in the backlog.
    const d = await client.open();
    expect((await server.accept()).id).toBe(d.id);
    expect(client.numStreams).toBe(3);
  });

  it("ping resolves in both directions; fails once closed", async () => {
    const { client, server } = await sessionPair();
    const rtts = await Promise.all([client.ping(), server.ping(), client.ping()]);
    for (const rtt of rtts) expect(rtt).toBeGreaterThanOrEqual(0);
    await client.close();
    await expect(client.ping()).rejects.toBeInstanceOf(YamuxSessionClosedError);
  });

  it("ping times out against a peer that never answers", async () => {
    const peer = await rawPeer("client", { pingTimeoutMs: 50 });
    await expect(peer.session.ping()).rejects.toBeInstanceOf(YamuxTimeoutError);
    expect(peer.frames.some((f) => f.type === FrameType.Ping && f.flags === Flag.SYN)).toBe(true);
    expect(peer.session.closed).toBe(false);
  });

  it("keep-alive pings a live peer and closes the session when the peer stops answering", async () => {
    let pings = 0;
    const { client } = await sessionPair(
      { keepAliveIntervalMs: 5 },
      {},
      (s) =>
        new Tap(
          s,
          (h) => void (h.type === FrameType.Ping && h.flags & Flag.SYN && pings++),
          () => {},
        ),
    );
    // No explicit pings here: every SYN ping on the wire comes from the keep-alive timer.
    while (pings < 3) await new Promise((r) => setTimeout(r, 5));
    expect(client.closed).toBe(false);

    const peer = await rawPeer("client", { keepAliveIntervalMs: 5, pingTimeoutMs: 30 });
    const reason = await closeEvent(peer.session);
    expect(reason).toBeInstanceOf(YamuxTimeoutError);
    expect(reason!.message).toMatch(/keep-alive/);
  });

  it("go-away: the peer can open no more streams, existing streams carry on", async () => {
    const { client, server } = await sessionPair();
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const c = await client.open();
    c.write("before ");
    const [s] = await incoming;
    const goaway = once(client, "goaway");
    server.goAway();
    expect(await goaway).toEqual([GoAwayCode.Normal]);
    expect(client.remoteGoAway).toBe(true);
    expect(server.localGoAway).toBe(true);
    await expect(client.open()).rejects.toBeInstanceOf(YamuxGoAwayError);
    // The server may still open streams to the client.
    const fromServer = client.accept();
    (await server.open()).end("still allowed");
    expect((await readAll(await fromServer)).bytes).toBe(13);
    c.end("after");
    expect((await readAll(s)).bytes).toBe(12);
    s.end("bye");
    expect((await readAll(c)).bytes).toBe(3);
  });

  it("after a local go-away, incoming SYNs are answered with RST", async () => {
    const peer = await rawPeer("server");
    peer.session.goAway();
    await peer.waitFor((f) => f.type === FrameType.GoAway && f.length === GoAwayCode.Normal);
    peer.send(FrameType.WindowUpdate, Flag.SYN, 1, 0);
    const rst = await peer.waitFor((f) => f.type === FrameType.WindowUpdate && f.streamId === 1);
    expect(rst.flags).toBe(Flag.RST);
    expect(peer.session.numStreams).toBe(0);
  });

  it("close() sends go-away, errors the open streams and closes both sessions", async () => {
    const { client, server } = await sessionPair();
    const incoming = once(server, "stream") as Promise<[YamuxStream]>;
    const c = await client.open();
    c.write("x");
    const [s] = await incoming;
    const [cOut, sOut, serverClosed] = [outcome(c), outcome(s), closeEvent(server)];
    const clientClosed = closeEvent(client);
    await client.close();
    expect(await clientClosed).toBeUndefined();
    expect(await serverClosed).toBeUndefined();
    expect(server.remoteGoAway).toBe(true);
    expect(await cOut).toBeInstanceOf(YamuxSessionClosedError);
    expect(await sOut).toBeInstanceOf(YamuxSessionClosedError);
    await expect(client.open()).rejects.toBeInstanceOf(YamuxSessionClosedError);
    await expect(server.accept()).rejects.toBeInstanceOf(YamuxSessionClosedError);
  });

  it("the peer's socket closing mid-stream errors every stream and closes the session", async () => {
    const { client, server, serverSocket } = await sessionPair();
    const serverStreams: YamuxStream[] = [];
    server.on("stream", (s) => {
      serverStreams.push(s);
      s.on("error", () => {});
      s.resume();
      void writeRandom(s, 64 * MiB).catch(() => {});
    });
    const streams = await Promise.all([client.open(), client.open(), client.open()]);
    const outcomes = streams.map((s) => outcome(s));
    const received = [0, 0, 0];
    streams.forEach((s, i) => {
      s.on("data", (d: Buffer) => (received[i]! += d.length));
      void writeRandom(s, 64 * MiB).catch(() => {});
    });
    while (received.some((n) => n < 1024 * 1024)) await client.ping();
    const clientClosed = closeEvent(client);
    const serverClosed = closeEvent(server);
    serverSocket.destroy();
    for (const err of await Promise.all(outcomes)) expect(err).toBeInstanceOf(YamuxError);
    await clientClosed;
    expect(await serverClosed).toBeInstanceOf(YamuxSessionClosedError);
    expect(client.closed && server.closed).toBe(true);
    for (const s of serverStreams) expect(s.destroyed).toBe(true);
    expect(client.numStreams + server.numStreams).toBe(0);
    await expect(client.open()).rejects.toBeInstanceOf(Error);
  });
});

describe("YamuxSession against malformed input", () => {
  async function expectProtocolError(
    frames: (peer: Awaited<ReturnType<typeof rawPeer>>) => void,
    message: RegExp,
    role: "client" | "server" = "server",
    expectGoAway = true,
  ) {
    const peer = await rawPeer(role);
    // An open stream without any listener must not crash the process either.
    peer.session.on("stream", () => {});
    peer.send(FrameType.WindowUpdate, Flag.SYN, role === "server" ? 1 : 2, 0);
    const closed = closeEvent(peer.session);
    frames(peer);
    const reason = await closed;
    expect(reason).toBeInstanceOf(YamuxProtocolError);
    expect(reason!.message).toMatch(message);
    // The peer is told, with a go-away carrying the protocol-error code.
    if (expectGoAway) {
      const goAway = await peer.waitFor((f) => f.type === FrameType.GoAway);
      expect(goAway.length).toBe(GoAwayCode.ProtocolError);
    }
    await peer.waitClosed();
    expect(peer.session.numStreams).toBe(0);
  }

  it("bad version", async () => {
    await expectProtocolError((p) => {
      const h = encodeHeader(FrameType.Ping, Flag.SYN, 0, 1);
      h[0] = 1;
      p.socket.write(h);
    }, /unsupported protocol version 1/);
  });

  it("unknown frame type", async () => {
    await expectProtocolError((p) => {
      const h = encodeHeader(FrameType.Ping, Flag.SYN, 0, 1);
      h[1] = 0x7f;
      p.socket.write(h);
    }, /unknown frame type 127/);
  });

  it("data beyond the receive window", async () => {
    await expectProtocolError((p) => p.send(FrameType.Data, 0, 1, INITIAL_STREAM_WINDOW + 1, Buffer.alloc(INITIAL_STREAM_WINDOW + 1)), /receive window/);
  });

  it("a stream id of the wrong parity", async () => {
    await expectProtocolError((p) => p.send(FrameType.WindowUpdate, Flag.SYN, 4, 0), /must use odd ids/);
    await expectProtocolError((p) => p.send(FrameType.WindowUpdate, Flag.SYN, 3, 0), /must use even ids/, "client");
  });

  it("a duplicate SYN", async () => {
    await expectProtocolError((p) => p.send(FrameType.WindowUpdate, Flag.SYN, 1, 0), /already open/);
  });

  it("a stream frame on stream id 0", async () => {
    await expectProtocolError((p) => p.send(FrameType.Data, 0, 0, 3, Buffer.from("abc")), /stream id 0/);
  });

  it("data after FIN, and a second FIN", async () => {
    await expectProtocolError((p) => {
      p.send(FrameType.WindowUpdate, Flag.FIN, 1, 0);
      p.send(FrameType.Data, 0, 1, 1, Buffer.from("x"));
    }, /after the peer half-closed/);
    await expectProtocolError((p) => {
      p.send(FrameType.Data, Flag.FIN, 1, 0);
      p.send(FrameType.WindowUpdate, Flag.FIN, 1, 0);
    }, /second FIN/);
  });

  it("a window update that overflows 32 bits", async () => {
    await expectProtocolError((p) => p.send(FrameType.WindowUpdate, 0, 1, 0xffff_ffff), /overflows/);
  });

  it("the connection ending in the middle of a frame", async () => {
    await expectProtocolError(
      (p) => {
        p.send(FrameType.Data, 0, 1, 100, Buffer.alloc(10));
        p.socket.end();
        // (A net.Socket cannot write once the peer has ended it: no go-away here.)
      },
      /middle of a frame/,
      "server",
      false,
    );
  });

  it("errors reach stream 'error' listeners as the YamuxProtocolError", async () => {
    const peer = await rawPeer("server");
    const accepted = peer.session.accept();
    peer.send(FrameType.WindowUpdate, Flag.SYN, 1, 0);
    const s = await accepted;
    const out = outcome(s);
    const h = encodeHeader(FrameType.Ping, 0, 0, 0);
    h[0] = 9;
    peer.socket.write(h);
    expect(await out).toBeInstanceOf(YamuxProtocolError);
  });

  it("a go-away with an error code closes the session with YamuxGoAwayError", async () => {
    for (const code of [GoAwayCode.ProtocolError, GoAwayCode.InternalError, 77]) {
      const peer = await rawPeer("client");
      const closed = closeEvent(peer.session);
      peer.send(FrameType.GoAway, 0, 0, code);
      const reason = await closed;
      expect(reason).toBeInstanceOf(YamuxGoAwayError);
      expect((reason as YamuxGoAwayError).goAwayCode).toBe(code);
    }
  });

  it("frames for unknown streams are dropped, as Go does", async () => {
    const peer = await rawPeer("server");
    peer.send(FrameType.Data, 0, 9, 5, Buffer.from("hello"));
    peer.send(FrameType.WindowUpdate, Flag.ACK, 11, 1000);
    peer.send(FrameType.Ping, Flag.SYN, 0, 42);
    const pong = await peer.waitFor((f) => f.type === FrameType.Ping);
    expect(pong).toMatchObject({ flags: Flag.ACK, streamId: 0, length: 42 });
    expect(peer.session.closed).toBe(false);
  });

  it("random frame sequences never throw: the session stays up or closes with a YamuxError", async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let protocolErrors = 0;
    for (let round = 0; round < 40; round++) {
      const peer = await rawPeer(round % 2 ? "client" : "server");
      peer.session.on("stream", (s) => {
        if (rand(2)) s.resume();
        if (rand(3) === 0) s.end("x");
        if (rand(4) === 0) s.destroy();
      });
      const closed = closeEvent(peer.session);
      const parts: Buffer[] = [];
      for (let i = 0; i < 60; i++) {
        const type = rand(9) === 0 ? rand(256) : rand(4);
        const flags = rand(16);
        const id = rand(6);
        const len = type === FrameType.Data ? rand(3000) : rand(5) === 0 ? rand(2 ** 31) : rand(4);
        const h = Buffer.alloc(12);
        h[0] = rand(40) === 0 ? 1 : 0;
        h[1] = type;
        h.writeUInt16BE(flags, 2);
        h.writeUInt32BE(id, 4);
        h.writeUInt32BE(len, 8);
        parts.push(h);
        if (type === FrameType.Data) parts.push(randomBytes(len));
      }
      peer.socket.end(Buffer.concat(parts));
      const reason = await closed;
      if (reason !== undefined) expect(reason).toBeInstanceOf(YamuxError);
      if (reason instanceof YamuxProtocolError) protocolErrors++;
    }
    expect(protocolErrors).toBeGreaterThan(0);
  });
});
