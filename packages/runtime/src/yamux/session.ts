/**
 * A yamux session over one reliable, ordered byte stream (usually a
 * `net.Socket`), wire-compatible with github.com/hashicorp/yamux v0.1.2 as
 * configured by `yamux.DefaultConfig()` — which is what go-plugin uses for
 * its multiplexed gRPC broker (`PLUGIN_MULTIPLEX_GRPC`): the host is the
 * yamux client, the plugin the yamux server, and every gRPC connection is one
 * stream.
 *
 * The session owns the socket: it destroys it when the session ends. A
 * session never emits `'error'`; it emits `'close'` with the reason
 * (undefined for an orderly end) and exposes it as {@link closeReason}.
 * Streams still open when the session ends are destroyed with that reason
 * (or a {@link YamuxSessionClosedError}).
 */
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { YamuxError, YamuxGoAwayError, YamuxProtocolError, YamuxSessionClosedError, YamuxTimeoutError } from "./errors.js";
import {
  describeHeader,
  encodeHeader,
  Flag,
  type FrameHeader,
  FrameParser,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  MAX_UINT32,
} from "./frame.js";
import { type StreamHost, YamuxStream } from "./stream.js";

export type YamuxRole = "client" | "server";

export interface YamuxSessionOptions {
  /** `client` opens odd stream ids, `server` even ones. In go-plugin the host is the client. */
  role: YamuxRole;
  /**
   * Incoming streams that may wait for {@link YamuxSession.accept} (more are
   * refused with RST), and outgoing streams that may wait for the peer's ACK
   * (more make {@link YamuxSession.open} wait). Default 256, as in Go.
   */
  acceptBacklog?: number;
  /** Receive window per stream, at least (and by default) 256 KiB. Go's default config never grows it. */
  maxStreamWindowSize?: number;
  /** Send a ping this often and close the session if it is not answered. Default: off (Go's default is 30 s). */
  keepAliveIntervalMs?: number;
  /** How long {@link YamuxSession.ping} (and the keep-alive) waits for the answer. Default 10 s, like Go. */
  pingTimeoutMs?: number;
  /** Close the session if the peer does not acknowledge a stream we opened within this time. Default 75 s, as in Go; 0 disables. */
  streamOpenTimeoutMs?: number;
  /** Passed to every stream's Duplex: false ends our side as soon as the peer's side ends. Default true. */
  allowHalfOpen?: boolean;
}

export interface YamuxSessionEvents {
  /** The peer opened a stream (it has been acknowledged). If nobody listens, streams wait for accept(). */
  stream: [stream: YamuxStream];
  /** The peer sent a normal go-away: it accepts no new streams; open() now fails. */
  goaway: [code: number];
  /** The session ended; `reason` is undefined for an orderly close. Emitted once. */
  close: [reason: Error | undefined];
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

interface PendingPing {
  started: number;
  resolve: (rttMs: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_ACCEPT_BACKLOG = 256;
const DEFAULT_PING_TIMEOUT_MS = 10_000;
const DEFAULT_STREAM_OPEN_TIMEOUT_MS = 75_000;

function checkOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`yamux option ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export class YamuxSession extends EventEmitter<YamuxSessionEvents> {
  readonly role: YamuxRole;

  readonly #socket: Duplex;
  readonly #parser: FrameParser;
  readonly #acceptBacklog: number;
  readonly #maxWindow: number;
  readonly #pingTimeoutMs: number;
  readonly #openTimeoutMs: number;
  readonly #allowHalfOpen: boolean;
  readonly #host: StreamHost;

  #nextId: number;
  readonly #streams = new Map<number, YamuxStream>();
  /** Streams we opened that the peer has not yet acknowledged, with their open timers. */
  readonly #inflight = new Map<YamuxStream, NodeJS.Timeout | undefined>();
  readonly #openWaiters: Array<Waiter<void>> = [];
  readonly #backlog: YamuxStream[] = [];
  readonly #acceptWaiters: Array<Waiter<YamuxStream>> = [];
  readonly #pings = new Map<number, PendingPing>();
  #nextPingId = 0;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #keepAlivePending = false;
  readonly #drainWaiters: Array<() => void> = [];

  /** Per-frame parse state: the stream the current stream frame is for (undefined: drop it). */
  #frameStream: YamuxStream | undefined;

  #localGoAway = false;
  #remoteGoAway = false;
  #closed = false;
  #closeReason: Error | undefined;
  readonly #socketClosed: Promise<void>;

  constructor(socket: Duplex, options: YamuxSessionOptions) {
    super();
    if (options.role !== "client" && options.role !== "server") {
      throw new TypeError(`yamux role must be "client" or "server", got ${String(options.role)}`);
    }
    this.role = options.role;
    this.#socket = socket;
    this.#nextId = options.role === "client" ? 1 : 2;
    this.#acceptBacklog = checkOption("acceptBacklog", options.acceptBacklog ?? DEFAULT_ACCEPT_BACKLOG, 1, 1 << 20);
    this.#maxWindow = checkOption("maxStreamWindowSize", options.maxStreamWindowSize ?? INITIAL_STREAM_WINDOW, INITIAL_STREAM_WINDOW, MAX_UINT32);
    this.#pingTimeoutMs = checkOption("pingTimeoutMs", options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS, 1, 2 ** 31 - 1);
    this.#openTimeoutMs = checkOption("streamOpenTimeoutMs", options.streamOpenTimeoutMs ?? DEFAULT_STREAM_OPEN_TIMEOUT_MS, 0, 2 ** 31 - 1);
    this.#allowHalfOpen = options.allowHalfOpen ?? true;
    const keepAlive = options.keepAliveIntervalMs;

    this.#host = {
      sendFrame: (type, flags, id, length, payload) => this.#send(type, flags, id, length, payload),
      whenWritable: (cb) => {
        if (this.#closed || !this.#socket.writableNeedDrain) cb();
        else this.#drainWaiters.push(cb);
      },
      streamDone: (stream) => this.#streamDone(stream),
      streamAcked: (stream) => this.#releaseInflight(stream),
    };

    this.#parser = new FrameParser({
      onHeader: (h) => this.#onHeader(h),
      onPayload: (_h, chunk) => this.#frameStream?.handleData(chunk),
      onFrameEnd: (h) => this.#onFrameEnd(h),
    });

    this.#socketClosed = new Promise<void>((resolve) => {
      if (socket.destroyed && socket.closed) resolve();
      else socket.once("close", () => resolve());
    });
    socket.on("data", this.#onSocketData);
    socket.on("end", this.#onSocketEnd);
    socket.on("error", this.#onSocketError);
    socket.on("close", this.#onSocketClose);
    socket.on("drain", this.#onSocketDrain);

    if (socket.destroyed) {
      this.#teardown(new YamuxSessionClosedError("yamux session created over a destroyed connection"));
      return;
    }
    if (keepAlive !== undefined && keepAlive > 0) {
      checkOption("keepAliveIntervalMs", keepAlive, 1, 2 ** 31 - 1);
      this.#keepAliveTimer = setInterval(() => this.#keepAlive(), keepAlive);
      this.#keepAliveTimer.unref();
    }
  }

  /** True once the session has ended (see `'close'`). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the session ended: undefined while open or after an orderly close. */
  get closeReason(): Error | undefined {
    return this.#closeReason;
  }

  /** True after the peer sent a normal go-away. */
  get remoteGoAway(): boolean {
    return this.#remoteGoAway;
  }

  /** True after {@link goAway} (incoming streams are refused). */
  get localGoAway(): boolean {
    return this.#localGoAway;
  }

  /** Streams the session currently routes frames to (including un-accepted ones). */
  get numStreams(): number {
    return this.#streams.size;
  }

  /**
   * Opens a stream. Like Go, it does not wait for the peer's ACK: data can be
   * written at once. It waits only while `acceptBacklog` opened streams are
   * still unacknowledged. Rejects with YamuxGoAwayError after a go-away from
   * the peer, YamuxSessionClosedError once closed.
   */
  async open(): Promise<YamuxStream> {
    for (;;) {
      this.#checkCanOpen();
      if (this.#inflight.size < this.#acceptBacklog) break;
      await new Promise<void>((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
    }
    const id = this.#nextId;
    if (id > MAX_UINT32 - 1) throw new YamuxError("yamux stream ids exhausted", "ERR_YAMUX_STREAMS_EXHAUSTED");
    this.#nextId += 2;
    const stream = this.#newStream(id, true);
    this.#streams.set(id, stream);
    let timer: NodeJS.Timeout | undefined;
    if (this.#openTimeoutMs > 0) {
      timer = setTimeout(() => {
        this.#teardown(new YamuxTimeoutError(`yamux peer did not acknowledge stream ${id} within ${this.#openTimeoutMs} ms`));
      }, this.#openTimeoutMs);
      timer.unref();
    }
    this.#inflight.set(stream, timer);
    stream.sendOpen();
    return stream;
  }

  /** Waits for the next stream the peer opens. Rejects once the session is closed. */
  accept(): Promise<YamuxStream> {
    const queued = this.#backlog.shift();
    if (queued !== undefined) {
      queued.sendOpen();
      return Promise.resolve(queued);
    }
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => this.#acceptWaiters.push({ resolve, reject }));
  }

  /** Sends a ping and resolves with the round-trip time in milliseconds. */
  ping(): Promise<number> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const id = this.#nextPingId;
    this.#nextPingId = (this.#nextPingId + 1) >>> 0;
    return new Promise<number>((resolve, reject) => {
      const pending: PendingPing = { started: performance.now(), resolve, reject, timer: undefined };
      pending.timer = setTimeout(() => {
        this.#pings.delete(id);
        reject(new YamuxTimeoutError(`yamux ping ${id} not answered within ${this.#pingTimeoutMs} ms`));
      }, this.#pingTimeoutMs);
      pending.timer.unref();
      this.#pings.set(id, pending);
      this.#send(FrameType.Ping, Flag.SYN, 0, id);
    });
  }

  /**
   * Sends a go-away: the peer may open no more streams (we refuse them with
   * RST); existing streams carry on. A non-normal code is for reporting
   * errors — a Go peer closes the session when it receives one.
   */
  goAway(code: GoAwayCode = GoAwayCode.Normal): void {
    if (this.#closed) return;
    this.#localGoAway = true;
    this.#send(FrameType.GoAway, 0, 0, code);
  }

  /**
   * Closes the session: sends a normal go-away, destroys every open stream
   * (with YamuxSessionClosedError) and closes the connection once what was
   * written has been flushed. Resolves when the connection is closed.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.goAway(GoAwayCode.Normal);
      this.#teardown(undefined, "yamux session closed locally");
    }
    return this.#socketClosed;
  }

  /** Tears the session down at once with `error` (recorded as the close reason), destroying the connection. */
  destroy(error?: Error): void {
    this.#teardown(error, "yamux session destroyed", true);
  }

  // ---- receiving ---------------------------------------------------------------------

  readonly #onSocketData = (chunk: Buffer | string): void => {
    if (this.#closed) return;
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    try {
      this.#parser.push(buf);
    } catch (err) {
      if (err instanceof YamuxProtocolError) {
        this.#protocolError(err);
        return;
      }
      // Not ours: most likely an exception thrown by application code we called
      // (a 'data' or 'stream' listener). The frame stream is now out of step,
      // so the session cannot continue; end it and let the exception surface.
      const reason = new YamuxError("yamux session aborted by an exception while handling a frame", "ERR_YAMUX_INTERNAL", {
        cause: err,
      });
      if (!this.#closed) {
        this.#send(FrameType.GoAway, 0, 0, GoAwayCode.InternalError);
        this.#teardown(reason);
      }
      throw err;
    }
  };

  readonly #onSocketEnd = (): void => {
    if (this.#closed) return;
    if (this.#parser.midFrame) {
      this.#protocolError(new YamuxProtocolError("connection ended in the middle of a frame"));
    } else {
      this.#teardown(undefined, "yamux connection closed by the peer");
    }
  };

  readonly #onSocketError = (err: Error): void => {
    // Also swallows errors after teardown (e.g. EPIPE while flushing the go-away).
    if (this.#closed) return;
    this.#teardown(new YamuxSessionClosedError(`yamux connection failed: ${err.message}`, { cause: err }));
  };

  readonly #onSocketClose = (): void => {
    if (this.#closed) return;
    this.#teardown(new YamuxSessionClosedError("yamux connection closed"));
  };

  readonly #onSocketDrain = (): void => {
    const waiters = this.#drainWaiters.splice(0);
    for (const cb of waiters) cb();
  };

  #onHeader(h: FrameHeader): void {
    this.#frameStream = undefined;
    switch (h.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        this.#onStreamHeader(h);
        return;
      case FrameType.Ping:
        this.#onPing(h);
        return;
      case FrameType.GoAway:
        this.#onGoAway(h);
        return;
    }
  }

  #onStreamHeader(h: FrameHeader): void {
    const id = h.streamId;
    if (id === 0) throw new YamuxProtocolError(`stream frame on the session stream id 0 (${describeHeader(h)})`);
    if (h.flags & Flag.SYN) {
      if (!this.#incomingStream(id, h)) return;
    }
    const stream = this.#streams.get(id);
    // Unknown stream: most likely one we reset or gave up; Go drops these frames too.
    if (stream === undefined) return;
    if (h.flags & Flag.ACK) stream.handleAck();
    if (h.flags & Flag.RST) {
      stream.handleReset();
      return; // any payload is dropped
    }
    if (h.type === FrameType.WindowUpdate) {
      stream.handleWindowUpdate(h.length);
    } else {
      stream.checkIncomingData(h.length);
    }
    this.#frameStream = stream;
  }

  /** Registers a stream the peer opens; false if it was refused (frame to be dropped). */
  #incomingStream(id: number, h: FrameHeader): boolean {
    const peerParity = this.role === "client" ? 0 : 1;
    if (id % 2 !== peerParity) {
      throw new YamuxProtocolError(
        `peer opened stream ${id}, but a yamux ${this.role === "client" ? "server" : "client"} must use ${
          peerParity === 1 ? "odd" : "even"
        } ids (${describeHeader(h)})`,
      );
    }
    if (this.#streams.has(id)) throw new YamuxProtocolError(`peer opened stream ${id}, which is already open`);
    const hasListener = this.listenerCount("stream") > 0;
    if (this.#localGoAway || (!hasListener && this.#acceptWaiters.length === 0 && this.#backlog.length >= this.#acceptBacklog)) {
      this.#send(FrameType.WindowUpdate, Flag.RST, id, 0);
      return false;
    }
    const stream = this.#newStream(id, false);
    this.#streams.set(id, stream);
    if (hasListener) {
      stream.sendOpen();
      this.emit("stream", stream);
    } else {
      const waiter = this.#acceptWaiters.shift();
      if (waiter !== undefined) {
        stream.sendOpen();
        waiter.resolve(stream);
      } else {
        this.#backlog.push(stream);
      }
    }
    return true;
  }

  #onFrameEnd(h: FrameHeader): void {
    const stream = this.#frameStream;
    this.#frameStream = undefined;
    if (stream !== undefined && h.flags & Flag.FIN && this.#streams.get(h.streamId) === stream) {
      stream.handleFin();
    }
  }

  #onPing(h: FrameHeader): void {
    if (h.flags & Flag.SYN) {
      this.#send(FrameType.Ping, Flag.ACK, 0, h.length);
      return;
    }
    const pending = this.#pings.get(h.length);
    if (pending === undefined) return; // late answer to a timed-out ping
    this.#pings.delete(h.length);
    clearTimeout(pending.timer);
    pending.resolve(performance.now() - pending.started);
  }

  #onGoAway(h: FrameHeader): void {
    const code = h.length;
    if (code === GoAwayCode.Normal) {
      this.#remoteGoAway = true;
      const waiters = this.#openWaiters.splice(0);
      for (const w of waiters) w.reject(this.#goAwayError());
      this.emit("goaway", code);
      return;
    }
    const what =
      code === GoAwayCode.ProtocolError
        ? "the peer reported a yamux protocol error"
        : code === GoAwayCode.InternalError
          ? "the peer reported a yamux internal error"
          : `the peer sent an unknown go-away code`;
    this.#teardown(new YamuxGoAwayError(`${what} (go-away code ${code})`, code));
  }

  // ---- sending ---------------------------------------------------------------------

  #send(type: FrameType, flags: number, id: number, length: number, payload?: Buffer): boolean {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return false;
    const header = encodeHeader(type, flags, id, length);
    if (payload === undefined || payload.length === 0) {
      socket.write(header);
    } else if (payload.length <= 1024) {
      socket.write(Buffer.concat([header, payload], HEADER_SIZE + payload.length));
    } else {
      socket.cork();
      socket.write(header);
      socket.write(payload);
      socket.uncork();
    }
    return true;
  }

  // ---- stream bookkeeping --------------------------------------------------------------

  #newStream(id: number, outbound: boolean): YamuxStream {
    return new YamuxStream(this.#host, id, outbound, { allowHalfOpen: this.#allowHalfOpen, maxWindow: this.#maxWindow });
  }

  #streamDone(stream: YamuxStream): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    const i = this.#backlog.indexOf(stream);
    if (i >= 0) this.#backlog.splice(i, 1);
    this.#releaseInflight(stream);
  }

  #releaseInflight(stream: YamuxStream): void {
    if (!this.#inflight.has(stream)) return;
    clearTimeout(this.#inflight.get(stream));
    this.#inflight.delete(stream);
    this.#openWaiters.shift()?.resolve();
  }

  #checkCanOpen(): void {
    if (this.#closed) throw this.#closedError();
    if (this.#remoteGoAway) throw this.#goAwayError();
  }

  #goAwayError(): YamuxGoAwayError {
    return new YamuxGoAwayError("yamux peer sent a go-away and accepts no new streams", GoAwayCode.Normal);
  }

  #closedError(): Error {
    return this.#closeReason ?? new YamuxSessionClosedError("yamux session is closed");
  }

  // ---- keep-alive and teardown -------------------------------------------------------------

  #keepAlive(): void {
    if (this.#closed || this.#keepAlivePending) return;
    this.#keepAlivePending = true;
    this.ping().then(
      () => {
        this.#keepAlivePending = false;
      },
      (err: unknown) => {
        this.#keepAlivePending = false;
        if (err instanceof YamuxTimeoutError) this.#teardown(new YamuxTimeoutError(`yamux keep-alive failed: ${err.message}`));
      },
    );
  }

  #protocolError(err: YamuxProtocolError): void {
    if (this.#closed) return;
    this.#send(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError);
    this.#teardown(err);
  }

  /**
   * Ends the session once: stops parsing, clears every timer, fails every
   * waiter and stream, and closes the connection (after flushing what was
   * written, unless `hard`).
   */
  #teardown(reason: Error | undefined, streamMessage = "yamux session closed", hard = false): void {
    if (this.#closed) {
      if (hard && !this.#socket.destroyed) this.#socket.destroy();
      return;
    }
    this.#closed = true;
    this.#closeReason = reason;
    this.#parser.stop();
    this.#frameStream = undefined;
    clearInterval(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;

    const streamError = reason ?? new YamuxSessionClosedError(streamMessage);
    const closedError = reason ?? new YamuxSessionClosedError("yamux session is closed");

    for (const timer of this.#inflight.values()) clearTimeout(timer);
    this.#inflight.clear();
    for (const w of this.#openWaiters.splice(0)) w.reject(closedError);
    for (const w of this.#acceptWaiters.splice(0)) w.reject(closedError);
    for (const p of this.#pings.values()) {
      clearTimeout(p.timer);
      p.reject(closedError);
    }
    this.#pings.clear();

    const streams = [...this.#streams.values()];
    this.#streams.clear();
    this.#backlog.length = 0;
    for (const stream of streams) stream.sessionClosed(streamError);
    // Writers waiting for the connection to drain will not get a 'drain' now.
    this.#onSocketDrain();

    const socket = this.#socket;
    if (hard || socket.destroyed) {
      socket.destroy();
    } else if (socket.writableEnded) {
      // Our side is already ended; nothing more to flush.
      socket.destroy();
    } else {
      socket.end(() => socket.destroy());
    }
    process.nextTick(() => this.emit("close", reason));
  }
}
