/**
 * The server side of the h2 engine: gRPC straight on HTTP/2 (the runtime's
 * own, `rpc/http2/`, or a `node:http2` server) with settings of its own
 * (receive windows grpc-js leaves at 64 KiB). It takes
 * grpc-js service definitions and implementations (`addService`) and hands
 * handlers call objects with the members of grpc-js's server calls the
 * runtime uses, so `rpc/server.ts` serves either engine. Connections are
 * injected (`injectConnection`): listening is the runtime's (transport.ts).
 */
import { EventEmitter } from "node:events";
import type { Http2SecureServer, Http2Server, Http2Session, IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { Duplex, Readable } from "node:stream";
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from "node:tls";
import type * as grpc from "@grpc/grpc-js";
import { Code } from "../code.js";
import { Metadata } from "../grpc-metadata.js";
import { ERROR } from "../http2/frames.js";
import { Http2Session as JsHttp2Session } from "../http2/session.js";
import { H2_WINDOW_SIZE } from "./channel.js";
import { defaultHttp2, type Http2Implementation, type Listener, type ServerStream } from "./http2.js";
import { nodeHttp2 } from "./node-http2.js";
import type { ServerTlsMaterial } from "./tls.js";
import { encodeGrpcMessage, frameMessage, isGrpcContentType, MessageDecoder, parseTimeout } from "./wire.js";

/** Options of an {@link H2Server}. */
export interface H2ServerOptions {
  /** TLS (AutoMTLS or supplied); absent: plaintext HTTP/2 (h2c). */
  tls?: ServerTlsMaterial | undefined;
  /** Largest message received (default 2^31-1, as go-plugin). */
  maxMessageSize?: number | undefined;
  /** HTTP/2 receive window of each stream and of each connection (default 8 MiB). */
  windowSize?: number | undefined;
  /** The HTTP/2 underneath (default: {@link defaultHttp2}). */
  http2?: Http2Implementation | undefined;
}

/** The members of a server session the server uses. */
interface ServerSession {
  close(): void;
  destroy(): void;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  setLocalWindowSize(size: number): void;
}

/** How connections of the runtime's own HTTP/2 are served: TLS (a tls.Server that never listens) or not. */
interface JsServing {
  windowSize: number;
  tls: TlsServer | undefined;
}

const MAX_MESSAGE = 2 ** 31 - 1;

interface Route {
  definition: grpc.MethodDefinition<unknown, unknown>;
  handler: (...args: never[]) => void;
}

/** A gRPC server on HTTP/2 (see the module comment). */
export class H2Server {
  private readonly routes = new Map<string, Route>();
  private readonly services = new Set<string>();
  private readonly sessions = new Set<ServerSession>();
  private readonly http: Http2Server | Http2SecureServer | undefined;
  private readonly js: JsServing | undefined;
  readonly maxMessageSize: number;
  private shuttingDown = false;
  private onDrained: (() => void) | undefined;

  constructor(options: H2ServerOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE;
    const windowSize = options.windowSize ?? H2_WINDOW_SIZE;
    const common = {
      settings: { initialWindowSize: windowSize, maxConcurrentStreams: 0xffffffff },
      maxSessionMemory: 256,
      maxHeaderListPairs: 4096,
    };
    const tls = options.tls;
    if ((options.http2 ?? defaultHttp2()) === "js") {
      const tlsServer = tls && createTlsServer(tlsServerOptions(tls));
      const serving: JsServing = { windowSize, tls: tlsServer };
      tlsServer?.on("secureConnection", (socket: TLSSocket) => this.serveJs(socket, serving));
      // A TLS failure of one connection (wrong certificate, no certificate) concerns that connection only.
      tlsServer?.on("tlsClientError", (_error: Error, socket: Duplex) => socket.destroy());
      this.js = serving;
      return;
    }
    const http2 = nodeHttp2();
    this.http = tls ? http2.createSecureServer({ ...common, ...tlsServerOptions(tls) }) : http2.createServer(common);
    this.http.on("session", (session: Http2Session) => this.onSession(session, windowSize));
    this.http.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.onStream(stream, headers));
    // A TLS failure of one connection (wrong certificate, no certificate) concerns that connection only.
    this.http.on("tlsClientError", (_error: Error, socket: Duplex) => socket.destroy());
    this.http.on("sessionError", () => undefined);
  }

  /** Registers a grpc-js service definition with grpc-js-style handlers (as `grpc.Server.addService`). */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name] ?? implementation[method.originalName ?? name];
      if (typeof handler !== "function") continue;
      if (this.routes.has(method.path)) throw new Error(`method ${method.path} is already registered on this server`);
      this.routes.set(method.path, { definition: method as grpc.MethodDefinition<unknown, unknown>, handler: handler as Route["handler"] });
      this.services.add(method.path.slice(1, method.path.lastIndexOf("/")));
    }
  }

  /** Serves HTTP/2 over `connection` (a socket from the runtime's listener, or a yamux stream). */
  injectConnection(connection: Duplex): void {
    if (this.shuttingDown) {
      connection.destroy();
      return;
    }
    const js = this.js;
    if (!js) this.http?.emit("connection", connection);
    else if (js.tls) js.tls.emit("connection", connection);
    else this.serveJs(connection, js);
  }

  /** A connection (TLS done and verified, or plaintext) served by the runtime's HTTP/2. */
  private serveJs(socket: Duplex, serving: JsServing): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const session = new JsHttp2Session(socket, "server", { windowSize: serving.windowSize, maxHeaderListPairs: 4096 });
    session.on("stream", (stream: ServerStream, headers: IncomingHttpHeaders) => this.onStream(stream, headers));
    this.onSession(session, serving.windowSize);
  }

  /** Sends GOAWAY to every connection; `callback` runs once their calls have finished and they closed. */
  tryShutdown(callback: (error?: Error) => void): void {
    this.shuttingDown = true;
    this.onDrained = () => callback();
    for (const session of this.sessions) session.close();
    this.checkDrained();
  }

  /** Closes every connection now, cancelling the calls in flight. */
  forceShutdown(): void {
    this.shuttingDown = true;
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.sessions.size > 0 || !this.onDrained) return;
    const done = this.onDrained;
    this.onDrained = undefined;
    done();
  }

  private onSession(session: ServerSession, windowSize: number): void {
    if (this.shuttingDown) {
      session.destroy();
      return;
    }
    this.sessions.add(session);
    session.on("error", () => undefined);
    session.once("close", () => {
      this.sessions.delete(session);
      this.checkDrained();
    });
    try {
      session.setLocalWindowSize(windowSize);
    } catch {
      // The connection may already be gone.
    }
  }

  private onStream(stream: ServerStream, headers: IncomingHttpHeaders): void {
    stream.on("error", () => undefined);
    const contentType = headers["content-type"] as string | undefined;
    if (headers[":method"] !== "POST") {
      rejectStream(stream, 405, Code.INTERNAL, `invalid gRPC request method ${JSON.stringify(headers[":method"])}`);
      return;
    }
    if (!isGrpcContentType(contentType)) {
      rejectStream(stream, 415, Code.INTERNAL, `invalid gRPC request content-type ${JSON.stringify(contentType ?? "")}`);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      rejectStream(stream, 200, Code.UNIMPLEMENTED, `grpc-encoding ${JSON.stringify(encoding)} is not supported by this server`);
      return;
    }
    const path = String(headers[":path"] ?? "");
    const route = this.routes.get(path);
    if (!route) {
      rejectStream(stream, 200, Code.UNIMPLEMENTED, this.unknownMethod(path));
      return;
    }
    let deadline = Number.POSITIVE_INFINITY;
    const timeout = headers["grpc-timeout"];
    if (timeout !== undefined) {
      const ms = parseTimeout(String(timeout));
      if (ms === undefined) {
        rejectStream(stream, 200, Code.INTERNAL, `malformed grpc-timeout ${JSON.stringify(timeout)}`);
        return;
      }
      deadline = Date.now() + ms;
    }
    const call = new ServerStreamState(stream, headers, path, deadline, this.maxMessageSize);
    const { definition, handler } = route;
    const invoke = handler as (...args: unknown[]) => void;
    if (!definition.requestStream && !definition.responseStream) {
      const surface = new H2ServerUnaryCall(call);
      call.readUnary(definition.requestDeserialize, (request) => {
        surface.request = request;
        invoke(surface, unaryCallback(call, definition.responseSerialize));
      });
    } else if (definition.requestStream && !definition.responseStream) {
      invoke(new H2ServerReadableCall(call, definition.requestDeserialize), unaryCallback(call, definition.responseSerialize));
    } else if (!definition.requestStream) {
      const surface = new H2ServerResponseStreamCall(call, undefined, definition.responseSerialize);
      call.readUnary(definition.requestDeserialize, (request) => {
        surface.request = request;
        invoke(surface);
      });
    } else {
      invoke(new H2ServerResponseStreamCall(call, definition.requestDeserialize, definition.responseSerialize));
    }
  }

  private unknownMethod(path: string): string {
    const slash = path.lastIndexOf("/");
    if (!path.startsWith("/") || slash <= 0) return `malformed method name: ${JSON.stringify(path)}`;
    const service = path.slice(1, slash);
    const method = path.slice(slash + 1);
    return this.services.has(service) ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
  }
}

/** TLS of the server side: its certificate, and the host's required when the material says so. */
function tlsServerOptions(tls: ServerTlsMaterial) {
  return {
    cert: tls.certPem,
    key: tls.keyPem,
    ...(tls.caPem === undefined ? {} : { ca: tls.caPem }),
    requestCert: tls.requireClientCert,
    rejectUnauthorized: tls.requireClientCert,
    ALPNProtocols: ["h2"],
    minVersion: "TLSv1.2" as const,
  };
}

/** Answers a stream that cannot become a call: trailers-only with the status (and an HTTP status other than 200 where gRPC wants one). */
function rejectStream(stream: ServerStream, httpStatus: number, code: Code, details: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    {
      [":status"]: httpStatus,
      ["content-type"]: "application/grpc",
      "grpc-status": String(code),
      "grpc-message": encodeGrpcMessage(details),
    },
    { endStream: true },
  );
}

type Serialize = (value: unknown) => Buffer;
type Deserialize = (bytes: Buffer) => unknown;

/** The grpc-js-style callback of a unary or client-streaming handler. */
function unaryCallback(call: ServerStreamState, serialize: Serialize): grpc.sendUnaryData<unknown> {
  return (error, value, trailer) => {
    if (error) {
      const { code, details, metadata, message } = error as Partial<grpc.StatusObject> & { message?: string };
      call.sendStatus(typeof code === "number" ? (code as number) : Code.UNKNOWN, details ?? message ?? "", metadata ?? undefined);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = serialize(value);
    } catch (serializeError) {
      call.sendStatus(Code.INTERNAL, `failed to serialize the response: ${(serializeError as Error)?.message}`);
      return;
    }
    call.sendMessage(bytes);
    call.sendStatus(Code.OK, "", trailer ?? undefined);
  };
}

/**
 * One server call's HTTP/2 stream: request messages in, headers, messages
 * and the status out; cancellation (RST_STREAM, a closed connection) and
 * the deadline reported once through `cancelled`.
 */
class ServerStreamState extends EventEmitter {
  readonly metadata: grpc.Metadata;
  private headersSent = false;
  private statusSent = false;
  cancelled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly stream: ServerStream,
    headers: IncomingHttpHeaders,
    readonly path: string,
    readonly deadline: number,
    readonly maxMessageSize: number,
  ) {
    super();
    const metadata = Metadata.fromHttp2Headers(headers);
    for (const key of ["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding"]) metadata.remove(key);
    this.metadata = metadata;
    stream.once("close", () => this.onClose());
    if (Number.isFinite(deadline)) {
      this.timer = setTimeout(() => this.fail(Code.DEADLINE_EXCEEDED, "Deadline exceeded"), Math.max(0, deadline - Date.now()));
    }
  }

  get done(): boolean {
    return this.statusSent || this.cancelled;
  }

  getPeer(): string {
    const socket = this.stream.session?.socket;
    const address = socket?.remoteAddress;
    return address ? `${address}:${socket?.remotePort ?? 0}` : "unknown";
  }

  /** Reads the one request message of a unary or server-streaming call. */
  readUnary(deserialize: Deserialize, onRequest: (request: unknown) => void): void {
    let count = 0;
    let request: unknown;
    const decoder = new MessageDecoder(this.maxMessageSize, (bytes) => {
      count += 1;
      if (count === 1) {
        try {
          request = deserialize(bytes as Buffer);
        } catch (error) {
          this.sendStatus(Code.INTERNAL, `failed to parse the request: ${(error as Error)?.message ?? String(error)}`);
        }
      } else {
        this.sendStatus(Code.UNIMPLEMENTED, "the client sent more than one request message to a method that takes one");
      }
    });
    this.feed(decoder, (code, details) => this.sendStatus(code, details));
    this.stream.once("end", () => {
      if (this.done) return;
      if (decoder.partial) this.sendStatus(Code.INTERNAL, "the request ended in the middle of a message");
      else if (count === 0) this.sendStatus(Code.UNIMPLEMENTED, "the client sent no request message to a method that takes one");
      else onRequest(request);
    });
  }

  /** Hands the stream's DATA to `decoder`; what it refuses (a bad frame, a message over the limit) goes to `refuse`. */
  private feed(decoder: MessageDecoder, refuse: (code: Code, details: string) => void): void {
    this.stream.on("data", (chunk: Buffer) => {
      if (this.done) return;
      try {
        decoder.push(chunk);
      } catch (error) {
        const { code, rawMessage } = error as { code: Code; rawMessage: string };
        refuse(code, rawMessage);
      }
    });
  }

  /** Reads a request stream: each message to `onMessage`, then `onEnd`; errors end the call. */
  readStream(onMessage: (bytes: Buffer) => boolean, onEnd: () => void): void {
    const decoder = new MessageDecoder(this.maxMessageSize, (bytes) => {
      if (!onMessage(bytes as Buffer)) this.stream.pause();
    });
    this.feed(decoder, (code, details) => this.fail(code, details));
    this.stream.once("end", () => {
      if (this.done) return;
      if (decoder.partial) {
        this.fail(Code.INTERNAL, "the request stream ended in the middle of a message");
        return;
      }
      onEnd();
    });
  }

  resume(): void {
    this.stream.resume();
  }

  sendMetadata(metadata: grpc.Metadata): void {
    if (this.headersSent || this.done || this.stream.destroyed) return;
    this.headersSent = true;
    const headers: OutgoingHttpHeaders = metadata.toHttp2Headers();
    headers[":status"] = 200;
    headers["content-type"] = "application/grpc";
    this.stream.respond(headers, { waitForTrailers: true });
  }

  /** Writes one response message (headers first if not sent); false when the stream wants a pause. */
  sendMessage(bytes: Buffer, done?: () => void): boolean {
    if (this.done || this.stream.destroyed) {
      done?.();
      return true;
    }
    if (!this.headersSent) this.sendMetadata(new Metadata());
    const chunks = frameMessage(bytes);
    if (chunks.length === 1) return this.stream.write(chunks[0], done);
    this.stream.cork();
    this.stream.write(chunks[0]);
    const more = this.stream.write(chunks[1], done);
    this.stream.uncork();
    return more;
  }

  /** Ends the call with a status, once: trailers after what was sent, or trailers-only. */
  sendStatus(code: Code, details: string, trailers?: grpc.Metadata): void {
    if (this.statusSent || this.cancelled || this.stream.destroyed) return;
    this.statusSent = true;
    if (this.timer) clearTimeout(this.timer);
    const fields: OutgoingHttpHeaders = trailers ? trailers.toHttp2Headers() : {};
    fields["grpc-status"] = String(code);
    if (details) fields["grpc-message"] = encodeGrpcMessage(details);
    const stream = this.stream;
    if (!this.headersSent) {
      this.headersSent = true;
      fields[":status"] = 200;
      fields["content-type"] = "application/grpc";
      stream.respond(fields, { endStream: true });
      this.stopClientSending();
    } else {
      stream.once("wantTrailers", () => {
        stream.sendTrailers(fields);
        // 'wantTrailers' runs inside nghttp2's send pass: an RST_STREAM submitted now
        // goes out first and the trailers are dropped. The next turn of the loop is after it.
        setImmediate(() => this.stopClientSending());
      });
      stream.end();
    }
  }

  /**
   * After the status, a client still sending (a call answered early) is told
   * to stop with RST_STREAM(NO_ERROR), queued behind the status, as grpc-go
   * does; until then what it sends is read and dropped.
   */
  private stopClientSending(): void {
    const stream = this.stream;
    if (stream.readableEnded || stream.destroyed) return;
    stream.resume();
    stream.close(ERROR.NO_ERROR);
  }

  /** Ends the call with a status of the engine's own (a request it cannot read): the handler's signal aborts too. */
  fail(code: Code, details: string): void {
    this.sendStatus(code, details);
    this.markCancelled();
  }

  private onClose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (!this.statusSent) this.markCancelled();
  }

  private markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit("cancelled", "cancelled");
  }
}

/** What every server call exposes (grpc-js's ServerSurfaceCall members the runtime uses). */
interface SurfaceCall {
  readonly metadata: grpc.Metadata;
  readonly cancelled: boolean;
  getPeer(): string;
  getPath(): string;
  getDeadline(): grpc.Deadline;
  sendMetadata(metadata: grpc.Metadata): void;
}

function surface<T extends EventEmitter>(target: T, call: ServerStreamState): T & SurfaceCall {
  const object = target as T & SurfaceCall;
  Object.defineProperties(object, {
    metadata: { value: call.metadata },
    cancelled: { get: () => call.cancelled },
  });
  object.getPeer = () => call.getPeer();
  object.getPath = () => call.path;
  object.getDeadline = () => call.deadline;
  object.sendMetadata = (metadata) => call.sendMetadata(metadata);
  call.once("cancelled", () => target.emit("cancelled", "cancelled"));
  return object;
}

/** A unary call (grpc-js's `ServerUnaryCall`). */
class H2ServerUnaryCall extends EventEmitter implements SurfaceCall {
  request: unknown;
  constructor(private readonly call: ServerStreamState) {
    super();
    call.once("cancelled", () => this.emit("cancelled", "cancelled"));
  }
  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }
  get cancelled(): boolean {
    return this.call.cancelled;
  }
  getPeer(): string {
    return this.call.getPeer();
  }
  getPath(): string {
    return this.call.path;
  }
  getDeadline(): grpc.Deadline {
    return this.call.deadline;
  }
  sendMetadata(metadata: grpc.Metadata): void {
    this.call.sendMetadata(metadata);
  }
}

/** A client-streaming call: an object-mode Readable of requests (grpc-js's `ServerReadableStream`). */
class H2ServerReadableCall extends Readable {
  constructor(call: ServerStreamState, deserialize: Deserialize) {
    super({ objectMode: true, read: () => call.resume() });
    surface(this, call);
    readRequests(this, call, deserialize);
  }
}

/**
 * A call with a response stream: server streaming (grpc-js's
 * `ServerWritableStream`; no request stream, `request` holds the one
 * request) or bidi (`ServerDuplexStream`: requests readable too).
 */
class H2ServerResponseStreamCall extends Duplex {
  request: unknown;
  private trailers: grpc.Metadata | undefined;

  constructor(
    private readonly call: ServerStreamState,
    deserialize: Deserialize | undefined,
    private readonly serialize: Serialize,
  ) {
    super({ objectMode: true, read: () => call.resume() });
    surface(this, call);
    if (deserialize) readRequests(this, call, deserialize);
    else this.push(null); // server streaming: no request stream
  }

  override _write(message: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    writeResponse(this.call, this.serialize, message, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.call.sendStatus(Code.OK, "", this.trailers);
    done();
  }

  /** grpc-js's `end(metadata)`: ends the stream with OK and these trailers. */
  override end(...args: unknown[]): this {
    if (!(args[0] instanceof Metadata)) return super.end(...(args as []));
    this.trailers = args[0];
    return super.end();
  }

  /** grpc-js's `emit("error", status)`: ends the call with that status. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return isErrorStatus(event, args[0]) ? sendErrorStatus(this.call, args[0]) : super.emit(event, ...args);
  }
}

function readRequests(readable: Readable, call: ServerStreamState, deserialize: Deserialize): void {
  call.readStream(
    (bytes) => {
      let request: unknown;
      try {
        request = deserialize(bytes);
      } catch (error) {
        call.fail(Code.INTERNAL, `failed to parse a request: ${(error as Error)?.message ?? String(error)}`);
        readable.destroy();
        return true;
      }
      return readable.push(request);
    },
    () => readable.push(null),
  );
  call.once("cancelled", () => {
    if (!readable.readableEnded) readable.destroy();
  });
}

function writeResponse(call: ServerStreamState, serialize: Serialize, message: unknown, done: (error?: Error | null) => void): void {
  let bytes: Buffer;
  try {
    bytes = serialize(message);
  } catch (error) {
    call.sendStatus(Code.INTERNAL, `failed to serialize a response: ${(error as Error)?.message}`);
    done();
    return;
  }
  if (call.sendMessage(bytes)) done();
  else call.stream.once("drain", () => done());
}

function sendErrorStatus(call: ServerStreamState, status: Partial<grpc.StatusObject> & { code: number }): boolean {
  call.sendStatus(status.code as number, status.details ?? "", status.metadata ?? undefined);
  return true;
}

function isErrorStatus(event: string | symbol, value: unknown): value is Partial<grpc.StatusObject> & { code: number } {
  return event === "error" && typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code === "number";
}
