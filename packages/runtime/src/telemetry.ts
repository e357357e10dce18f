/**
 * OpenTelemetry tracing of plugin calls and lifecycles, through
 * `@opentelemetry/api` only: the application chooses (or not) an SDK.
 *
 * - Every call gets a span on each side — kind CLIENT in the caller, SERVER
 *   in the callee — named `package.Service/Method`, with `rpc.system=grpc`,
 *   `rpc.service`, `rpc.method` and `rpc.grpc.status_code`; a non-OK status
 *   sets the span's status to ERROR.
 * - The caller's span travels in the call's metadata as W3C trace context
 *   (`traceparent`, `tracestate`), so a host's trace continues in its plugin
 *   (and a plugin's callback into its host continues the plugin's).
 * - A launched plugin also gets the host's context in its environment
 *   (`TRACEPARENT`/`TRACESTATE`, the OpenTelemetry convention for processes),
 *   so its serve span joins the host's start span.
 * - The runtime's plugin-long streams (GRPCStdio, GRPCBroker) are not traced.
 *
 * Without an SDK nothing happens per call beyond a look at the API's global
 * tracer provider (no span, no metadata, no wrapper, no allocation); with an
 * SDK whose sampler drops the call, only the API's non-recording span.
 */
import {
  type Attributes,
  type Context,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  context,
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
} from "@opentelemetry/api";
import * as grpc from "@grpc/grpc-js";
import { Code } from "./rpc/code.js";
import type { CallContext } from "./rpc/context.js";
import { RpcError } from "./rpc/errors.js";
import type { HandlerInterceptor, UntypedHandler } from "./rpc/server.js";

/** The instrumentation scope of the runtime's spans. */
export const TRACER_NAME = "@rpcplugin/runtime";

// A ProxyTracer: it follows whatever provider the application registers, even later.
const tracer = trace.getTracer(TRACER_NAME);

// The API's own no-op provider: what the global proxy hands out while no SDK is registered.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True while no tracer provider is registered with this copy of the API: the
 * per-call hooks then return at once, cheaper than even a no-op span (the
 * API's `startSpan` looks the global up several times). With a provider
 * registered through another copy of the API this is false and the no-op
 * span path decides, as it would anyway.
 */
function noTracerProvider(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_PROVIDER;
}

/** Services whose calls live as long as the plugin: not traced. */
const UNTRACED_SERVICES: ReadonlySet<string> = new Set(["plugin.GRPCStdio", "plugin.GRPCBroker"]);

const CLIENT_SPAN: SpanOptions = { kind: SpanKind.CLIENT };
const SERVER_SPAN: SpanOptions = { kind: SpanKind.SERVER };

/** What a span of one method is called and says; made once per method. */
interface MethodSpan {
  name: string;
  attributes: Attributes;
  untraced: boolean;
}

const byPath = new Map<string, MethodSpan>();

function methodSpan(path: string): MethodSpan {
  let found = byPath.get(path);
  if (!found) {
    const [, service = "", method = ""] = path.split("/");
    found = {
      name: `${service}/${method}`,
      attributes: { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method },
      untraced: UNTRACED_SERVICES.has(service),
    };
    byPath.set(path, found);
  }
  return found;
}

/** Ends `span` with the gRPC status `code` (ERROR unless OK). */
function endWithCode(span: Span, code: number, message: string | undefined): void {
  span.setAttribute("rpc.grpc.status_code", code);
  if (code !== Code.OK) span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
  span.end();
}

/**
 * A grpc-js client interceptor that traces every call of a channel (kind
 * CLIENT, a child of the caller's active context) and sends the span's
 * context in the request metadata. The runtime puts it on the connections it
 * makes (host → plugin, broker dials); add it to your own `grpc.Client`s
 * with the `interceptors` option.
 */
export const clientTelemetryInterceptor: grpc.Interceptor = (options, nextCall) => {
  // grpc-js only needs the call interface back; passing the next call through allocates nothing.
  const passThrough = () => nextCall(options) as grpc.InterceptingCall;
  if (noTracerProvider()) return passThrough();
  const about = methodSpan(options.method_definition.path);
  if (about.untraced) return passThrough();
  const parent = context.active();
  const span = tracer.startSpan(about.name, CLIENT_SPAN, parent);
  const recording = span.isRecording();
  // Not recording but part of a sampled-out or upstream trace: still pass the context on.
  if (!recording && !isSpanContextValid(span.spanContext())) return passThrough();
  if (recording) span.setAttributes(about.attributes);
  const spanContext = trace.setSpan(parent, span);
  return new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      injectTraceContext(spanContext, metadata);
      next(
        metadata,
        new grpc.ListenerBuilder()
          .withOnReceiveStatus((status, nextStatus) => {
            endWithCode(span, status.code, status.details);
            nextStatus(status);
          })
          .build(),
      );
    },
  });
};

/**
 * A server interceptor (for `useInterceptors`/`addService`) that traces every
 * call (kind SERVER) as a child of the trace context in its metadata, and runs
 * the handler — including each step of a response stream — with the span
 * active, so the handler's own spans and outgoing calls nest under it.
 */
export const serverTelemetryInterceptor: HandlerInterceptor = (next, method) => {
  const about = methodSpan(`/${method.parent.typeName}/${method.name}`);
  if (about.untraced) return next;
  const streaming = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
  return (input, callContext) => {
    if (noTracerProvider()) return next(input, callContext);
    const parent = extractTraceContext(callContext.requestMetadata);
    const span = tracer.startSpan(about.name, SERVER_SPAN, parent);
    if (!span.isRecording()) return next(input, callContext);
    span.setAttributes(about.attributes);
    return runTraced(next, input, callContext, span, trace.setSpan(parent, span), streaming);
  };
};

function runTraced(next: UntypedHandler, input: unknown, callContext: CallContext, span: Span, active: Context, streaming: boolean): unknown {
  let ended = false;
  const finish = (error: unknown) => {
    if (ended) return;
    ended = true;
    if (error !== undefined) {
      const failure = RpcError.from(error);
      endWithCode(span, failure.code, failure.rawMessage);
    } else if (callContext.signal.reason instanceof RpcError) {
      // Stopped early: the client cancelled or the deadline passed.
      endWithCode(span, callContext.signal.reason.code, callContext.signal.reason.rawMessage);
    } else {
      endWithCode(span, Code.OK, undefined);
    }
  };
  let result: unknown;
  try {
    result = context.with(active, next, undefined, input, callContext);
  } catch (error) {
    finish(error);
    throw error;
  }
  const settle = (value: unknown): unknown => {
    if (streaming && isIterable(value)) return tracedStream(value, active, finish, callContext);
    finish(undefined);
    return value;
  };
  if (streaming && isIterable(result)) return settle(result);
  return Promise.resolve(result).then(settle, (error: unknown) => {
    finish(error);
    throw error;
  });
}

/** A response stream whose steps run with the span active and whose end (or early return) ends the span. */
function tracedStream(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  active: Context,
  finish: (error: unknown) => void,
  callContext: CallContext,
): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<unknown> {
      const iterator = context.with(active, () =>
        Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<unknown>)[Symbol.iterator](),
      );
      return {
        next: () =>
          Promise.resolve(context.with(active, () => iterator.next())).then(
            (step) => {
              if (step.done) finish(undefined);
              return step;
            },
            (error: unknown) => {
              finish(error);
              throw error;
            },
          ),
        // Not queued behind a pending next(): a cancelled call must reach the handler's iterator now.
        return: (value?: unknown) => {
          finish(callContext.signal.reason instanceof RpcError ? undefined : new RpcError("the response stream was closed early", Code.CANCELLED));
          const closing = iterator.return?.(value);
          return Promise.resolve(closing ?? { done: true, value: undefined }).then((step) => ({ done: true, value: step.value }));
        },
      };
    },
  };
}

/**
 * Runs `run` inside a span `name` (kind INTERNAL, child of the active
 * context): the span ends when `run` settles, with status ERROR and the
 * exception recorded if it throws. Used for plugin start, handshake,
 * shutdown and serve.
 */
export async function traced<T>(name: string, attributes: Attributes, run: () => Promise<T>, parent: Context = context.active()): Promise<T> {
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
  if (!span.isRecording()) return run();
  span.setAttributes(attributes);
  try {
    const value = await context.with(trace.setSpan(parent, span), run);
    span.end();
    return value;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    span.end();
    throw error;
  }
}

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((value): value is string => typeof value === "string");
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  },
};

/**
 * Writes the span context of `ctx` into `metadata`: through the globally
 * registered propagator, and as W3C `traceparent`/`tracestate` when that
 * propagator wrote none (e.g. none is registered).
 */
export function injectTraceContext(ctx: Context, metadata: grpc.Metadata): void {
  propagation.inject(ctx, metadata, metadataSetter);
  if (metadata.get("traceparent").length > 0) return;
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return;
  metadata.set("traceparent", formatTraceparent(spanContext));
  const state = spanContext.traceState?.serialize();
  if (state) metadata.set("tracestate", state);
}

/**
 * The remote parent context of a call: what the global propagator extracts
 * from `metadata`, else its W3C `traceparent`/`tracestate`, else the root
 * context.
 */
export function extractTraceContext(metadata: grpc.Metadata): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
  if (trace.getSpanContext(extracted)) return extracted;
  const [traceparent] = metadata.get("traceparent");
  if (typeof traceparent !== "string") return ROOT_CONTEXT;
  const [tracestate] = metadata.get("tracestate");
  const remote = parseTraceparent(traceparent, typeof tracestate === "string" ? tracestate : undefined);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/** The environment variables that hand the active trace context to a child process (empty when there is none). */
export function traceEnvironment(ctx: Context = context.active()): Record<string, string> {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  const state = spanContext.traceState?.serialize();
  return { TRACEPARENT: formatTraceparent(spanContext), ...(state ? { TRACESTATE: state } : {}) };
}

/** The trace context a parent process handed over in `TRACEPARENT`/`TRACESTATE`, else the root context. */
export function contextFromEnvironment(env: NodeJS.ProcessEnv): Context {
  const traceparent = env.TRACEPARENT;
  const remote = traceparent ? parseTraceparent(traceparent, env.TRACESTATE) : undefined;
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/** `00-<trace id>-<span id>-<flags>` (W3C Trace Context, version 00). */
export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A remote span context from a W3C `traceparent` (and `tracestate`), or undefined if it is not valid. */
export function parseTraceparent(traceparent: string, tracestate?: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId = "", spanId = "", flags = "", rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields; later versions may add fields.
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
    ...(tracestate ? { traceState: createTraceState(tracestate) } : {}),
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  return typeof value === "object" && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value);
}

