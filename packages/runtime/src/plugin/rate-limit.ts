/**
 * Opt-in rate limiting of a plugin's application services: token buckets
 * (a steady rate per second, a burst) for the whole server and per method,
 * checked before the handler runs. A call over the limit is answered
 * RESOURCE_EXHAUSTED with a retry hint in the trailers:
 *
 * - `retry-after-ms`: milliseconds until the bucket has a token again;
 * - `grpc-status-details-bin`: a `google.rpc.Status` carrying a
 *   `google.rpc.RetryInfo`, the form grpc-go and Google APIs read.
 *
 * The runtime's lifecycle services (health, controller, stdio, broker,
 * reflection) are never limited: a busy plugin still answers its host's
 * health checks and shutdown request.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type * as grpc from "@grpc/grpc-js";
import { ConfigError } from "../errors.js";
import { Code } from "../rpc/code.js";
import { RpcError } from "../rpc/errors.js";
import type { HandlerInterceptor } from "../rpc/server.js";
import { isLifecycleService } from "../services/lifecycle.js";

/** One token bucket: `burst` calls at once, refilled at `ratePerSecond` calls per second. */
export interface RateLimit {
  /** Calls per second, sustained (> 0; fractions allowed, e.g. 0.5 = one call every 2 s). */
  ratePerSecond: number;
  /** Calls allowed at once after a quiet period: the bucket's size (an integer ≥ 1). */
  burst: number;
}

/** Rate limits of a plugin's application services (see {@link rateLimitInterceptor}). */
export interface RateLimitOptions {
  /** One bucket shared by every call of every application method. */
  global?: RateLimit | undefined;
  /** A bucket per method, keyed by its full path `/package.Service/Method`; a call must pass both its method's and the global bucket. */
  methods?: Record<string, RateLimit> | undefined;
}

/** A monotonic clock in milliseconds (default `performance.now()`). */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/** Trailer carrying the wait, in whole milliseconds, before a call can pass. */
export const RETRY_AFTER_MS = "retry-after-ms";
/** Trailer carrying a binary `google.rpc.Status` (with details) in gRPC. */
export const STATUS_DETAILS_BIN = "grpc-status-details-bin";
const RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo";

/**
 * A token bucket. It starts full; every call that passes takes one token;
 * tokens come back at `ratePerSecond` per second up to `burst`. Time comes from an
 * injected monotonic clock, so tests can drive it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: Clock = monotonic,
  ) {
    checkLimit(limit, "a token bucket");
    this.tokens = limit.burst;
    this.last = now();
  }

  /** Milliseconds until a token is available (0: one is available now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.limit.ratePerSecond) * 1000);
  }

  /** Takes a token; call only after {@link waitMs} returned 0. */
  take(): void {
    this.tokens -= 1;
  }

  /** Takes a token if one is available: returns 0, or the milliseconds to wait for one. */
  tryTake(): number {
    const wait = this.waitMs();
    if (wait === 0) this.take();
    return wait;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed > 0) this.tokens = Math.min(this.limit.burst, this.tokens + (elapsed * this.limit.ratePerSecond) / 1000);
  }
}

/**
 * A server interceptor that admits application calls through the buckets of
 * `options` and answers the others RESOURCE_EXHAUSTED with a retry hint
 * (see the module comment). Lifecycle services pass untouched. Each method
 * key must be a full path (`/package.Service/Method`); {@link checkRateLimitMethods}
 * checks them against the services actually served.
 */
export function rateLimitInterceptor(options: RateLimitOptions, clock: Clock = monotonic): HandlerInterceptor {
  checkRateLimitOptions(options);
  const global = options.global ? new TokenBucket(options.global, clock) : undefined;
  const methods = new Map(Object.entries(options.methods ?? {}).map(([path, limit]) => [path, new TokenBucket(limit, clock)]));
  return (next, method) => {
    if (isLifecycleService(method.parent.typeName)) return next;
    const path = `/${method.parent.typeName}/${method.name}`;
    const own = methods.get(path);
    if (!own && !global) return next;
    return (input, context) => {
      const ownWait = own?.waitMs() ?? 0;
      const globalWait = global?.waitMs() ?? 0;
      if (ownWait === 0 && globalWait === 0) {
        own?.take();
        global?.take();
        return next(input, context);
      }
      // The bucket that keeps the call out longest is the one the message names.
      const [bucket, name] = own && ownWait >= globalWait ? [own, `the rate limit of ${path}`] : [global as TokenBucket, "the plugin's global rate limit"];
      throw rateLimitError(`${name} (${bucket.limit.ratePerSecond} calls/s, burst ${bucket.limit.burst}) is exceeded`, Math.max(ownWait, globalWait));
    };
  };
}

/** The RESOURCE_EXHAUSTED error of a call kept out for `retryAfterMs`. */
export function rateLimitError(reason: string, retryAfterMs: number): RpcError {
  const message = `${reason}: retry in ${retryAfterMs} ms`;
  return new RpcError(message, Code.RESOURCE_EXHAUSTED, {
    metadata: {
      [RETRY_AFTER_MS]: String(retryAfterMs),
      [STATUS_DETAILS_BIN]: encodeRetryStatus(Code.RESOURCE_EXHAUSTED, message, retryAfterMs),
    },
  });
}

/**
 * The retry hint of a failed call, in milliseconds: the `retry-after-ms`
 * trailer, else a `google.rpc.RetryInfo` in `grpc-status-details-bin` (as
 * grpc-go servers send it). Undefined when the error carries neither.
 */
export function retryDelayMs(error: RpcError): number | undefined {
  return retryDelayFromMetadata(error.metadata);
}

/** {@link retryDelayMs} for a call's trailing metadata. */
export function retryDelayFromMetadata(metadata: grpc.Metadata): number | undefined {
  const [text] = metadata.get(RETRY_AFTER_MS);
  if (typeof text === "string" && /^\d+$/.test(text)) return Number(text);
  const [details] = metadata.get(STATUS_DETAILS_BIN);
  if (!Buffer.isBuffer(details)) return undefined;
  try {
    return decodeRetryDelayMs(details);
  } catch {
    return undefined;
  }
}

/** Checks the shape of `options`: positive finite rates, integer bursts ≥ 1, method keys that are method paths. */
export function checkRateLimitOptions(options: RateLimitOptions): void {
  if (options.global) checkLimit(options.global, "rateLimit.global");
  for (const [path, limit] of Object.entries(options.methods ?? {})) {
    if (!/^\/[^/\s]+\/[^/\s]+$/.test(path)) {
      throw new ConfigError(`rateLimit.methods key ${JSON.stringify(path)} is not a method path: write it as "/package.Service/Method"`);
    }
    checkLimit(limit, `rateLimit.methods[${JSON.stringify(path)}]`);
  }
}

/**
 * Checks that every method named in `options.methods` is served by one of
 * `services` and is not a lifecycle method (those are never limited), so a
 * typo cannot silently leave a method unlimited.
 */
export function checkRateLimitMethods(options: RateLimitOptions, services: readonly DescService[]): void {
  const served = new Map<string, DescMethod>();
  for (const service of services) for (const method of service.methods) served.set(`/${service.typeName}/${method.name}`, method);
  for (const path of Object.keys(options.methods ?? {})) {
    const service = path.split("/")[1] ?? "";
    if (isLifecycleService(service)) {
      throw new ConfigError(`rateLimit.methods names ${path}, a method of the runtime's lifecycle service ${service}: those are never rate limited`);
    }
    if (!served.has(path)) {
      const known = [...served.keys()].filter((name) => !isLifecycleService(name.split("/")[1] ?? ""));
      throw new ConfigError(`rateLimit.methods names ${path}, which this plugin does not serve (served methods: ${known.join(", ") || "none"})`);
    }
  }
}

function checkLimit(limit: RateLimit, where: string): void {
  const { ratePerSecond: rate, burst } = limit as Partial<RateLimit>;
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) {
    throw new ConfigError(`${where}.ratePerSecond is ${String(rate)}: it must be a number of calls per second greater than 0`);
  }
  if (typeof burst !== "number" || !Number.isInteger(burst) || burst < 1) {
    throw new ConfigError(`${where}.burst is ${String(burst)}: it must be a whole number of calls, at least 1`);
  }
}

/** `google.rpc.Status { code, message, details: [Any(google.rpc.RetryInfo { retry_delay })] }`, encoded. */
export function encodeRetryStatus(code: Code, message: string, retryAfterMs: number): Buffer {
  const seconds = Math.floor(retryAfterMs / 1000);
  const nanos = (retryAfterMs % 1000) * 1_000_000;
  const duration = new BinaryWriter();
  if (seconds !== 0) duration.tag(1, WireType.Varint).int64(seconds);
  if (nanos !== 0) duration.tag(2, WireType.Varint).int32(nanos);
  const retryInfo = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(duration.finish()).finish();
  const any = new BinaryWriter().tag(1, WireType.LengthDelimited).string(RETRY_INFO_TYPE_URL).tag(2, WireType.LengthDelimited).bytes(retryInfo).finish();
  const status = new BinaryWriter().tag(1, WireType.Varint).int32(code).tag(2, WireType.LengthDelimited).string(message);
  return Buffer.from(status.tag(3, WireType.LengthDelimited).bytes(any).finish());
}

/** The retry delay of the first `google.rpc.RetryInfo` in an encoded `google.rpc.Status`, in ms. */
export function decodeRetryDelayMs(statusBytes: Uint8Array): number | undefined {
  for (const any of fields(statusBytes, 3)) {
    const typeUrl = fields(any, 1)[0];
    if (!typeUrl || new TextDecoder().decode(typeUrl) !== RETRY_INFO_TYPE_URL) continue;
    const value = fields(any, 2)[0] ?? new Uint8Array();
    const duration = fields(value, 1)[0] ?? new Uint8Array();
    let seconds = 0;
    let nanos = 0;
    const reader = new BinaryReader(duration);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.Varint) seconds = Number(reader.int64());
      else if (field === 2 && wireType === WireType.Varint) nanos = reader.int32();
      else reader.skip(wireType);
    }
    return seconds * 1000 + Math.round(nanos / 1_000_000);
  }
  return undefined;
}

/** The length-delimited values of field `number` in an encoded message. */
function fields(bytes: Uint8Array, number: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === number && wireType === WireType.LengthDelimited) found.push(reader.bytes());
    else reader.skip(wireType);
  }
  return found;
}
