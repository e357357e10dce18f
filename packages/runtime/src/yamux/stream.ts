/**
 * One yamux stream as a Node Duplex.
 *
 * Flow control: the peer may send at most `receiveWindow` bytes; we grant more
 * (a WindowUpdate) only as the application consumes data (Readable `_read`),
 * so an unread stream holds at most one window (256 KiB by default) however
 * fast the peer writes. In the other direction `_write` sends at most the
 * peer's window and then holds the write callback until the peer grants more,
 * so Node's own back-pressure (`write()` returning false, `'drain'`) works end
 * to end.
 *
 * Closing: `end()` sends FIN (half-close); a FIN from the peer ends the
 * readable side. `destroy()` sends RST unless both sides had already closed.
 * A RST from the peer destroys the stream with {@link YamuxStreamResetError}.
 *
 * Errors are emitted with `'error'` only when someone listens for them (as
 * `pipeline`, `finished`, async iteration, http2 and tls all do); a stream
 * nobody listens to is destroyed without an error instead, so that a peer
 * (or a malformed frame) can never crash the process with an unhandled
 * `'error'` event. Such a stream still reports a premature close to
 * `finished()`, and {@link YamuxStream.closeReason} holds the error.
 */
import { Duplex } from "node:stream";
import { YamuxProtocolError, YamuxStreamResetError } from "./errors.js";
import { Flag, FrameType, INITIAL_STREAM_WINDOW, MAX_UINT32 } from "./frame.js";

/** Largest payload of one Data frame we send (the window may be larger). */
export const MAX_DATA_FRAME = 64 * 1024;

/** What a stream needs from its session. Not part of the public API. */
export interface StreamHost {
  /** Queues a frame on the connection; false if the connection is gone. */
  sendFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): boolean;
  /** Calls `cb` once the connection is not backed up (at once if it is not). */
  whenWritable(cb: () => void): void;
  /** The stream is finished with (closed both ways, reset or destroyed): forget it. */
  streamDone(stream: YamuxStream): void;
  /** The peer acknowledged a stream we opened. */
  streamAcked(stream: YamuxStream): void;
}

type OpenState = "synSent" | "synReceived" | "established";

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: (error?: Error | null) => void;
}

export interface YamuxStreamOptions {
  allowHalfOpen: boolean;
  maxWindow: number;
}

export class YamuxStream extends Duplex {
  /** The stream id: odd for streams the client side opened, even for the server side's. */
  readonly id: number;

  readonly #host: StreamHost;
  readonly #maxWindow: number;
  #openState: OpenState;
  #sendWindow = INITIAL_STREAM_WINDOW;
  #recvWindow = INITIAL_STREAM_WINDOW;
  #pending: PendingWrite | undefined;
  #localFin = false;
  #remoteFin = false;
  /** Frames may no longer be sent for this stream (closed both ways, reset, or the session is gone). */
  #done = false;
  #resetByPeer = false;
  #closeReason: Error | undefined;

  /** @internal Streams are made by {@link YamuxSession.open} and the session's accept path. */
  constructor(host: StreamHost, id: number, outbound: boolean, options: YamuxStreamOptions) {
    super({
      allowHalfOpen: options.allowHalfOpen,
      // Must stay at most half the window: see #maybeGrantWindow.
      readableHighWaterMark: 64 * 1024,
      decodeStrings: true,
    });
    this.#host = host;
    this.id = id;
    this.#maxWindow = options.maxWindow;
    this.#openState = outbound ? "synSent" : "synReceived";
  }

  /** True once the peer has acknowledged the stream (always true for streams we accepted). */
  get established(): boolean {
    return this.#openState !== "synSent";
  }

  /** Bytes we may still send before the peer grants more. */
  get sendWindow(): number {
    return this.#sendWindow;
  }

  /** Bytes the peer may still send before we grant more. */
  get receiveWindow(): number {
    return this.#recvWindow;
  }

  /** True if the stream ended because the peer reset it. */
  get resetByPeer(): boolean {
    return this.#resetByPeer;
  }

  /** Why the stream was torn down, if it was (also set when no `'error'` was emitted). */
  get closeReason(): Error | undefined {
    return this.#closeReason;
  }

  // Socket look-alikes: http2, tls and grpc-js call some of these on their transport.
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }
  setTimeout(_timeout: number, _callback?: () => void): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  // ---- called by the session -------------------------------------------------

  /** @internal Sends the SYN (outbound) or ACK (accepted) window update that opens the stream. */
  sendOpen(): void {
    const flags = this.#openState === "synSent" ? Flag.SYN : Flag.ACK;
    if (this.#openState === "synReceived") this.#openState = "established";
    const delta = this.#windowDelta();
    this.#recvWindow += delta;
    this.#host.sendFrame(FrameType.WindowUpdate, flags, this.id, delta);
  }

  /** @internal The peer acknowledged our SYN. */
  handleAck(): void {
    if (this.#openState === "synSent") {
      this.#openState = "established";
      this.#host.streamAcked(this);
      this.emit("established");
    }
  }

  /** @internal Checks a Data frame header before its payload arrives. Throws YamuxProtocolError. */
  checkIncomingData(length: number): void {
    if (length === 0) return;
    if (this.#remoteFin) {
      throw new YamuxProtocolError(`data frame on stream ${this.id} after the peer half-closed it`);
    }
    if (length > this.#recvWindow) {
      throw new YamuxProtocolError(`stream ${this.id} received a ${length}-byte data frame with only ${this.#recvWindow} bytes of receive window left`);
    }
  }

  /** @internal A piece of Data payload (its header passed checkIncomingData). */
  handleData(chunk: Buffer): void {
    this.#recvWindow -= chunk.length;
    if (this.destroyed || this.#done) return;
    this.push(chunk);
  }

  /** @internal A WindowUpdate from the peer. Throws YamuxProtocolError on overflow. */
  handleWindowUpdate(delta: number): void {
    if (delta === 0) return;
    if (this.#sendWindow + delta > MAX_UINT32) {
      throw new YamuxProtocolError(`window update of ${delta} overflows the send window of stream ${this.id}`);
    }
    this.#sendWindow += delta;
    this.#flushPending();
  }

  /** @internal FIN from the peer. Throws YamuxProtocolError if it already sent one. */
  handleFin(): void {
    if (this.#remoteFin) {
      throw new YamuxProtocolError(`second FIN on stream ${this.id}`);
    }
    this.#remoteFin = true;
    if (!this.destroyed) this.push(null);
    if (this.#localFin) this.#finish();
  }

  /** @internal RST from the peer. */
  handleReset(): void {
    this.#resetByPeer = true;
    this.#finish();
    this.#abort(new YamuxStreamResetError(this.id));
  }

  /** @internal The session is gone: no more frames, fail with `error`. */
  sessionClosed(error: Error): void {
    this.#done = true;
    this.#abort(error);
  }

  // ---- Duplex implementation ---------------------------------------------------

  override _read(_size: number): void {
    this.#maybeGrantWindow();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.#pending = { chunk, offset: 0, callback };
    this.#flushPending();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#done) {
      callback(this.#closeReason ?? null);
      return;
    }
    this.#localFin = true;
    this.#host.sendFrame(FrameType.WindowUpdate, Flag.FIN, this.id, 0);
    if (this.#remoteFin) this.#finish();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#done) {
      // Not closed both ways yet (or never opened fully): tell the peer to drop it.
      this.#host.sendFrame(FrameType.WindowUpdate, Flag.RST, this.id, 0);
      this.#finish();
    }
    if (error && this.#closeReason === undefined) this.#closeReason = error;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) {
      const reason = error ?? this.#closeReason ?? new Error(`yamux stream ${this.id} destroyed`);
      process.nextTick(pending.callback, reason);
    }
    callback(error);
  }

  // ---- internals ------------------------------------------------------------------

  #flushPending(): void {
    const p = this.#pending;
    if (p === undefined) return;
    while (p.offset < p.chunk.length) {
      if (this.#done || this.destroyed) return; // _destroy fails the callback
      if (this.#sendWindow === 0) return; // resumed by handleWindowUpdate
      const n = Math.min(this.#sendWindow, p.chunk.length - p.offset, MAX_DATA_FRAME);
      const payload = p.chunk.subarray(p.offset, p.offset + n);
      this.#sendWindow -= n;
      p.offset += n;
      this.#host.sendFrame(FrameType.Data, 0, this.id, n, payload);
    }
    this.#pending = undefined;
    this.#host.whenWritable(() => p.callback());
  }

  /** How much window we may grant now: the room left after unread data, minus what the peer may already send. */
  #windowDelta(): number {
    return Math.max(0, this.#maxWindow - this.readableLength - this.#recvWindow);
  }

  /**
   * Grants the peer more window once at least half a window has been
   * consumed (the same threshold as Go's yamux). `_read` is called whenever
   * the readable buffer is below its high-water mark (64 KiB, at most half a
   * window) and the consumer wants more, so a peer that exhausted the window
   * always gets an update once the consumer catches up.
   */
  #maybeGrantWindow(): void {
    if (this.#done || this.#remoteFin || this.#openState === "synReceived") return;
    const delta = this.#windowDelta();
    if (delta < this.#maxWindow / 2) return;
    this.#recvWindow += delta;
    this.#host.sendFrame(FrameType.WindowUpdate, 0, this.id, delta);
  }

  /** No more frames for this stream; the session forgets it. Idempotent. */
  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#host.streamDone(this);
  }

  #abort(error: Error): void {
    if (this.#closeReason === undefined) this.#closeReason = error;
    if (this.destroyed) return;
    this.destroy(this.listenerCount("error") > 0 ? error : undefined);
  }
}
