/**
 * The client side of the h2 engine: one HTTP/2 connection (made on the first
 * call, made again after it closes) and calls on it that speak gRPC straight
 * on HTTP/2: the runtime's own (`rpc/http2/`), or `node:http2`. Its `make*Request` methods take the same arguments and
 * return calls with the same events as grpc-js's `Client`, so the runtime's
 * typed clients drive either engine; underneath there is one object per call
 * and no interceptor, filter or resolver stack.
 */
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, IncomingHttpStatusHeader, OutgoingHttpHeaders } from "node:http2";
import { connect as netConnect } from "node:net";
import { Duplex, Readable, Writable } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import type * as grpc from "@grpc/grpc-js";
import { Code } from "../code.js";
import { Metadata } from "../grpc-metadata.js";
import { ERROR } from "../http2/frames.js";
import { Http2Session } from "../http2/session.js";
import { type ClientStream, defaultHttp2, type Http2Implementation, type Listener } from "./http2.js";
import { nodeHttp2 } from "./node-http2.js";
import type { ClientTlsMaterial } from "./tls.js";
import { codeFromHttpStatus, codeFromResetCode, decodeGrpcMessage, formatTimeout, frameMessage, isGrpcContentType, MessageDecoder } from "./wire.js";

/** Where a channel connects: an address, or a function that opens a byte stream (e.g. a yamux stream). */
export type ChannelTarget = { network: "unix" | "tcp"; address: string } | { open: () => Promise<Duplex> | Duplex; describe: string };

/** A finished call's status (grpc-js's `StatusObject`, with the runtime's `Code`). */
export interface CallStatus {
  code: Code;
  details: string;
  metadata: grpc.Metadata;
}

/**
 * Watches the calls of a channel: called when a call starts (before its
 * headers are sent, so it may add metadata); what it returns sees, and may
 * replace, the call's status before the caller does.
 */
export type CallHook = (path: string, metadata: grpc.Metadata) => ((status: CallStatus) => CallStatus | Promise<CallStatus>) | undefined;

/** Options of an {@link H2Channel}. */
export interface H2ChannelOptions {
  /** TLS (AutoMTLS or supplied); absent: plaintext HTTP/2 (h2c). */
  tls?: ClientTlsMaterial | undefined;
  /** Largest message received or sent (default 2^31-1, as go-plugin). */
  maxMessageSize?: number | undefined;
  /** HTTP/2 receive window of each stream and of the connection (default 8 MiB). */
  windowSize?: number | undefined;
  /** The `:authority` of every call (default `localhost`, as the runtime's grpc-js channels). */
  authority?: string | undefined;
  /** Call hooks, in order (telemetry, status rewrites). */
  hooks?: readonly CallHook[] | undefined;
  /** The HTTP/2 underneath (default: {@link defaultHttp2}). */
  http2?: Http2Implementation | undefined;
}

/** The members of a client session the channel uses. */
interface ClientSession {
  request(headers: OutgoingHttpHeaders, options: { endStream?: boolean }): ClientStream;
  close(): void;
  ref(): void;
  unref(): void;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  readonly closed: boolean;
  readonly destroyed: boolean;
}

/** Default HTTP/2 receive window, per stream and per connection. */
export const H2_WINDOW_SIZE = 8 * 1024 * 1024;
const MAX_MESSAGE = 2 ** 31 - 1;

type Serialize = (value: unknown) => Buffer;
type Deserialize = (bytes: Buffer) => unknown;
type UnaryCallback = (error: grpc.ServiceError | null, value?: unknown) => void;

/**
 * A gRPC channel on HTTP/2. Make one per plugin connection; `close()`
 * ends it (calls in flight finish, new calls fail with UNAVAILABLE).
 */
export class H2Channel {
  private current: ClientSession | undefined;
  /** Why the current (or last) connection failed, for the status of calls it takes down. */
  private connectionError: Error | undefined;
  private closed = false;
  private readonly activeStreams = new Map<ClientSession, number>();
  readonly maxMessageSize: number;
  private readonly authority: string;
  private readonly hooks: readonly CallHook[];

  constructor(
    readonly target: ChannelTarget,
    private readonly options: H2ChannelOptions = {},
  ) {
    this.maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE;
    this.authority = options.authority ?? "localhost";
    this.hooks = options.hooks ?? [];
  }

  /** Closes the connection once its calls are done; later calls fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    const session = this.current;
    this.current = undefined;
    session?.close();
  }

  /** The target as text (for errors). */
  get description(): string {
    return "open" in this.target ? this.target.describe : `${this.target.network}:${this.target.address}`;
  }

  makeUnaryRequest(
    path: string,
    serialize: Serialize,
    deserialize: Deserialize,
    argument: unknown,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: UnaryCallback,
  ): H2UnaryCall {
    const call = new H2UnaryCall(this, path, deserialize, callback);
    call.start(metadata, options.deadline, serialize(argument), true);
    return call;
  }

  makeClientStreamRequest(
    path: string,
    serialize: Serialize,
    deserialize: Deserialize,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: UnaryCallback,
  ): H2ClientStreamCall {
    const call = new H2ClientStreamCall(this, path, serialize, deserialize, callback);
    call.core.start(metadata, options.deadline, undefined, false);
    return call;
  }

  makeServerStreamRequest(
    path: string,
    serialize: Serialize,
    deserialize: Deserialize,
    argument: unknown,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): H2ServerStreamCall {
    const call = new H2ServerStreamCall(this, path, deserialize);
    call.core.start(metadata, options.deadline, serialize(argument), true);
    return call;
  }

  makeBidiStreamRequest(path: string, serialize: Serialize, deserialize: Deserialize, metadata: grpc.Metadata, options: grpc.CallOptions): H2BidiCall {
    const call = new H2BidiCall(this, path, serialize, deserialize);
    call.core.start(metadata, options.deadline, undefined, false);
    return call;
  }

  /** @internal The hooks' status watchers for a call starting now. */
  startHooks(path: string, metadata: grpc.Metadata): ((status: CallStatus) => CallStatus | Promise<CallStatus>)[] | undefined {
    let watchers: ((status: CallStatus) => CallStatus | Promise<CallStatus>)[] | undefined;
    for (const hook of this.hooks) {
      const watcher = hook(path, metadata);
      if (watcher) (watchers ??= []).push(watcher);
    }
    return watchers;
  }

  /** @internal Opens a stream for a call, or throws a status-like error (channel closed). */
  request(headers: OutgoingHttpHeaders): { stream: ClientStream; session: ClientSession } {
    if (this.closed) throw statusError(Code.UNAVAILABLE, `the channel to ${this.description} is closed`);
    const session = this.session();
    headers[":authority"] = this.authority;
    const stream = session.request(headers, { endStream: false });
    this.track(session, stream);
    return { stream, session };
  }

  /** Keeps the process alive while the connection has calls in flight (as grpc-js does), not while it idles. */
  private track(session: ClientSession, stream: ClientStream): void {
    const count = (this.activeStreams.get(session) ?? 0) + 1;
    this.activeStreams.set(session, count);
    if (count === 1) session.ref();
    stream.once("close", () => {
      const left = (this.activeStreams.get(session) ?? 1) - 1;
      if (left > 0) {
        this.activeStreams.set(session, left);
        return;
      }
      this.activeStreams.delete(session);
      if (!session.destroyed) session.unref();
    });
  }

  /** @internal Whether the connection failed (calls it takes down are UNAVAILABLE). */
  hasConnectionError(): boolean {
    return this.connectionError !== undefined;
  }

  /** @internal The status of a call whose stream closed without one. */
  lostConnectionDetails(): string {
    const cause = this.connectionError;
    return cause ? `connection to ${this.description} failed: ${cause.message}` : `connection to ${this.description} closed`;
  }

  private session(): ClientSession {
    const existing = this.current;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    this.connectionError = undefined;
    const session = (this.options.http2 ?? defaultHttp2()) === "js" ? this.jsSession() : this.nodeSession();
    session.on("error", (error: Error) => {
      this.connectionError ??= error;
    });
    const drop = () => {
      if (this.current === session) this.current = undefined;
    };
    session.once("close", drop);
    session.once("goaway", drop);
    session.unref();
    this.current = session;
    return session;
  }

  private jsSession(): ClientSession {
    const windowSize = this.options.windowSize ?? H2_WINDOW_SIZE;
    return new Http2Session(this.openConnection(), "client", { windowSize, maxHeaderListPairs: 4096 });
  }

  private nodeSession(): ClientSession {
    const windowSize = this.options.windowSize ?? H2_WINDOW_SIZE;
    const session = nodeHttp2().connect(`http://${this.authority}`, {
      createConnection: () => this.openConnection(),
      settings: { initialWindowSize: windowSize, enablePush: false },
      maxSessionMemory: 256,
      // gRPC metadata may be large (go-plugin: 16 MiB header lists).
      maxHeaderListPairs: 4096,
    });
    session.once("connect", () => {
      try {
        session.setLocalWindowSize(windowSize);
      } catch {
        // The session may already be going away.
      }
    });
    return session;
  }

  private openConnection(): Duplex {
    const connection = this.dial();
    // A socket error comes before http2 closes the session's streams: keep it for their status.
    connection.once("error", (error: Error) => {
      this.connectionError ??= error;
    });
    return connection;
  }

  private dial(): Duplex {
    const target = this.target;
    const tls = this.options.tls;
    if ("open" in target) {
      const opened = target.open();
      if (opened instanceof Duplex) return tls ? tlsConnect({ ...tlsOptions(tls), socket: opened }) : opened;
      // An asynchronous opener: hand http2 a stand-in that becomes the stream once it is open.
      return deferredConnection(opened, tls);
    }
    if (target.network === "unix") {
      return tls ? tlsConnect({ ...tlsOptions(tls), path: target.address }) : netConnect({ path: target.address });
    }
    const { host, port } = splitHostPort(target.address);
    return tls ? tlsConnect({ ...tlsOptions(tls), host, port }) : netConnect({ host, port, noDelay: true });
  }
}

function tlsOptions(tls: ClientTlsMaterial) {
  return {
    ...(tls.caPem === undefined ? {} : { ca: tls.caPem }),
    ...(tls.certPem === undefined ? {} : { cert: tls.certPem }),
    ...(tls.keyPem === undefined ? {} : { key: tls.keyPem }),
    servername: tls.serverName,
    ALPNProtocols: ["h2"],
    minVersion: "TLSv1.2" as const,
  };
}

/** A Duplex that forwards to the stream `opening` resolves to (TLS on top when asked). */
function deferredConnection(opening: Promise<Duplex>, tls: ClientTlsMaterial | undefined): Duplex {
  const { socket, attach } = relay();
  opening.then(
    (stream) => attach(tls ? tlsConnect({ ...tlsOptions(tls), socket: stream }) : stream),
    (error: Error) => socket.destroy(error),
  );
  return socket;
}

/** A Duplex whose bytes go to (and come from) a stream attached later. */
function relay(): { socket: Duplex; attach: (stream: Duplex) => void } {
  let inner: Duplex | undefined;
  let pending: { chunk: Buffer; callback: (error?: Error | null) => void }[] = [];
  let finalPending: ((error?: Error | null) => void) | undefined;
  const socket = new Duplex({
    read() {
      inner?.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (inner) inner.write(chunk, callback);
      else pending.push({ chunk, callback });
    },
    final(callback) {
      if (inner) inner.end(callback);
      else finalPending = callback;
    },
    destroy(error, callback) {
      inner?.destroy(error ?? undefined);
      callback(error);
    },
  });
  const attach = (stream: Duplex) => {
    if (socket.destroyed) {
      stream.destroy();
      return;
    }
    inner = stream;
    stream.on("data", (chunk: Buffer) => {
      if (!socket.push(chunk)) stream.pause();
    });
    stream.on("end", () => socket.push(null));
    stream.on("error", (error) => socket.destroy(error));
    stream.on("close", () => socket.destroy());
    for (const { chunk, callback } of pending) stream.write(chunk, callback);
    pending = [];
    if (finalPending) stream.end(finalPending);
  };
  return { socket, attach };
}

function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(address.slice(colon + 1)) };
}

/** A grpc-js-style ServiceError (an Error with the status's fields). */
export function statusError(code: Code, details: string, metadata: grpc.Metadata = new Metadata()): grpc.ServiceError {
  const error = new Error(`${code} ${Code[code] ?? ""}: ${details}`) as grpc.ServiceError;
  error.code = code as number as grpc.status;
  error.details = details;
  error.metadata = metadata;
  return error;
}

/**
 * One call's HTTP/2 stream: request headers and messages out, response
 * headers, messages and status in. Reports through the owner's callbacks;
 * the status is reported exactly once.
 */
class CallCore {
  stream: ClientStream | undefined;
  // Kept: a closed stream no longer knows its session.
  private session: ClientSession | undefined;
  private decoder: MessageDecoder | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status: CallStatus | undefined;
  private finished = false;
  private httpStatus = 0;
  private grpcResponse = false;
  /** DATA that came before the 'response' event: node:http2 emits that event a tick late. */
  private early: Buffer[] | undefined;
  private watchers: ((status: CallStatus) => CallStatus | Promise<CallStatus>)[] | undefined;

  constructor(
    readonly channel: H2Channel,
    readonly path: string,
    private readonly owner: CallOwner,
  ) {}

  start(metadata: grpc.Metadata, deadline: grpc.Deadline | undefined, firstMessage: Buffer | undefined, endAfter: boolean): void {
    this.watchers = this.channel.startHooks(this.path, metadata);
    const headers: OutgoingHttpHeaders = metadata.toHttp2Headers();
    headers[":method"] = "POST";
    // node:http2 would add "http" (the scheme of the session's authority URL); the runtime's HTTP/2 adds nothing.
    headers[":scheme"] = "http";
    headers[":path"] = this.path;
    headers["content-type"] = "application/grpc";
    headers["te"] = "trailers";
    const deadlineMs = deadline === undefined ? undefined : deadline instanceof Date ? deadline.getTime() : deadline;
    if (deadlineMs !== undefined && Number.isFinite(deadlineMs)) {
      const left = deadlineMs - Date.now();
      if (left <= 0) {
        this.finish({ code: Code.DEADLINE_EXCEEDED, details: "Deadline exceeded", metadata: new Metadata() });
        return;
      }
      headers["grpc-timeout"] = formatTimeout(left);
      this.timer = setTimeout(() => this.abort(Code.DEADLINE_EXCEEDED, "Deadline exceeded"), left);
    }
    if (firstMessage !== undefined && firstMessage.length > this.channel.maxMessageSize) {
      this.finish({
        code: Code.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${firstMessage.length} vs. ${this.channel.maxMessageSize})`,
        metadata: new Metadata(),
      });
      return;
    }
    let stream: ClientStream;
    try {
      ({ stream, session: this.session } = this.channel.request(headers));
    } catch (error) {
      const { code, details } = error as { code?: number; details?: string };
      this.finish({ code: typeof code === "number" ? code : Code.UNAVAILABLE, details: details ?? String(error), metadata: new Metadata() });
      return;
    }
    this.stream = stream;
    stream.on("response", (responseHeaders) => this.onResponse(responseHeaders));
    stream.on("trailers", (trailers) => this.onTrailers(trailers));
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("error", () => undefined); // the status says what happened (on 'close')
    stream.on("end", () => this.onEnd());
    stream.on("close", () => this.onClose());
    if (firstMessage !== undefined) {
      const chunks = frameMessage(firstMessage);
      if (endAfter && chunks.length === 1) stream.end(chunks[0]);
      else {
        for (const chunk of chunks) stream.write(chunk);
        if (endAfter) stream.end();
      }
    }
  }

  /** Serializes and sends one request message (a serializer's throw fails the write). */
  writeMessage(serialize: Serialize, message: unknown, done: (error?: Error | null) => void): void {
    let bytes: Buffer;
    try {
      bytes = serialize(message);
    } catch (error) {
      done(error as Error);
      return;
    }
    this.write(bytes, done);
  }

  /** Sends one request message; `done` runs when it is handed to the connection. */
  write(message: Buffer, done: (error?: Error | null) => void): void {
    const stream = this.stream;
    if (!stream || this.finished || stream.destroyed) {
      done();
      return;
    }
    if (message.length > this.channel.maxMessageSize) {
      this.abort(Code.RESOURCE_EXHAUSTED, `Sent message larger than max (${message.length} vs. ${this.channel.maxMessageSize})`);
      done();
      return;
    }
    const chunks = frameMessage(message);
    if (chunks.length === 1) stream.write(chunks[0], () => done());
    else {
      stream.cork();
      stream.write(chunks[0]);
      stream.write(chunks[1], () => done());
      stream.uncork();
    }
  }

  /** Half-closes the request side. */
  end(): void {
    const stream = this.stream;
    if (stream && !this.finished && !stream.destroyed) stream.end();
  }

  /** Pauses or resumes reading responses (back-pressure from the consumer). */
  setPaused(paused: boolean): void {
    const stream = this.stream;
    if (!stream) return;
    if (paused) stream.pause();
    else stream.resume();
  }

  /** Ends the call from this side with `code`, resetting the stream. */
  abort(code: Code, details: string): void {
    if (this.finished) return;
    this.finish({ code, details, metadata: new Metadata() });
    const stream = this.stream;
    if (stream && !stream.destroyed) stream.close(ERROR.CANCEL);
  }

  private onResponse(headers: IncomingHttpHeaders & IncomingHttpStatusHeader): void {
    this.httpStatus = Number(headers[":status"]);
    this.grpcResponse = this.httpStatus === 200 && isGrpcContentType(headers["content-type"] as string | undefined);
    const early = this.early;
    this.early = undefined;
    if (headers["grpc-status"] !== undefined) {
      // Trailers-only: the status comes in the headers.
      this.onTrailers(headers);
      return;
    }
    if (this.grpcResponse) {
      this.decoder = new MessageDecoder(this.channel.maxMessageSize, (bytes) => this.owner.onMessage(bytes));
      this.owner.onHeaders(Metadata.fromHttp2Headers(headers));
    }
    for (const chunk of early ?? []) this.onData(chunk);
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    const decoder = this.decoder;
    if (!decoder) {
      if (this.httpStatus === 0) {
        // HEADERS and DATA read together: node:http2 emits 'response' on the next tick, 'data' now.
        (this.early ??= []).push(chunk);
        return;
      }
      this.abort(this.nonGrpcCode(), this.nonGrpcDetails());
      return;
    }
    try {
      decoder.push(chunk);
    } catch (error) {
      const { code, rawMessage } = error as { code: Code; rawMessage: string };
      this.abort(code, rawMessage);
    }
  }

  private onTrailers(trailers: IncomingHttpHeaders): void {
    if (this.status) return;
    const raw = trailers["grpc-status"];
    const code = raw === undefined ? Number.NaN : Number(raw);
    const metadata = Metadata.fromHttp2Headers(trailers);
    for (const key of ["grpc-status", "grpc-message", "content-type"]) metadata.remove(key);
    if (!Number.isInteger(code) || code < 0) {
      this.status = {
        code: this.grpcResponse ? Code.UNKNOWN : this.nonGrpcCode(),
        details: raw === undefined ? "received trailers without grpc-status" : `received an invalid grpc-status ${JSON.stringify(raw)}`,
        metadata,
      };
      return;
    }
    const message = trailers["grpc-message"];
    this.status = { code, details: typeof message === "string" ? decodeGrpcMessage(message) : "", metadata };
    if (this.stream?.readableEnded) this.onEnd();
  }

  /**
   * The server's side ended and every message was read: with the status in
   * hand the call is over, even while this side is still sending (a server
   * that answered early). The stream is then reset with NO_ERROR, as grpc-go
   * does, instead of waiting for a close that only our own half-close brings.
   */
  private onEnd(): void {
    if (this.finished || !this.status) return;
    if (this.decoder?.partial && this.status.code === Code.OK) {
      this.finish({ code: Code.INTERNAL, details: "the response ended in the middle of a message", metadata: new Metadata() });
    } else this.finish(this.status);
    const stream = this.stream;
    // Only a stream this side still sends on needs the reset; one whose request side has ended
    // closes by itself, and resetting it here raced that close and could leave it (and its
    // session and socket) open for good.
    if (stream && !stream.closed && !stream.destroyed && !stream.writableEnded) stream.close(ERROR.NO_ERROR);
  }

  private onClose(): void {
    if (this.finished) return;
    if (this.decoder?.partial && (!this.status || this.status.code === Code.OK)) {
      this.finish({ code: Code.INTERNAL, details: "the response ended in the middle of a message", metadata: new Metadata() });
      return;
    }
    if (this.status) {
      this.finish(this.status);
      return;
    }
    const stream = this.stream;
    const session = this.session;
    if (!session || session.destroyed || this.channel.hasConnectionError()) {
      this.finish({ code: Code.UNAVAILABLE, details: this.channel.lostConnectionDetails(), metadata: new Metadata() });
      return;
    }
    const rstCode = stream?.rstCode;
    if (rstCode !== undefined && rstCode !== ERROR.NO_ERROR) {
      this.finish({ code: codeFromResetCode(rstCode), details: `stream reset by the server with HTTP/2 error code ${rstCode}`, metadata: new Metadata() });
      return;
    }
    if (this.httpStatus !== 0 && !this.grpcResponse) {
      this.finish({ code: this.nonGrpcCode(), details: this.nonGrpcDetails(), metadata: new Metadata() });
      return;
    }
    if (this.httpStatus === 0) {
      this.finish({ code: Code.UNAVAILABLE, details: this.channel.lostConnectionDetails(), metadata: new Metadata() });
      return;
    }
    this.finish({ code: Code.INTERNAL, details: "the server closed the stream without sending trailers", metadata: new Metadata() });
  }

  private nonGrpcCode(): Code {
    return this.httpStatus === 200 ? Code.UNKNOWN : codeFromHttpStatus(this.httpStatus);
  }

  private nonGrpcDetails(): string {
    return this.httpStatus === 200
      ? "the server's response has no gRPC content-type"
      : `the server answered HTTP status ${this.httpStatus}, not a gRPC response`;
  }

  private finish(status: CallStatus): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    const watchers = this.watchers;
    if (!watchers) {
      this.owner.onStatus(status);
      return;
    }
    let pending: CallStatus | Promise<CallStatus> = status;
    for (const watch of watchers) pending = pending instanceof Promise ? pending.then(watch) : watch(pending);
    if (pending instanceof Promise)
      pending.then(
        (final) => this.owner.onStatus(final),
        () => this.owner.onStatus(status),
      );
    else this.owner.onStatus(pending);
  }
}

function parseFailure(error: unknown): CallStatus {
  return { code: Code.INTERNAL, details: `failed to parse the server's response: ${(error as Error)?.message ?? String(error)}`, metadata: new Metadata() };
}

/** What a call's core reports to the call object that owns it. */
interface CallOwner {
  onHeaders(metadata: grpc.Metadata): void;
  onMessage(bytes: Uint8Array): void;
  onStatus(status: CallStatus): void;
}

/**
 * The owner of a call with one response (unary, client streaming): exactly
 * one message before an OK status, handed to `callback` (grpc-js's order:
 * the callback, then the 'status' event).
 */
function singleResponse(call: EventEmitter, kind: string, deserialize: Deserialize, callback: UnaryCallback, core: () => CallCore): CallOwner {
  let response: unknown;
  let responses = 0;
  return {
    onHeaders: (metadata) => call.emit("metadata", metadata),
    onMessage: (bytes) => {
      responses += 1;
      if (responses > 1) {
        core().abort(Code.INTERNAL, `the server sent more than one response to a ${kind}`);
        return;
      }
      try {
        response = deserialize(bytes as Buffer);
      } catch (error) {
        const failure = parseFailure(error);
        core().abort(failure.code, failure.details);
      }
    },
    onStatus: (status) => {
      if (status.code === Code.OK && responses !== 1) {
        status = { code: Code.INTERNAL, details: `the server sent no response message to a ${kind}`, metadata: status.metadata };
      }
      if (status.code === Code.OK) callback(null, response);
      else callback(statusError(status.code, status.details, status.metadata));
      call.emit("status", status);
    },
  };
}

/** A unary call (grpc-js's `ClientUnaryCall` events: metadata, status). */
export class H2UnaryCall extends EventEmitter {
  private readonly core: CallCore;

  constructor(channel: H2Channel, path: string, deserialize: Deserialize, callback: UnaryCallback) {
    super();
    this.core = new CallCore(
      channel,
      path,
      singleResponse(this, "unary call", deserialize, callback, () => this.core),
    );
  }

  /** @internal */
  start(metadata: grpc.Metadata, deadline: grpc.Deadline | undefined, message: Buffer, endAfter: boolean): void {
    this.core.start(metadata, deadline, message, endAfter);
  }

  cancel(): void {
    this.core.abort(Code.CANCELLED, "Cancelled on client");
  }
}

/** A client-streaming call: an object-mode Writable of requests (grpc-js's `ClientWritableStream`). */
export class H2ClientStreamCall extends Writable {
  readonly core: CallCore;

  constructor(
    channel: H2Channel,
    path: string,
    private readonly serialize: Serialize,
    deserialize: Deserialize,
    callback: UnaryCallback,
  ) {
    super({ objectMode: true });
    this.core = new CallCore(
      channel,
      path,
      singleResponse(this, "client-streaming call", deserialize, callback, () => this.core),
    );
  }

  override _write(message: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.core.writeMessage(this.serialize, message, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.core.end();
    done();
  }

  cancel(): void {
    this.core.abort(Code.CANCELLED, "Cancelled on client");
  }
}

/** A server-streaming call: an object-mode Readable of responses (grpc-js's `ClientReadableStream`). */
export class H2ServerStreamCall extends Readable {
  readonly core: CallCore;

  constructor(channel: H2Channel, path: string, deserialize: Deserialize) {
    super({ objectMode: true });
    this.core = readingCore(this, channel, path, deserialize);
  }

  override _read(): void {
    this.core.setPaused(false);
  }

  cancel(): void {
    this.core.abort(Code.CANCELLED, "Cancelled on client");
  }
}

/** A bidirectional call: object-mode Duplex, requests in, responses out (grpc-js's `ClientDuplexStream`). */
export class H2BidiCall extends Duplex {
  readonly core: CallCore;

  constructor(
    channel: H2Channel,
    path: string,
    private readonly serialize: Serialize,
    deserialize: Deserialize,
  ) {
    super({ objectMode: true });
    this.core = readingCore(this, channel, path, deserialize);
  }

  override _read(): void {
    this.core.setPaused(false);
  }

  override _write(message: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.core.writeMessage(this.serialize, message, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.core.end();
    done();
  }

  cancel(): void {
    this.core.abort(Code.CANCELLED, "Cancelled on client");
  }
}

/** The core of a call whose responses are a stream: messages pushed (pausing HTTP/2 when the reader lags), then end or error. */
function readingCore(readable: Readable, channel: H2Channel, path: string, deserialize: Deserialize): CallCore {
  const core: CallCore = new CallCore(channel, path, {
    onHeaders: (metadata) => readable.emit("metadata", metadata),
    onMessage: (bytes) => {
      let message: unknown;
      try {
        message = deserialize(bytes as Buffer);
      } catch (error) {
        const failure = parseFailure(error);
        core.abort(failure.code, failure.details);
        return;
      }
      if (!readable.push(message)) core.setPaused(true);
    },
    onStatus: (status) => {
      if (status.code === Code.OK) {
        readable.push(null);
      } else {
        readable.emit("error", statusError(status.code, status.details, status.metadata));
      }
      readable.emit("status", status);
    },
  });
  return core;
}
