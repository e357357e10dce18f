/**
 * Serving a protobuf-es service on a grpc-js server with plain async
 * functions: a handler returns (or resolves to) a response, or yields
 * responses from an async generator, and reads request streams with
 * `for await`. Cancellation, deadlines, back-pressure and error statuses are
 * handled here, once, for every service.
 */
import type { DescMessage, DescMethod, DescService, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { Code } from "./code.js";
import { type CallContext, ServerCallState } from "./context.js";
import { serviceDefinition, toMessage } from "./definition.js";
import type { RpcServer } from "./engine.js";
import { RpcError } from "./errors.js";
import { type MemberName, memberName } from "./member-name.js";
import { readMessages, writeMessages } from "./stream.js";

/** Handles a unary RPC: one request, one response. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/**
 * Handles a server-streaming RPC: one request, responses yielded by an async
 * generator (or any AsyncIterable). If the client cancels, the iterator's
 * `return()` is called, so a generator's `finally` blocks run (once it
 * reaches its next `yield`: await `context.signal` where it waits).
 */
export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

/**
 * Handles a client-streaming RPC: requests as an AsyncIterable that ends when
 * the client half-closes and throws RpcError CANCELLED (or DEADLINE_EXCEEDED)
 * if the call stops first; one response.
 */
export type ClientStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: CallContext,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/** Handles a bidirectional-streaming RPC: requests as for client streaming, responses as for server streaming. */
export type BidiStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

/** A handler of a method descriptor whose kind is not known statically. */
export type AnyMethodHandler = (input: never, context: CallContext) => unknown;

/** The handler type of one method descriptor, by its `methodKind`. */
export type MethodHandler<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryHandler<I, O>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? ServerStreamingHandler<I, O>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? ClientStreamingHandler<I, O>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? BidiStreamingHandler<I, O>
        : AnyMethodHandler;

/**
 * The implementation of a service: one function per RPC, named by the
 * method's `localName` (`getFeature` for `rpc GetFeature`) — except `then`,
 * which is `then$`, as on clients: a handler with a `then` method would be a
 * thenable, and awaiting one (`await makeHandler()`) would call the RPC.
 */
export type ServiceHandler<S extends DescService> = {
  [K in keyof S["method"] as MemberName<K>]: MethodHandler<S["method"][K]>;
};

/** Any handler, as interceptors see it: the request (or request stream) in, the handler's result out. */
export type UntypedHandler = (input: unknown, context: CallContext) => unknown;

/**
 * Wraps the handler of `method` (e.g. to log, check `context.requestMetadata`
 * or translate errors). Called once per method when the service is added.
 */
export type HandlerInterceptor = (next: UntypedHandler, method: DescMethod) => UntypedHandler;

/** Options of {@link addService}. */
export interface AddServiceOptions {
  /** Wrap every implemented handler; the first interceptor is the outermost. */
  interceptors?: readonly HandlerInterceptor[] | undefined;
}

/**
 * Registers `service` on `server`, served by `handler`. Methods missing from
 * `handler` answer UNIMPLEMENTED. Responses may be init shapes
 * (`{ text: "hi" }`) or messages. A handler that throws an {@link RpcError}
 * sends its code, message and metadata (as trailers, with
 * `context.responseTrailers`); anything else is sent as UNKNOWN with its
 * message.
 *
 * Large messages: grpc-js caps received messages at 4 MiB unless the server
 * is made with `grpc.max_receive_message_length` (rpcplugin's own servers
 * allow 2^31-1, as go-plugin does).
 */
export function addService<S extends DescService>(server: RpcServer, service: S, handler: Partial<ServiceHandler<S>>, options: AddServiceOptions = {}): void {
  // Null prototype: a method whose local name is "__proto__" must become a key, not the prototype.
  const implementation: grpc.UntypedServiceImplementation = Object.create(null);
  for (const method of service.methods) {
    const own: unknown = (handler as Record<string, unknown>)[memberName(method.localName)];
    if (typeof own !== "function") {
      implementation[method.localName] = unimplemented(method);
      continue;
    }
    let run: UntypedHandler = (input, context) => (own as UntypedHandler).call(handler, input, context);
    const interceptors = [...(serverInterceptors.get(server) ?? []), ...(options.interceptors ?? [])];
    for (const intercept of interceptors.reverse()) run = intercept(run, method);
    implementation[method.localName] = implement(method, run);
  }
  // grpc-js refuses a service without methods; it still exists for reflection.
  if (service.methods.length > 0) server.addService(serviceDefinition(service), implementation);
  const registered = registry.get(server) ?? [];
  registered.push(service);
  registry.set(server, registered);
}

const registry = new WeakMap<RpcServer, DescService[]>();
const serverInterceptors = new WeakMap<RpcServer, readonly HandlerInterceptor[]>();

/**
 * Wraps every handler of every service added to `server` from now on with
 * {@link addService} (outside the service's own interceptors; the first is
 * the outermost). Each interceptor decides per method (it gets the method's
 * descriptor) whether to act, e.g. to leave lifecycle services alone.
 * Services registered on the grpc-js server directly are not wrapped.
 */
export function useInterceptors(server: RpcServer, interceptors: readonly HandlerInterceptor[]): void {
  serverInterceptors.set(server, [...(serverInterceptors.get(server) ?? []), ...interceptors]);
}

/** The services registered on `server` with {@link addService}, in order (used by server reflection). */
export function registeredServices(server: RpcServer): readonly DescService[] {
  return registry.get(server) ?? [];
}

type UnaryCall = grpc.ServerUnaryCall<Message, Message>;
type ClientStreamCall = grpc.ServerReadableStream<Message, Message>;
type ServerStreamCall = grpc.ServerWritableStream<Message, Message>;
type BidiCall = grpc.ServerDuplexStream<Message, Message>;
type Respond = grpc.sendUnaryData<Message>;

function implement(method: DescMethod, run: UntypedHandler): grpc.UntypedHandleCall {
  switch (method.methodKind) {
    case "unary":
      return (call: UnaryCall, respond: Respond) => {
        const state = new ServerCallState(call);
        answer(method, state, respond, () => run(call.request, state.context)).catch((error) => lastResort(state, error, (status) => respond(status)));
      };
    case "client_streaming":
      return (call: ClientStreamCall, respond: Respond) => {
        const state = new ServerCallState(call);
        answer(method, state, respond, () => run(requestStream(call, state), state.context)).catch((error) =>
          lastResort(state, error, (status) => respond(status)),
        );
      };
    case "server_streaming":
      return (call: ServerStreamCall) => {
        const state = new ServerCallState(call);
        stream(method, state, call, () => run(call.request, state.context)).catch((error) => lastResort(state, error, (status) => call.emit("error", status)));
      };
    case "bidi_streaming":
      return (call: BidiCall) => {
        const state = new ServerCallState(call);
        stream(method, state, call, () => run(requestStream(call, state), state.context)).catch((error) =>
          lastResort(state, error, (status) => call.emit("error", status)),
        );
      };
  }
}

/** Runs a handler with a single response (unary, client streaming) and sends its outcome. */
async function answer(method: DescMethod, state: ServerCallState, respond: Respond, handle: () => unknown): Promise<void> {
  let response: Message;
  try {
    response = toMessage(method.output, (await handle()) as MessageInitShape<DescMessage>);
  } catch (error) {
    if (!state.done) respond(state.errorStatus(error));
    state.end();
    return;
  }
  if (!state.done) {
    state.sendHeaders();
    respond(null, response, state.context.responseTrailers);
  }
  state.end();
}

/** Runs a handler with a response stream (server streaming, bidi) and sends its outcome. */
async function stream(method: DescMethod, state: ServerCallState, call: ServerStreamCall | BidiCall, handle: () => unknown): Promise<void> {
  try {
    // An interceptor may have made a streaming handler async: accept a promised iterable too.
    const responses = await handle();
    if (!isIterable(responses)) {
      throw new RpcError(`the handler of ${state.context.method} returned no AsyncIterable of responses`, Code.INTERNAL);
    }
    const prepare = (init: unknown) => {
      state.sendHeaders();
      return toMessage(method.output, init as MessageInitShape<DescMessage>);
    };
    const complete = await writeMessages(responses, call, prepare, state.context.signal);
    if (complete && !state.done) {
      state.sendHeaders();
      call.end(state.context.responseTrailers);
    }
  } catch (error) {
    // grpc-js turns an 'error' event into the call's status, sent after the responses already written.
    if (!state.done) call.emit("error", state.errorStatus(error));
  }
  state.end();
}

/** The request stream of a call, for the handler to iterate once. */
async function* requestStream(call: ClientStreamCall | BidiCall, state: ServerCallState): AsyncGenerator<Message, void, undefined> {
  const cancelled = () => state.cancellation ?? new RpcError("the client cancelled the call", Code.CANCELLED);
  yield* readMessages<Message>(call, cancelled);
  // A client's cancellation (RST_STREAM) first ends Node's HTTP/2 stream, which grpc-js
  // reports as a half-close; the cancellation follows within the same turn of the event
  // loop. Look once more before telling the handler its requests are complete, so a
  // cancelled upload is never mistaken for a finished one.
  await new Promise((resolve) => setImmediate(resolve));
  if (state.cancellation) throw state.cancellation;
}

function unimplemented(method: DescMethod): grpc.UntypedHandleCall {
  const status = (): Partial<grpc.StatusObject> => ({
    code: Code.UNIMPLEMENTED as number,
    details: `method ${method.parent.typeName}/${method.name} is not implemented by this server`,
  });
  switch (method.methodKind) {
    case "unary":
    case "client_streaming":
      return (_call: UnaryCall | ClientStreamCall, respond: Respond) => respond(status());
    case "server_streaming":
    case "bidi_streaming":
      return (call: ServerStreamCall | BidiCall) => {
        call.emit("error", status());
      };
  }
}

/** A failure of this module itself (a bug): answer INTERNAL if still possible, never leave a rejection. */
function lastResort(state: ServerCallState, error: unknown, send: (status: Partial<grpc.StatusObject>) => void): void {
  if (!state.done) {
    try {
      send({ code: Code.INTERNAL as number, details: `rpcplugin failed to answer: ${RpcError.from(error).rawMessage}` });
    } catch {
      // Nothing more can be sent on this call.
    }
  }
  state.end();
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  return typeof value === "object" && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value);
}
