/**
 * Typed clients of protobuf-es services over a grpc-js connection: unary
 * calls are Promises, response streams are AsyncIterables, request streams
 * are any (async) iterable. Every call takes an AbortSignal, a timeout or a
 * deadline and metadata, and every failure is an {@link RpcError}.
 */
import type { DescMessage, DescMethod, DescService, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { Code } from "./code.js";
import { methodDefinition, toMessage } from "./definition.js";
import type { CallTransport, Transport } from "./engine.js";
import { RpcError } from "./errors.js";
import { type MemberName, memberName } from "./member-name.js";
import { type MetadataInit, toMetadata } from "./metadata.js";
import { type CallRetry, callRetryPolicy, retryUnavailable } from "./retry.js";
import { readMessages, writeMessages } from "./stream.js";

/** Per-call options. */
export interface CallOptions {
  /** Gives up after this many milliseconds (DEADLINE_EXCEEDED); with `deadline`, the earlier wins. */
  timeoutMs?: number | undefined;
  /** Gives up at this time (DEADLINE_EXCEEDED). The server sees it as `context.deadline`. */
  deadline?: Date | undefined;
  /**
   * Aborting cancels the call: the server's `context.signal` aborts, and the
   * call fails with the signal's reason as an RpcError (CANCELLED, or
   * DEADLINE_EXCEEDED for `AbortSignal.timeout()`; an RpcError reason is used
   * as it is).
   */
  signal?: AbortSignal | undefined;
  /** Request metadata (headers). */
  metadata?: MetadataInit | undefined;
  /** Called with the response headers when they arrive. */
  onHeader?: ((headers: grpc.Metadata) => void) | undefined;
  /** Called with the response trailers when the call ends (also on error; they are the error's `metadata` too). */
  onTrailer?: ((trailers: grpc.Metadata) => void) | undefined;
  /**
   * Retry on UNAVAILABLE (unary calls only; see `rpc/retry.ts`). Methods marked
   * `idempotency_level = IDEMPOTENT` or `NO_SIDE_EFFECTS` in their proto are
   * retried by default (3 attempts); `false` turns that off. A policy given
   * here retries any unary method, on the caller's word that it is safe to repeat.
   * Retries stay within the deadline.
   */
  retry?: CallRetry | false | undefined;
}

/** Calls a unary RPC. */
export type UnaryMethod<I extends DescMessage, O extends DescMessage> = (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>;

/**
 * Calls a server-streaming RPC. The call starts when iteration starts;
 * leaving the loop early (`break`, `return`, a throw) cancels it.
 */
export type ServerStreamingMethod<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

/**
 * Calls a client-streaming RPC. Requests are taken from `requests` as fast as
 * the connection accepts them; the call half-closes when it ends. If it
 * throws, the call is cancelled and fails with that error.
 */
export type ClientStreamingMethod<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

/**
 * Calls a bidirectional-streaming RPC. The call starts when iteration of the
 * responses starts; requests are sent meanwhile, as for client streaming.
 * Leaving the response loop early cancels the call.
 */
export type BidiStreamingMethod<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

/** A client method of a method descriptor whose kind is not known statically. */
export type AnyClientMethod = (input: never, options?: CallOptions) => unknown;

/** The client method type of one method descriptor, by its `methodKind`. */
export type ClientMethod<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryMethod<I, O>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? ServerStreamingMethod<I, O>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? ClientStreamingMethod<I, O>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? BidiStreamingMethod<I, O>
        : AnyClientMethod;

/**
 * A typed client of a service: one method per RPC, named by the method's
 * `localName` — except `then`, which becomes `then$` (see {@link MemberName}).
 */
export type ServiceClient<S extends DescService> = {
  [K in keyof S["method"] as MemberName<K>]: ClientMethod<S["method"][K]>;
};

/**
 * A client of `service` over `transport`: a connection of the runtime's (the
 * h2 engine's channel or a grpc-js client) or a plain
 * `new grpc.Client(target, credentials, options)`. One transport (one
 * connection) serves any number of service clients; closing it is the
 * caller's business.
 *
 * Large messages: grpc-js caps received messages at 4 MiB unless the
 * transport is made with `grpc.max_receive_message_length` (rpcplugin's own
 * connections allow 2^31-1, as go-plugin does).
 */
export function createClient<S extends DescService>(service: S, connection: Transport): ServiceClient<S> {
  // Both engines' connections make calls with grpc-js's signatures.
  const transport = connection as unknown as CallTransport;
  const client: Record<string, unknown> = Object.create(null);
  for (const method of service.methods) {
    const name = memberName(method.localName);
    switch (method.methodKind) {
      case "unary":
        client[name] = (request: unknown, options: CallOptions = {}) => callUnaryRetrying(transport, method, request, options);
        break;
      case "server_streaming":
        client[name] = (request: unknown, options: CallOptions = {}) => callServerStream(transport, method, request, options);
        break;
      case "client_streaming":
        client[name] = (requests: Requests, options: CallOptions = {}) => callClientStream(transport, method, requests, options);
        break;
      case "bidi_streaming":
        client[name] = (requests: Requests, options: CallOptions = {}) => callBidiStream(transport, method, requests, options);
        break;
    }
  }
  return client as ServiceClient<S>;
}

type Requests = AsyncIterable<unknown> | Iterable<unknown>;

/** The events every grpc-js client call emits. */
interface SurfaceCall {
  cancel(): void;
  on(event: "metadata", listener: (metadata: grpc.Metadata) => void): unknown;
  on(event: "status", listener: (status: grpc.StatusObject) => void): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

/** The reason of every ClientCall's internal `ended` signal (never shown to callers). */
const CALL_ENDED = Symbol("call ended");

/**
 * One client call's bookkeeping: the caller's signal, the header and trailer
 * callbacks, the end of the call and the error the caller gets.
 */
class ClientCall {
  private isEnded = false;
  // Made on first use of `ended` (only calls that send a request stream need it).
  private endedController: AbortController | undefined;
  private localError: RpcError | undefined;
  private call: SurfaceCall | undefined;
  private readonly onAbort = () => this.cancel();

  constructor(
    readonly method: DescMethod,
    private readonly options: CallOptions,
  ) {}

  /** Aborts when the status arrives or the call is cancelled: stop sending. */
  get ended(): AbortSignal {
    if (!this.endedController) {
      this.endedController = new AbortController();
      if (this.isEnded) this.endedController.abort(CALL_ENDED);
    }
    return this.endedController.signal;
  }

  /** Throws (as RpcError) if the signal is already aborted; returns the metadata and grpc-js options. */
  prepare(): { metadata: grpc.Metadata; callOptions: grpc.CallOptions } {
    const { signal } = this.options;
    if (signal?.aborted) throw abortError(signal);
    if (this.options.retry && this.method.methodKind !== "unary") {
      throw new RpcError(`retry is only for unary calls: ${this.method.methodKind.replace("_", "-")} calls cannot be replayed`, Code.INVALID_ARGUMENT);
    }
    let metadata: grpc.Metadata;
    try {
      metadata = toMetadata(this.options.metadata);
    } catch (error) {
      throw RpcError.from(error, Code.INVALID_ARGUMENT);
    }
    const deadline = callDeadline(this.options);
    return { metadata, callOptions: deadline === undefined ? {} : { deadline } };
  }

  /** Starts watching `call` (made by grpc-js just now). */
  attach<C extends SurfaceCall>(call: C, onStatus?: (status: grpc.StatusObject) => void): C {
    this.call = call;
    // grpc-js emits the failed status as 'error'; the status is handled below, but an
    // unheard 'error' would crash the process (e.g. after a consumer stopped reading).
    call.on("error", () => undefined);
    call.on("metadata", (headers) => this.notify(this.options.onHeader, headers));
    call.on("status", (status) => {
      this.markEnded();
      this.options.signal?.removeEventListener("abort", this.onAbort);
      this.notify(this.options.onTrailer, status.metadata);
      onStatus?.(status);
    });
    this.options.signal?.addEventListener("abort", this.onAbort, { once: true });
    return call;
  }

  /** Cancels the call (if still running). */
  cancel(): void {
    if (this.markEnded()) this.call?.cancel();
  }

  /** Ends the call once; false if it had already ended. */
  private markEnded(): boolean {
    if (this.isEnded) return false;
    this.isEnded = true;
    // A reason given, so that abort() does not build a DOMException (with its stack) per call.
    this.endedController?.abort(CALL_ENDED);
    return true;
  }

  /** Cancels the call because of a failure on this side; the caller gets `error`. */
  fail(error: unknown): void {
    this.localError ??= RpcError.from(error, Code.CANCELLED);
    this.cancel();
  }

  /** The error the caller gets for a failed status (`error` is grpc-js's ServiceError, if any). */
  error(error: unknown): RpcError {
    if (this.localError) return this.localError;
    const { signal } = this.options;
    if (signal?.aborted) return abortError(signal);
    if (error === undefined) return new RpcError("the call was closed before its status arrived", Code.CANCELLED);
    return RpcError.from(error, Code.UNKNOWN);
  }

  /** Throws the error a callback raised, if one did. */
  throwIfFailed(): void {
    if (this.localError) throw this.localError;
  }

  private notify(callback: ((metadata: grpc.Metadata) => void) | undefined, metadata: grpc.Metadata): void {
    if (!callback) return;
    try {
      callback(metadata);
    } catch (error) {
      this.fail(error);
    }
  }
}

/** A unary call, repeated on UNAVAILABLE when the method or the call allows it (see `retry.ts`). */
function callUnaryRetrying(transport: CallTransport, method: DescMethod, request: unknown, options: CallOptions): Promise<Message> {
  let policy: ReturnType<typeof callRetryPolicy>;
  try {
    policy = callRetryPolicy(method, options.retry);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!policy) return callUnary(transport, method, request, options);
  const deadline = callDeadline(options);
  const each: CallOptions = { ...options, timeoutMs: undefined, deadline, retry: undefined };
  return retryUnavailable(policy, deadline, options.signal, () => callUnary(transport, method, request, each));
}

function callUnary(transport: CallTransport, method: DescMethod, request: unknown, options: CallOptions): Promise<Message> {
  return new Promise((resolve, reject) => {
    const state = new ClientCall(method, options);
    const definition = methodDefinition(method);
    let outcome: { error: unknown } | { value: Message } = { error: undefined };
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      settle(state, outcome, resolve, reject);
    };
    try {
      const { metadata, callOptions } = state.prepare();
      const message = toMessage(method.input, request as MessageInitShape<DescMessage>);
      const call = withoutCallerStack(() =>
        transport.makeUnaryRequest(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize,
          message,
          metadata,
          callOptions,
          (error, value) => {
            outcome = error || value === undefined ? { error: error ?? undefined } : { value };
            process.nextTick(finish);
          },
        ),
      );
      // grpc-js calls back just before it emits 'status': settling on 'status' runs onTrailer first
      // (the callback's own settling, a tick later, is only a safety net).
      state.attach(call, finish);
    } catch (error) {
      reject(RpcError.from(error, Code.INTERNAL));
    }
  });
}

function callClientStream(transport: CallTransport, method: DescMethod, requests: Requests, options: CallOptions): Promise<Message> {
  return new Promise((resolve, reject) => {
    const state = new ClientCall(method, options);
    const definition = methodDefinition(method);
    let outcome: { error: unknown } | { value: Message } = { error: undefined };
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      settle(state, outcome, resolve, reject);
    };
    let call: grpc.ClientWritableStream<Message>;
    try {
      const { metadata, callOptions } = state.prepare();
      call = withoutCallerStack(() =>
        transport.makeClientStreamRequest(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize,
          metadata,
          callOptions,
          (error, value) => {
            outcome = error || value === undefined ? { error: error ?? undefined } : { value };
            process.nextTick(finish);
          },
        ),
      );
      state.attach(call, finish);
    } catch (error) {
      reject(RpcError.from(error, Code.INTERNAL));
      return;
    }
    sendRequests(state, call, requests);
  });
}

async function* callServerStream(
  transport: CallTransport,
  method: DescMethod,
  request: unknown,
  options: CallOptions,
): AsyncGenerator<Message, void, undefined> {
  const state = new ClientCall(method, options);
  const definition = methodDefinition(method);
  let call: grpc.ClientReadableStream<Message>;
  try {
    const { metadata, callOptions } = state.prepare();
    const message = toMessage(method.input, request as MessageInitShape<DescMessage>);
    call = state.attach(
      withoutCallerStack(() =>
        transport.makeServerStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, message, metadata, callOptions),
      ),
    );
  } catch (error) {
    throw RpcError.from(error, Code.INTERNAL);
  }
  try {
    yield* readMessages<Message>(call, (error) => state.error(error));
    state.throwIfFailed();
  } finally {
    state.cancel();
  }
}

async function* callBidiStream(
  transport: CallTransport,
  method: DescMethod,
  requests: Requests,
  options: CallOptions,
): AsyncGenerator<Message, void, undefined> {
  const state = new ClientCall(method, options);
  const definition = methodDefinition(method);
  let call: grpc.ClientDuplexStream<Message, Message>;
  try {
    const { metadata, callOptions } = state.prepare();
    call = state.attach(
      withoutCallerStack(() =>
        transport.makeBidiStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, metadata, callOptions),
      ),
    );
  } catch (error) {
    throw RpcError.from(error, Code.INTERNAL);
  }
  sendRequests(state, call, requests);
  try {
    yield* readMessages<Message>(call, (error) => state.error(error));
    state.throwIfFailed();
  } finally {
    state.cancel();
  }
}

/** Sends `requests` with back-pressure, half-closes at their end, cancels the call if they throw. */
function sendRequests(state: ClientCall, call: grpc.ClientWritableStream<Message>, requests: Requests): void {
  const prepare = (init: unknown) => toMessage(state.method.input, init as MessageInitShape<DescMessage>);
  writeMessages(requests, call, prepare, state.ended).then(
    (complete) => {
      if (complete && !state.ended.aborted) call.end();
    },
    (error: unknown) => state.fail(error),
  );
}

function settle(
  state: ClientCall,
  outcome: { error: unknown } | { value: Message },
  resolve: (value: Message) => void,
  reject: (error: RpcError) => void,
): void {
  try {
    state.throwIfFailed();
    if ("value" in outcome) resolve(outcome.value);
    else reject(state.error(outcome.error));
  } catch (error) {
    reject(RpcError.from(error));
  }
}

/**
 * Runs `make` (a grpc-js `make*Request`) without stack traces: grpc-js makes an
 * `Error` per call only to append the caller's stack to a failed call's
 * ServiceError, which callers never see (they get an RpcError, whose own stack
 * starts where the status is handled); capturing that stack was the largest
 * single self-time item of a unary call on the host.
 */
function withoutCallerStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function abortError(signal: AbortSignal): RpcError {
  const reason: unknown = signal.reason;
  return reason === undefined ? new RpcError("the call was cancelled", Code.CANCELLED) : RpcError.from(reason, Code.CANCELLED);
}

function callDeadline(options: CallOptions): Date | undefined {
  const fromTimeout = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  const fromDeadline = options.deadline?.getTime();
  if (fromTimeout === undefined) return options.deadline;
  return new Date(fromDeadline === undefined ? fromTimeout : Math.min(fromTimeout, fromDeadline));
}
