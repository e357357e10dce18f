/**
 * An HTTP/2 connection (RFC 9113) in JavaScript, client or server side, on
 * any Duplex (a TLS or plain socket, a yamux stream). It does what gRPC
 * needs: streams, HPACK, flow control both ways, SETTINGS, PING, GOAWAY,
 * RST_STREAM, CONTINUATION, padding; no server push, no priorities.
 *
 * Everything the session sends during one turn of the event loop goes out in
 * one socket write (unary calls: request headers and message in one write,
 * response headers, message and trailers in one), and a stream is a small
 * EventEmitter ({@link Http2Stream}), which is where its cost differs from
 * node:http2's (a Duplex, an async resource and a header-list conversion per
 * stream, and nghttp2 behind a C++ boundary): see docs/benchmarks.md.
 *
 * The surface is the part of node:http2's `ClientHttp2Session` /
 * `ServerHttp2Session` the h2 engine uses, so the engine runs on either.
 */
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import type { Duplex } from "node:stream";
import {
  CLIENT_PREFACE,
  ConnectionError,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ERROR,
  FLAG,
  FRAME,
  FrameReader,
  frame,
  frameHeader,
  MAX_WINDOW,
  SETTING,
} from "./frames.js";
import { type HeaderField, HpackDecoder, HpackEncoder, HpackError } from "./hpack.js";
import { Http2Stream, type StreamOwner, toFields, toHeaderObject } from "./stream.js";

/** Options of a {@link Http2Session}. */
export interface Http2SessionOptions {
  /** Receive window of each stream and of the connection (what we announce and grant). */
  windowSize: number;
  /** Largest header list we accept (announced as SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderListSize?: number;
  /** Most header fields in one block. */
  maxHeaderListPairs?: number;
}

/** The largest frame we accept (announced): large frames from a peer of our own save per-frame work. */
const OUR_MAX_FRAME_SIZE = 1 << 20;
/** The largest DATA frame we send, whatever the peer allows. */
const SEND_FRAME_LIMIT = 256 * 1024;
/** Headers never put in the HPACK table: they change on every call. */
const UNINDEXED = new Set(["grpc-timeout", "grpc-message", "content-length"]);

/**
 * One HTTP/2 connection. Events: `connect` (client, once the socket is up),
 * `stream` (server: `(stream, headers)`), `goaway` (`(code, lastStreamId)`),
 * `error`, `close`.
 */
export class Http2Session extends EventEmitter implements StreamOwner {
  closed = false;
  destroyed = false;
  private readonly streams = new Map<number, Http2Stream>();
  private readonly encoder = new HpackEncoder(4096, UNINDEXED);
  private readonly decoder: HpackDecoder;
  private readonly reader: FrameReader;
  private readonly windowSize: number;
  private readonly maxHeaderListPairs: number;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  /** Client streams waiting for the peer's MAX_CONCURRENT_STREAMS. */
  private readonly waiting: { stream: Http2Stream; fields: HeaderField[] }[] = [];
  private activeLocal = 0;
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private sendWindow = DEFAULT_WINDOW;
  private receiveWindow = DEFAULT_WINDOW;
  private connectionUnacked = 0;
  /** Stream whose header block continues in CONTINUATION frames, and the block so far. */
  private continuing: { streamId: number; flags: number; parts: Buffer[] } | undefined;
  private readonly out: Buffer[] = [];
  private outBytes = 0;
  private readonly sending = new Set<Http2Stream>();
  private flushScheduled = false;
  /** A WINDOW_UPDATE in the chunk being read let queued DATA go. */
  private windowOpened = false;
  private socketBlocked = false;
  private goawaySent = false;
  private goawayReceived = false;

  constructor(
    readonly socket: Duplex,
    readonly role: "client" | "server",
    options: Http2SessionOptions,
  ) {
    super();
    this.windowSize = options.windowSize;
    this.maxHeaderListPairs = options.maxHeaderListPairs ?? 4096;
    const maxHeaderListSize = options.maxHeaderListSize ?? 16 * 1024 * 1024;
    this.decoder = new HpackDecoder({ maxHeaderListSize });
    this.nextStreamId = role === "client" ? 1 : 2;
    this.reader = new FrameReader(
      OUR_MAX_FRAME_SIZE,
      (type, flags, id, payload) => this.onFrame(type, flags, id, payload),
      (flags, id, part, first, last) => this.onDataPart(flags, id, part, first, last),
      role === "server",
    );
    socket.on("data", (chunk: Buffer) => this.onSocketData(chunk));
    socket.on("error", (error: Error) => this.destroy(error));
    socket.on("close", () => this.destroy());
    socket.on("end", () => this.destroy());
    socket.on("drain", () => {
      this.socketBlocked = false;
      this.scheduleFlush();
    });
    if (role === "client") this.enqueue(CLIENT_PREFACE);
    const settings: [number, number][] = [
      [SETTING.INITIAL_WINDOW_SIZE, this.windowSize],
      [SETTING.MAX_FRAME_SIZE, OUR_MAX_FRAME_SIZE],
      [SETTING.MAX_HEADER_LIST_SIZE, maxHeaderListSize],
    ];
    if (role === "client") settings.unshift([SETTING.ENABLE_PUSH, 0]);
    else settings.unshift([SETTING.MAX_CONCURRENT_STREAMS, 0xffffffff]);
    this.enqueue(settingsFrame(settings));
    if (this.windowSize > DEFAULT_WINDOW) {
      this.enqueue(windowUpdate(0, this.windowSize - DEFAULT_WINDOW));
      this.receiveWindow = this.windowSize;
    }
    // Both sides send their preface at once (a server does not wait for the client's).
    this.scheduleFlush();
    if (role === "client") process.nextTick(() => this.emit("connect", this, socket));
  }

  /** Client: opens a stream with these request headers. Throws once the session is closed. */
  request(headers: OutgoingHttpHeaders, options: { endStream?: boolean } = {}): Http2Stream {
    if (this.destroyed || this.closed || this.goawayReceived) throw new Error("the HTTP/2 session is closed");
    const stream = new Http2Stream(this, 0, this.peerInitialWindow, this.windowSize);
    const fields = toFields(headers);
    stream.headersSent = true;
    if (options.endStream) stream.writableEnded = true;
    if (this.activeLocal >= this.peerMaxStreams) this.waiting.push({ stream, fields });
    else this.startStream(stream, fields);
    return stream;
  }

  /** Keeps the process alive while the socket is open (sockets that can). */
  ref(): void {
    (this.socket as Partial<{ ref(): void }>).ref?.();
  }

  unref(): void {
    (this.socket as Partial<{ unref(): void }>).unref?.();
  }

  /** node:http2's method; the window is set from the start here. */
  setLocalWindowSize(_size: number): void {}

  /** Graceful close: GOAWAY, no new streams, the connection ends once its streams have. */
  close(callback?: () => void): void {
    if (callback) this.once("close", callback);
    if (this.closed || this.destroyed) return;
    this.closed = true;
    this.sendGoaway(ERROR.NO_ERROR);
    for (const { stream } of this.waiting.splice(0)) stream.terminate(ERROR.REFUSED_STREAM);
    this.endIfIdle();
  }

  /** Ends the connection now; its streams close (their status: the connection was lost). */
  destroy(error?: Error, code?: number): void {
    if (this.destroyed) return;
    const goaway = code !== undefined && !this.socket.destroyed;
    if (goaway) {
      this.sendGoaway(code);
      this.flush();
    }
    this.destroyed = true;
    this.closed = true;
    if (error && this.listenerCount("error") > 0) this.emit("error", error);
    for (const stream of [...this.streams.values()]) stream.terminate(undefined);
    for (const { stream } of this.waiting.splice(0)) stream.terminate(undefined);
    this.streams.clear();
    if (goaway) this.endSocket();
    else this.socket.destroy();
    process.nextTick(() => this.emit("close"));
  }

  /** Ends the socket after what was written (a GOAWAY), destroying it if the peer does not close its side soon. */
  private endSocket(): void {
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    timer.unref?.();
    this.socket.once("close", () => clearTimeout(timer));
  }

  // ---- StreamOwner ----

  sendHeaders(stream: Http2Stream, fields: HeaderField[], endStream: boolean): void {
    this.writeHeaderBlock(stream.id, fields, endStream);
    this.scheduleFlush();
  }

  wantsToSend(stream: Http2Stream): void {
    if (stream.id === 0) return; // still waiting to start: sent once it does
    this.sending.add(stream);
    this.scheduleFlush();
  }

  consumed(stream: Http2Stream, bytes: number): void {
    if (stream.remoteEnded || stream.closed) return;
    stream.unacked += bytes;
    if (stream.unacked < this.windowSize / 4) return;
    this.enqueue(windowUpdate(stream.id, stream.unacked));
    stream.receiveWindow += stream.unacked;
    stream.unacked = 0;
    this.scheduleFlush();
  }

  reset(stream: Http2Stream, code: number): void {
    if (stream.id !== 0 && !this.destroyed) {
      this.enqueue(frame(FRAME.RST_STREAM, 0, stream.id, u32(code)));
      this.scheduleFlush();
    }
  }

  closedStream(stream: Http2Stream): void {
    if (this.streams.get(stream.id) === stream) {
      this.streams.delete(stream.id);
      if ((stream.id & 1) === (this.role === "client" ? 1 : 0)) {
        this.activeLocal -= 1;
        this.startWaiting();
      }
    } else {
      const index = this.waiting.findIndex((entry) => entry.stream === stream);
      if (index >= 0) this.waiting.splice(index, 1);
    }
    this.sending.delete(stream);
    this.endIfIdle();
  }

  // ---- sending ----

  private startStream(stream: Http2Stream, fields: HeaderField[]): void {
    if (this.nextStreamId > MAX_WINDOW) {
      // Stream ids are used up: this connection takes no more calls (the channel opens a new one).
      this.closed = true;
      stream.terminate(ERROR.REFUSED_STREAM);
      this.emit("goaway", ERROR.NO_ERROR, 0);
      return;
    }
    stream.id = this.nextStreamId;
    this.nextStreamId += 2;
    this.streams.set(stream.id, stream);
    this.activeLocal += 1;
    this.writeHeaderBlock(stream.id, fields, stream.writableEnded && !stream.hasOutgoing);
    if (stream.hasOutgoing) this.sending.add(stream);
    this.scheduleFlush();
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.activeLocal < this.peerMaxStreams && !this.closed) {
      const { stream, fields } = this.waiting.shift() as { stream: Http2Stream; fields: HeaderField[] };
      this.startStream(stream, fields);
    }
  }

  /** HEADERS (+ CONTINUATION) for `fields`, encoded now so the HPACK tables of both ends stay in step. */
  private writeHeaderBlock(streamId: number, fields: HeaderField[], endStream: boolean): void {
    const block = this.encoder.encode(fields);
    const max = this.peerMaxFrame;
    const endFlag = endStream ? FLAG.END_STREAM : 0;
    if (block.length <= max) {
      this.enqueue(frameHeader(block.length, FRAME.HEADERS, endFlag | FLAG.END_HEADERS, streamId));
      this.enqueue(block);
      return;
    }
    for (let offset = 0; offset < block.length; offset += max) {
      const part = block.subarray(offset, offset + max);
      const last = offset + max >= block.length;
      const type = offset === 0 ? FRAME.HEADERS : FRAME.CONTINUATION;
      const flags = (offset === 0 ? endFlag : 0) | (last ? FLAG.END_HEADERS : 0);
      this.enqueue(frameHeader(part.length, type, flags, streamId));
      this.enqueue(part);
    }
  }

  private sendGoaway(code: number): void {
    if (this.goawaySent) return;
    this.goawaySent = true;
    const payload = Buffer.allocUnsafe(8);
    payload.writeUInt32BE(this.lastPeerStreamId, 0);
    payload.writeUInt32BE(code, 4);
    this.enqueue(frame(FRAME.GOAWAY, 0, 0, payload));
    this.scheduleFlush();
  }

  private enqueue(bytes: Buffer): void {
    this.out.push(bytes);
    this.outBytes += bytes.length;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.destroyed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Moves what the windows allow from the streams and writes everything queued, in one write. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.socket.destroyed) return;
    if (!this.socketBlocked) {
      const maxFrame = Math.min(this.peerMaxFrame, SEND_FRAME_LIMIT);
      for (const stream of this.sending) {
        if (stream.closed) {
          this.sending.delete(stream);
          continue;
        }
        const id = stream.id;
        const sent = stream.takeOutgoing(
          this.sendWindow,
          maxFrame,
          (parts, length, endStream) => {
            this.enqueue(frameHeader(length, FRAME.DATA, endStream ? FLAG.END_STREAM : 0, id));
            for (const part of parts) this.enqueue(part);
          },
          (fields) => this.writeHeaderBlock(id, fields, true),
        );
        this.sendWindow -= sent;
        if (!stream.hasOutgoing) this.sending.delete(stream);
      }
    }
    const out = this.out;
    if (out.length === 0) return;
    const bytes = this.outBytes;
    let ok: boolean;
    if (out.length === 1) ok = this.socket.write(out[0]);
    else if (bytes <= 64 * 1024) ok = this.socket.write(Buffer.concat(out, bytes));
    else {
      // Large messages are written as they are, not copied into one buffer.
      const socket = this.socket as Duplex & { cork(): void; uncork(): void };
      socket.cork();
      ok = true;
      for (const part of out) ok = socket.write(part);
      socket.uncork();
    }
    out.length = 0;
    this.outBytes = 0;
    if (!ok) this.socketBlocked = true;
    this.endIfIdle();
  }

  private endIfIdle(): void {
    if (!this.closed || this.destroyed || this.streams.size > 0 || this.out.length > 0 || this.flushScheduled) return;
    this.destroyed = true;
    for (const { stream } of this.waiting.splice(0)) stream.terminate(ERROR.REFUSED_STREAM);
    this.endSocket();
    process.nextTick(() => this.emit("close"));
  }

  // ---- receiving ----

  private onSocketData(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.failConnection(error);
      return;
    }
    // A window that opened while data waited: send now, not a turn of the loop later.
    if (this.windowOpened) {
      this.windowOpened = false;
      this.flush();
    }
  }

  private failConnection(error: unknown): void {
    const code = error instanceof ConnectionError ? error.code : error instanceof HpackError ? ERROR.COMPRESSION_ERROR : ERROR.INTERNAL_ERROR;
    this.destroy(error instanceof Error ? error : new Error(String(error)), code);
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuing && type !== FRAME.CONTINUATION) {
      throw new ConnectionError(ERROR.PROTOCOL_ERROR, "a header block was interrupted by another frame");
    }
    switch (type) {
      case FRAME.DATA:
        this.onData(flags, streamId, payload);
        return;
      case FRAME.HEADERS:
        this.onHeadersFrame(flags, streamId, payload);
        return;
      case FRAME.CONTINUATION:
        this.onContinuation(flags, streamId, payload);
        return;
      case FRAME.RST_STREAM:
        this.onReset(streamId, payload);
        return;
      case FRAME.SETTINGS:
        this.onSettings(flags, streamId, payload);
        return;
      case FRAME.PING:
        if (streamId !== 0 || payload.length !== 8) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "malformed PING frame");
        if ((flags & FLAG.ACK) === 0) {
          this.enqueue(frame(FRAME.PING, FLAG.ACK, 0, payload));
          this.scheduleFlush();
        }
        return;
      case FRAME.GOAWAY:
        this.onGoaway(payload);
        return;
      case FRAME.WINDOW_UPDATE:
        this.onWindowUpdate(streamId, payload);
        return;
      case FRAME.PUSH_PROMISE:
        throw new ConnectionError(ERROR.PROTOCOL_ERROR, "PUSH_PROMISE, though push is disabled");
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113 §5.5).
        return;
    }
  }

  /** A padded DATA frame, gathered whole: the padding counts against both windows and is given back at once. */
  private onData(flags: number, streamId: number, payload: Buffer): void {
    const data = unpad(payload);
    const padding = payload.length - data.length;
    if (padding > 0) {
      this.countReceived(padding);
      const stream = this.streams.get(streamId);
      if (stream && !stream.remoteEnded && !stream.closed) {
        stream.receiveWindow -= padding;
        this.consumed(stream, padding);
      }
    }
    this.onDataPart(flags, streamId, data, true, true);
  }

  /** A part of a DATA frame (the whole frame when `first` and `last`). */
  private onDataPart(flags: number, streamId: number, part: Buffer, first: boolean, last: boolean): void {
    if (this.continuing) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "a header block was interrupted by another frame");
    if (streamId === 0) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "DATA on stream 0");
    const length = part.length;
    this.countReceived(length);
    const stream = this.streams.get(streamId);
    if (!stream || stream.remoteEnded) {
      // A stream already closed (reset, finished): nothing to hand on.
      if (first && !stream && streamId > this.highestStreamId()) throw new ConnectionError(ERROR.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      return;
    }
    if (length > 0) {
      stream.receiveWindow -= length;
      if (stream.receiveWindow < 0) {
        stream.close(ERROR.FLOW_CONTROL_ERROR);
        return;
      }
      // Parts are views of the chunks read, which the socket does not reuse: a paused stream may keep them.
      stream.receive(part);
    }
    if (last && flags & FLAG.END_STREAM) {
      stream.remoteEnded = true;
      stream.receive(null);
    }
  }

  /**
   * DATA bytes read: they count against the connection's window, which is
   * given back as they are read (so a stream whose reader lags holds back
   * only its own window, as grpc-go does), not when consumed.
   */
  private countReceived(bytes: number): void {
    if (bytes === 0) return;
    this.receiveWindow -= bytes;
    if (this.receiveWindow < 0) throw new ConnectionError(ERROR.FLOW_CONTROL_ERROR, "the peer sent more DATA than the connection window allows");
    this.replenishConnection(bytes);
  }

  private replenishConnection(bytes: number): void {
    this.connectionUnacked += bytes;
    if (this.connectionUnacked >= this.windowSize / 4) {
      this.enqueue(windowUpdate(0, this.connectionUnacked));
      this.receiveWindow += this.connectionUnacked;
      this.connectionUnacked = 0;
      this.scheduleFlush();
    }
  }

  private highestStreamId(): number {
    return Math.max(this.lastPeerStreamId, this.nextStreamId - 2);
  }

  private onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "HEADERS on stream 0");
    let block = payload;
    if (flags & FLAG.PADDED) block = unpad(block);
    if (flags & FLAG.PRIORITY) {
      if (block.length < 5) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "HEADERS too short for its priority fields");
      block = block.subarray(5);
    }
    if (flags & FLAG.END_HEADERS) {
      this.onHeaderBlock(streamId, flags, block);
      return;
    }
    this.continuing = { streamId, flags, parts: [Buffer.from(block)] };
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const continuing = this.continuing;
    if (!continuing || continuing.streamId !== streamId) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "CONTINUATION without a header block to continue");
    continuing.parts.push(Buffer.from(payload));
    if ((flags & FLAG.END_HEADERS) === 0) return;
    this.continuing = undefined;
    this.onHeaderBlock(streamId, continuing.flags, Buffer.concat(continuing.parts));
  }

  private onHeaderBlock(streamId: number, flags: number, block: Buffer): void {
    // Decoded even for a stream we no longer know: the HPACK table must see every block.
    const fields = this.decoder.decode(block);
    if (fields.length > this.maxHeaderListPairs) {
      throw new ConnectionError(ERROR.ENHANCE_YOUR_CALM, `a header block of ${fields.length} fields (at most ${this.maxHeaderListPairs})`);
    }
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    const existing = this.streams.get(streamId);
    if (existing) {
      if (existing.remoteEnded) {
        existing.close(ERROR.STREAM_CLOSED);
        return;
      }
      if (existing.receivedHeaders && !endStream) {
        existing.close(ERROR.PROTOCOL_ERROR);
        return;
      }
      const first = !existing.receivedHeaders;
      existing.receivedHeaders = true;
      const headers = toHeaderObject(fields);
      if (this.role === "client" && first) {
        const status = headers[":status"];
        if (typeof status === "string" && status.startsWith("1")) {
          existing.receivedHeaders = false; // informational: the real response follows
          return;
        }
        existing.receiveHeaders("response", headers);
      } else existing.receiveHeaders("trailers", headers);
      if (endStream) {
        existing.remoteEnded = true;
        existing.receive(null);
      }
      return;
    }
    if (this.role === "client") {
      // Headers for a stream already closed here (we reset it): ignore.
      return;
    }
    if ((streamId & 1) === 0 || streamId <= this.lastPeerStreamId) {
      if (streamId > this.lastPeerStreamId) throw new ConnectionError(ERROR.PROTOCOL_ERROR, `the client opened stream ${streamId}, an even id`);
      return; // a stream that is closed already
    }
    this.lastPeerStreamId = streamId;
    if (this.closed) {
      // After our GOAWAY: refused, so the client may retry elsewhere.
      this.enqueue(frame(FRAME.RST_STREAM, 0, streamId, u32(ERROR.REFUSED_STREAM)));
      this.scheduleFlush();
      return;
    }
    const stream = new Http2Stream(this, streamId, this.peerInitialWindow, this.windowSize);
    stream.receivedHeaders = true;
    this.streams.set(streamId, stream);
    if (endStream) stream.remoteEnded = true;
    this.emit("stream", stream, toHeaderObject(fields) as IncomingHttpHeaders, flags);
    if (endStream) stream.receive(null);
  }

  private onReset(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.length !== 4) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "RST_STREAM of a length other than 4");
    this.streams.get(streamId)?.terminate(payload.readUInt32BE(0));
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & FLAG.ACK) {
      if (payload.length !== 0) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      return;
    }
    if (payload.length % 6 !== 0) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "SETTINGS of a length that is not a multiple of 6");
    for (let offset = 0; offset < payload.length; offset += 6) {
      const id = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      switch (id) {
        case SETTING.HEADER_TABLE_SIZE:
          this.encoder.setMaxTableSize(value);
          break;
        case SETTING.ENABLE_PUSH:
          if (value > 1) throw new ConnectionError(ERROR.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH of ${value}`);
          break;
        case SETTING.MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = value;
          break;
        case SETTING.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) throw new ConnectionError(ERROR.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE of ${value}`);
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const stream of this.streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW) throw new ConnectionError(ERROR.FLOW_CONTROL_ERROR, "a stream's send window went past 2^31-1");
            if (stream.hasOutgoing) this.sending.add(stream);
          }
          break;
        }
        case SETTING.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > 0xffffff) throw new ConnectionError(ERROR.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE of ${value}`);
          this.peerMaxFrame = value;
          break;
        default:
          break;
      }
    }
    this.enqueue(frame(FRAME.SETTINGS, FLAG.ACK, 0));
    this.startWaiting();
    this.scheduleFlush();
  }

  private onGoaway(payload: Buffer): void {
    if (payload.length < 8) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
    const lastStreamId = payload.readUInt32BE(0) & 0x7fffffff;
    const code = payload.readUInt32BE(4);
    this.goawayReceived = true;
    this.closed = true;
    // Our streams the peer never took are refused: safe to retry.
    for (const stream of [...this.streams.values()]) {
      if ((stream.id & 1) === (this.role === "client" ? 1 : 0) && stream.id > lastStreamId) stream.terminate(ERROR.REFUSED_STREAM);
    }
    for (const { stream } of this.waiting.splice(0)) stream.terminate(ERROR.REFUSED_STREAM);
    this.emit("goaway", code, lastStreamId);
    if (code !== ERROR.NO_ERROR) {
      for (const stream of [...this.streams.values()]) stream.terminate(code);
    }
    this.endIfIdle();
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "WINDOW_UPDATE of a length other than 4");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 for the connection");
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(ERROR.FLOW_CONTROL_ERROR, "the connection's send window went past 2^31-1");
      for (const stream of this.streams.values()) if (stream.hasOutgoing) this.sending.add(stream);
      if (this.sending.size > 0) this.windowOpened = true;
      return;
    }
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (increment === 0) {
      stream.close(ERROR.PROTOCOL_ERROR);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      stream.close(ERROR.FLOW_CONTROL_ERROR);
      return;
    }
    if (stream.hasOutgoing) {
      this.sending.add(stream);
      this.windowOpened = true;
    }
  }
}

function settingsFrame(settings: [number, number][]): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, payload);
}

function windowUpdate(streamId: number, increment: number): Buffer {
  return frame(FRAME.WINDOW_UPDATE, 0, streamId, u32(increment));
}

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

/** The payload of a PADDED frame without its pad length byte and padding. */
function unpad(payload: Buffer): Buffer {
  if (payload.length < 1) throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, "a padded frame without its pad length");
  const pad = payload[0] as number;
  if (pad >= payload.length) throw new ConnectionError(ERROR.PROTOCOL_ERROR, "padding longer than the frame");
  return payload.subarray(1, payload.length - pad);
}
