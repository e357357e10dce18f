/**
 * One HTTP/2 stream of a {@link Http2Session}: the members of node:http2's
 * `ClientHttp2Stream` and `ServerHttp2Stream` the h2 engine uses, on a plain
 * EventEmitter (no Duplex machinery per call).
 *
 * Events: `response` (client: the response headers), `trailers`, `data`,
 * `end` (the peer's side ended and every `data` was emitted), `wantTrailers`
 * (`end()` after `respond(…, { waitForTrailers })`), `drain`, `close`.
 */
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { ERROR } from "./frames.js";
import type { HeaderField } from "./hpack.js";

/** What a stream needs of its session. */
export interface StreamOwner {
  readonly socket: unknown;
  readonly destroyed: boolean;
  /** Sends HEADERS for the stream now (encoded in wire order). */
  sendHeaders(stream: Http2Stream, fields: HeaderField[], endStream: boolean): void;
  /** The stream has something queued to send. */
  wantsToSend(stream: Http2Stream): void;
  /** The stream consumed `bytes` of DATA: its window (and the connection's) may be replenished. */
  consumed(stream: Http2Stream, bytes: number): void;
  /** Sends RST_STREAM and forgets the stream. */
  reset(stream: Http2Stream, code: number): void;
  /** The stream is closed: forget it. */
  closedStream(stream: Http2Stream): void;
}

/** A queued write: bytes, or the end of the stream (with trailers or without). */
type Outgoing = { bytes: Buffer; done: ((error?: Error | null) => void) | undefined } | { trailers: HeaderField[] | undefined };

/** Writes above this many queued bytes return false (and `drain` follows). */
const HIGH_WATER_MARK = 128 * 1024;

export class Http2Stream extends EventEmitter {
  /** The HTTP/2 stream id (0 until a client stream is started on the wire). */
  id: number;
  /** The RST_STREAM code that closed the stream, if one did. */
  rstCode: number | undefined;
  headersSent = false;
  readableEnded = false;
  writableEnded = false;
  closed = false;
  destroyed = false;
  /** How much DATA the peer still lets us send on this stream. */
  sendWindow: number;
  /** How much DATA we still accept on this stream before a WINDOW_UPDATE. */
  receiveWindow: number;
  /** Received response/request headers (the first HEADERS); trailers come after. */
  receivedHeaders = false;
  /** The peer ended its side (END_STREAM seen). */
  remoteEnded = false;
  /** DATA handed on since the last WINDOW_UPDATE for this stream. */
  unacked = 0;

  private readonly outgoing: Outgoing[] = [];
  private outgoingBytes = 0;
  private needDrain = false;
  private paused = false;
  private inbox: (Buffer | null)[] | undefined;
  private waitForTrailers = false;

  constructor(
    readonly session: StreamOwner,
    id: number,
    sendWindow: number,
    receiveWindow: number,
  ) {
    super();
    this.id = id;
    this.sendWindow = sendWindow;
    this.receiveWindow = receiveWindow;
  }

  /** Server side: sends the response headers (`endStream`: trailers-only). */
  respond(headers: OutgoingHttpHeaders, options: { endStream?: boolean; waitForTrailers?: boolean } = {}): void {
    if (this.headersSent || this.destroyed) return;
    this.headersSent = true;
    this.waitForTrailers = options.waitForTrailers === true;
    const endStream = options.endStream === true;
    if (endStream) this.writableEnded = true;
    this.session.sendHeaders(this, toFields(headers), endStream);
    if (endStream) this.closeIfDone();
  }

  /** Queues bytes to send; false when the queue is past its high-water mark (wait for `drain`). */
  write(chunk: Buffer, done?: (error?: Error | null) => void): boolean {
    if (this.writableEnded || this.destroyed) {
      if (done) process.nextTick(done, new Error("write after the stream ended"));
      return false;
    }
    this.outgoing.push({ bytes: chunk, done });
    this.outgoingBytes += chunk.length;
    this.session.wantsToSend(this);
    if (this.outgoingBytes < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  /** Ends this side: with `waitForTrailers`, `wantTrailers` is emitted now for `sendTrailers`. */
  end(chunk?: Buffer): void {
    if (this.writableEnded || this.destroyed) return;
    if (chunk && chunk.length > 0) this.write(chunk);
    this.writableEnded = true;
    if (this.waitForTrailers) {
      this.emit("wantTrailers");
      return;
    }
    this.outgoing.push({ trailers: undefined });
    this.session.wantsToSend(this);
  }

  /** Sends trailers (HEADERS with END_STREAM) after everything written before. */
  sendTrailers(headers: OutgoingHttpHeaders): void {
    if (this.destroyed) return;
    this.outgoing.push({ trailers: toFields(headers) });
    this.session.wantsToSend(this);
  }

  /** node:http2's grouping of writes; this session sends everything of a turn of the loop together anyway. */
  cork(): void {}
  uncork(): void {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.inbox) process.nextTick(() => this.drainInbox());
  }

  /** Closes the stream with RST_STREAM(`code`) (default NO_ERROR, as node:http2's `close()`). */
  close(code: number = ERROR.NO_ERROR): void {
    if (this.closed) return;
    this.rstCode = code;
    this.session.reset(this, code);
    this.markClosed();
  }

  /** @internal The session takes the stream down (reset by the peer, connection lost). */
  terminate(rstCode: number | undefined): void {
    if (this.closed) return;
    this.rstCode = rstCode;
    this.markClosed();
  }

  /** @internal A DATA payload (or null: the peer's END_STREAM) arrived. */
  receive(chunk: Buffer | null): void {
    if (this.paused || this.inbox) {
      (this.inbox ??= []).push(chunk);
      return;
    }
    this.deliver(chunk);
  }

  /** @internal Response headers (client). */
  receiveHeaders(event: "response" | "trailers", headers: IncomingHttpHeaders): void {
    this.emit(event, headers);
  }

  /**
   * @internal Moves queued bytes out within `budget` (what the connection's
   * send window allows) and this stream's window, as DATA frames of up to
   * `maxFrame` bytes, each gathering as many queued writes as fit (a gRPC
   * message's 5-byte prefix and its body travel in one frame);
   * `emitData(parts, length, endStream)` per frame, `emitTrailers` for the
   * trailers. Returns the DATA bytes sent.
   */
  takeOutgoing(
    budget: number,
    maxFrame: number,
    emitData: (parts: Buffer[], length: number, endStream: boolean) => void,
    emitTrailers: (fields: HeaderField[]) => void,
  ): number {
    let sent = 0;
    let parts: Buffer[] = [];
    let length = 0;
    const queue = this.outgoing;
    const frameDone = (endStream: boolean) => {
      if (length > 0 || endStream) emitData(parts, length, endStream);
      parts = [];
      length = 0;
    };
    let ended = false;
    while (queue.length > 0) {
      const next = queue[0] as Outgoing;
      if ("trailers" in next) {
        queue.shift();
        ended = true;
        if (next.trailers) {
          frameDone(false);
          emitTrailers(next.trailers);
        } else frameDone(true); // END_STREAM rides on the last DATA frame (or an empty one)
        break;
      }
      const bytes = next.bytes;
      if (bytes.length === 0) {
        queue.shift();
        next.done?.();
        continue;
      }
      const frameRoom = maxFrame - length;
      if (frameRoom === 0) {
        frameDone(false);
        continue;
      }
      const room = Math.min(budget - sent, this.sendWindow, frameRoom);
      if (room <= 0) break;
      const take = Math.min(room, bytes.length);
      parts.push(take === bytes.length ? bytes : bytes.subarray(0, take));
      length += take;
      sent += take;
      this.sendWindow -= take;
      this.outgoingBytes -= take;
      if (take === bytes.length) {
        queue.shift();
        next.done?.();
      } else next.bytes = bytes.subarray(take);
    }
    if (!ended) frameDone(false);
    if (this.needDrain && this.outgoingBytes < HIGH_WATER_MARK) {
      this.needDrain = false;
      process.nextTick(() => this.emit("drain"));
    }
    if (ended) this.closeIfDone();
    return sent;
  }

  /** @internal Whether bytes are queued that a window keeps back (or anything at all). */
  get hasOutgoing(): boolean {
    return this.outgoing.length > 0;
  }

  private drainInbox(): void {
    const inbox = this.inbox;
    if (!inbox) return;
    while (inbox.length > 0 && !this.paused && !this.closed) this.deliver(inbox.shift() as Buffer | null);
    if (inbox.length === 0) this.inbox = undefined;
  }

  private deliver(chunk: Buffer | null): void {
    if (chunk === null) {
      this.readableEnded = true;
      this.emit("end");
      this.closeIfDone();
      return;
    }
    this.session.consumed(this, chunk.length);
    this.emit("data", chunk);
  }

  /** @internal */
  closeIfDone(): void {
    if (this.readableEnded && this.writableEnded && this.outgoing.length === 0 && !this.closed) this.markClosed();
  }

  private markClosed(): void {
    this.closed = true;
    this.destroyed = true;
    for (const item of this.outgoing) if ("bytes" in item) item.done?.(new Error("the stream closed"));
    this.outgoing.length = 0;
    this.inbox = undefined;
    this.session.closedStream(this);
    process.nextTick(() => this.emit("close"));
  }
}

/** node:http2-style headers as fields: pseudo-headers first, one field per value of an array. */
export function toFields(headers: OutgoingHttpHeaders): HeaderField[] {
  const pseudo: HeaderField[] = [];
  const regular: HeaderField[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const target = lower.startsWith(":") ? pseudo : regular;
    if (Array.isArray(value)) for (const one of value) target.push([lower, String(one)]);
    else target.push([lower, String(value)]);
  }
  return pseudo.length === 0 ? regular : pseudo.concat(regular);
}

/** Headers of which only the first field counts. */
const SINGLE_VALUE = new Set(["content-type", "content-length", "user-agent", "authorization", "host"]);

/**
 * Fields as node:http2 hands headers on: an object; a repeated name's values
 * joined with ", " (`cookie`: "; "; `set-cookie`: an array), a repeated
 * pseudo-header or single-value header keeping its first.
 */
export function toHeaderObject(fields: readonly HeaderField[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of fields) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (name === "set-cookie") (existing as string[]).push(value);
    else if (name.startsWith(":") || SINGLE_VALUE.has(name)) continue;
    else headers[name] = `${existing}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return headers as IncomingHttpHeaders;
}
