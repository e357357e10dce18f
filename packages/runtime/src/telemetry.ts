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
 * (no span, no metadata, no wrapper, no allocation), and `@opentelemetry/api`
 * is not even loaded until something is registered with that global; with an
 * SDK whose sampler drops the call, only the API's non-recording span.
 */

import { createRequire } from "node:module";
import type * as grpc from "@grpc/grpc-js";
import type * as OpenTelemetry from "@opentelemetry/api";
import type { Attributes, Context, Span, SpanContext, SpanOptions, TextMapGetter, TextMapSetter, Tracer, TracerProvider } from "@opentelemetry/api";
import { Code } from "./rpc/code.js";
import type { CallContext } from "./rpc/context.js";
import { RpcError } from "./rpc/errors.js";
import { grpcJs } from "./rpc/grpc-js.js";
import type { CallHook } from "./rpc/h2/channel.js";
import type { HandlerInterceptor, UntypedHandler } from "./rpc/server.js";

/** The instrumentation scope of the runtime's spans. */
export const TRACER_NAME = "@rpcplugin/runtime";

// Where every copy of @opentelemetry/api 1.x keeps what was registered with it
// (tracer provider, context manager, propagator, diag logger).
const API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/** The API and what the runtime keeps of it, made when the API is first needed. */
interface LoadedApi {
  api: typeof OpenTelemetry;
  // A ProxyTracer: it follows whatever provider the application registers, even later.
  tracer: Tracer;
  // The API's own no-op provider: what the global proxy hands out while no SDK is registered.
  noopProvider: TracerProvider;
  clientSpan: SpanOptions;
  serverSpan: SpanOptions;
  internalSpan: SpanOptions;
}

let loaded: LoadedApi | undefined;
let importing: Promise<unknown> | undefined;
let requireFailed = false;

function adopt(api: typeof OpenTelemetry): LoadedApi {
  loaded ??= {
    api,
    tracer: api.trace.getTracer(TRACER_NAME),
    noopProvider: new api.ProxyTracerProvider().getDelegate(),
    clientSpan: { kind: api.SpanKind.CLIENT },
    serverSpan: { kind: api.SpanKind.SERVER },
    internalSpan: { kind: api.SpanKind.INTERNAL },
  };
  return loaded;
}

/** Whether anything (a tracer provider, context manager, propagator…) is registered with the API's global. */
function registered(): boolean {
  return (globalThis as Record<symbol, unknown>)[API_GLOBAL] !== undefined;
}

/**
 * The API if it can be had now. Importing it costs a plugin ~20 ms of CPU
 * before its handshake, and until something is registered with its global no
 * span can be recorded, so the per-call hooks only get here once something is
 * (see {@link activeApi}). `require()` finds the API next to the runtime in
 * node_modules; in a bundle, which bundlers make without following
 * createRequire, it may not: then the bundled copy is imported (see
 * {@link importApi}) and this call goes untraced.
 */
function apiNow(): LoadedApi | undefined {
  if (loaded || requireFailed) return loaded;
  try {
    return adopt(createRequire(import.meta.url)("@opentelemetry/api") as typeof OpenTelemetry);
  } catch {
    // Not again on every call: a failed require() searches the file system each time.
    requireFailed = true;
    void importApi();
    return undefined;
  }
}

/**
 * Loads the API through a dynamic import, which bundlers follow (and Node
 * resolves as require() would). traced() awaits it, so in a bundled plugin
 * or host whose SDK was registered before serve()/startPlugin() every span
 * is recorded from the start.
 */
function importApi(): Promise<unknown> {
  importing ??= import("@opentelemetry/api").then(
    (module) => adopt(module),
    () => undefined,
  );
  return importing;
}

/** The API, for the helpers that are given a Context (whoever made it has loaded the API). */
function requireApi(): LoadedApi {
  const otel = apiNow();
  if (!otel)
    throw new Error(
      "@opentelemetry/api could not be loaded: install it next to @rpcplugin/runtime, or register your SDK before serve()/startPlugin() in a bundled program",
    );
  return otel;
}

/**
 * The API when a tracer provider may be recording, else undefined — the
 * per-call hooks then return at once, cheaper than even a no-op span. Nothing
 * registered with the API's global (no copy of the API loaded, or nothing set
 * up): undefined without loading it. Otherwise undefined while the global
 * tracer provider is the API's no-op one; with a provider registered through
 * another copy of the API the no-op span path decides, as it would anyway.
 */
function activeApi(): LoadedApi | undefined {
  if (!loaded && !registered()) return undefined;
  const otel = apiNow();
  if (!otel) return undefined;
  const provider = otel.api.trace.getTracerProvider();
  if (provider instanceof otel.api.ProxyTracerProvider && provider.getDelegate() === otel.noopProvider) return undefined;
  return otel;
}

/** Services whose calls live as long as the plugin: not traced. */
const UNTRACED_SERVICES: ReadonlySet<string> = new Set(["plugin.GRPCStdio", "plugin.GRPCBroker"]);

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
function endWithCode(otel: LoadedApi, span: Span, code: number, message: string | undefined): void {
  span.setAttribute("rpc.grpc.status_code", code);
  if (code !== Code.OK) span.setStatus({ code: otel.api.SpanStatusCode.ERROR, ...(message ? { message } : {}) });
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
  const span = startClientSpan(options.method_definition.path);
  if (!span) return nextCall(options) as grpc.InterceptingCall;
  const grpc = grpcJs();
  return new grpc.InterceptingCall(nextCall(options), {
    start(metadata, _listener, next) {
      span.inject(metadata);
      next(
        metadata,
        new grpc.ListenerBuilder()
          .withOnReceiveStatus((status, nextStatus) => {
            span.end(status.code, status.details);
            nextStatus(status);
          })
          .build(),
      );
    },
  });
};

/**
 * The h2 engine's {@link clientTelemetryInterceptor}: a call hook
 * (`H2ChannelOptions.hooks`) that traces every call of a channel the same way.
 */
export const clientTelemetryHook: CallHook = (path, metadata) => {
  const span = startClientSpan(path);
  if (!span) return undefined;
  span.inject(metadata);
  return (status) => {
    span.end(status.code, status.details);
    return status;
  };
};

/** A CLIENT span for a call of `path` about to start, or undefined when nothing is traced. */
function startClientSpan(path: string): { inject(metadata: grpc.Metadata): void; end(code: number, details: string): void } | undefined {
  const otel = activeApi();
  if (!otel) return undefined;
  const about = methodSpan(path);
  if (about.untraced) return undefined;
  const { api } = otel;
  const parent = api.context.active();
  const span = otel.tracer.startSpan(about.name, otel.clientSpan, parent);
  const recording = span.isRecording();
  // Not recording but part of a sampled-out or upstream trace: still pass the context on.
  if (!recording && !api.isSpanContextValid(span.spanContext())) return undefined;
  if (recording) span.setAttributes(about.attributes);
  const spanContext = api.trace.setSpan(parent, span);
  return {
    inject: (metadata) => injectTraceContext(spanContext, metadata),
    end: (code, details) => endWithCode(otel, span, code, details),
  };
}

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
    const otel = activeApi();
    if (!otel) return next(input, callContext);
    const parent = extractTraceContext(callContext.requestMetadata);
    const span = otel.tracer.startSpan(about.name, otel.serverSpan, parent);
    if (!span.isRecording()) return next(input, callContext);
    span.setAttributes(about.attributes);
    return runTraced(otel, next, input, callContext, span, otel.api.trace.setSpan(parent, span), streaming);
  };
};

function runTraced(otel: LoadedApi, next: UntypedHandler, input: unknown, callContext: CallContext, span: Span, active: Context, streaming: boolean): unknown {
  let ended = false;
  const finish = (error: unknown) => {
    if (ended) return;
    ended = true;
    if (error !== undefined) {
      const failure = RpcError.from(error);
      endWithCode(otel, span, failure.code, failure.rawMessage);
    } else if (callContext.signal.reason instanceof RpcError) {
      // Stopped early: the client cancelled or the deadline passed.
      endWithCode(otel, span, callContext.signal.reason.code, callContext.signal.reason.rawMessage);
    } else {
      endWithCode(otel, span, Code.OK, undefined);
    }
  };
  let result: unknown;
  try {
    result = otel.api.context.with(active, next, undefined, input, callContext);
  } catch (error) {
    finish(error);
    throw error;
  }
  const settle = (value: unknown): unknown => {
    if (streaming && isIterable(value)) return tracedStream(otel, value, active, finish, callContext);
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
  otel: LoadedApi,
  source: AsyncIterable<unknown> | Iterable<unknown>,
  active: Context,
  finish: (error: unknown) => void,
  callContext: CallContext,
): AsyncIterable<unknown> {
  const { context } = otel.api;
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
 * context, or with `parentEnv` of the trace context a parent process handed
 * over in it): the span ends when `run` settles, with status ERROR and the
 * exception recorded if it throws. Used for plugin start, handshake,
 * shutdown and serve.
 */
export async function traced<T>(name: string, attributes: Attributes, run: () => Promise<T>, parentEnv?: NodeJS.ProcessEnv): Promise<T> {
  if (!loaded && registered()) await importApi();
  const otel = activeApi();
  if (!otel) return run();
  const { api } = otel;
  const parent = parentEnv ? contextFromEnvironment(parentEnv) : api.context.active();
  const span = otel.tracer.startSpan(name, otel.internalSpan, parent);
  if (!span.isRecording()) return run();
  span.setAttributes(attributes);
  try {
    const value = await api.context.with(api.trace.setSpan(parent, span), run);
    span.end();
    return value;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
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
  const { api } = requireApi();
  api.propagation.inject(ctx, metadata, metadataSetter);
  if (metadata.get("traceparent").length > 0) return;
  const spanContext = api.trace.getSpanContext(ctx);
  if (!spanContext || !api.isSpanContextValid(spanContext)) return;
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
  const { api } = requireApi();
  const extracted = api.propagation.extract(api.ROOT_CONTEXT, metadata, metadataGetter);
  if (api.trace.getSpanContext(extracted)) return extracted;
  const [traceparent] = metadata.get("traceparent");
  if (typeof traceparent !== "string") return api.ROOT_CONTEXT;
  const [tracestate] = metadata.get("tracestate");
  const remote = parseTraceparent(traceparent, typeof tracestate === "string" ? tracestate : undefined);
  return remote ? api.trace.setSpanContext(api.ROOT_CONTEXT, remote) : api.ROOT_CONTEXT;
}

/**
 * The environment variables that hand `ctx` (by default the active context)
 * to a child process: empty when it holds no valid span context, and without
 * loading the API when no context was given and nothing is registered with it.
 */
export function traceEnvironment(ctx?: Context): Record<string, string> {
  if (ctx === undefined && !loaded && !registered()) return {};
  const { api } = requireApi();
  const spanContext = api.trace.getSpanContext(ctx ?? api.context.active());
  if (!spanContext || !api.isSpanContextValid(spanContext)) return {};
  const state = spanContext.traceState?.serialize();
  return { TRACEPARENT: formatTraceparent(spanContext), ...(state ? { TRACESTATE: state } : {}) };
}

/** The trace context a parent process handed over in `TRACEPARENT`/`TRACESTATE`, else the root context. */
export function contextFromEnvironment(env: NodeJS.ProcessEnv): Context {
  const { api } = requireApi();
  const traceparent = env.TRACEPARENT;
  const remote = traceparent ? parseTraceparent(traceparent, env.TRACESTATE) : undefined;
  return remote ? api.trace.setSpanContext(api.ROOT_CONTEXT, remote) : api.ROOT_CONTEXT;
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
    ...(tracestate ? { traceState: requireApi().api.createTraceState(tracestate) } : {}),
  };
  return requireApi().api.isSpanContextValid(spanContext) ? spanContext : undefined;
}

function isIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  return typeof value === "object" && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value);
}
