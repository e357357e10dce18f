/**
 * The error of a single call, on both sides of the wire. A handler throws
 * one to answer with a status; a client call rejects with one whatever went
 * wrong (a status from the server, a deadline, a cancellation, a broken
 * connection), so callers need to know about exactly one error type.
 */
import type * as grpc from "@grpc/grpc-js";
import { Code, codeName, isCode } from "./code.js";
import { type MetadataInit, toMetadata } from "./metadata.js";

/** Optional parts of an {@link RpcError}. */
export interface RpcErrorOptions {
  /** Trailing metadata: sent with the status by a handler, received with it by a client. */
  metadata?: MetadataInit;
  /** The underlying error, kept for debugging (never sent over the wire). */
  cause?: unknown;
}

/** A gRPC status that is not OK, with what the status carries. */
export interface StatusLike {
  code: number;
  details?: string;
  metadata?: grpc.Metadata | null;
}

/**
 * A failed call: a gRPC status {@link code}, the status message
 * ({@link rawMessage}) and the response trailers ({@link metadata}).
 *
 * `message` reads `[code_name] rawMessage`, e.g. `[not_found] no such key`.
 *
 * @example
 * ```ts
 * throw new RpcError(`no key ${key}`, Code.NOT_FOUND);
 * ```
 */
export class RpcError extends Error {
  override name = "RpcError";
  /** The gRPC status code. */
  readonly code: Code;
  /** The status message as sent on the wire, without the `[code]` prefix. */
  readonly rawMessage: string;
  /** Trailing metadata of the call (response trailers). */
  readonly metadata: grpc.Metadata;

  /**
   * @param message - the status message (becomes {@link rawMessage})
   * @param code - the status code; UNKNOWN when omitted
   */
  constructor(message: string, code: Code = Code.UNKNOWN, options: RpcErrorOptions = {}) {
    super(formatMessage(code, message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.metadata = toMetadata(options.metadata);
  }

  /**
   * Converts anything thrown or rejected into an RpcError:
   * - an RpcError is returned as it is;
   * - a grpc-js `ServiceError` (or any `{ code, details }` status with a
   *   gRPC code) keeps its code, details and metadata;
   * - an `AbortError` becomes CANCELLED and a `TimeoutError` (as from
   *   `AbortSignal.timeout()`) DEADLINE_EXCEEDED;
   * - anything else gets `fallbackCode` and its message.
   *
   * The original value is kept as `cause` (except for an RpcError).
   */
  static from(reason: unknown, fallbackCode: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (isStatusLike(reason)) return RpcError.fromStatus(reason, { cause: reason });
    if (reason instanceof Error || isNamedError(reason)) {
      const code = reason.name === "AbortError" ? Code.CANCELLED : reason.name === "TimeoutError" ? Code.DEADLINE_EXCEEDED : fallbackCode;
      return new RpcError(reason.message, code, { cause: reason });
    }
    return new RpcError(String(reason), fallbackCode, { cause: reason });
  }

  /** Makes an RpcError from a gRPC status (e.g. a grpc-js `ServiceError` or `StatusObject`). */
  static fromStatus(status: StatusLike, options: { cause?: unknown } = {}): RpcError {
    return new RpcError(status.details ?? "", status.code as Code, {
      ...(status.metadata ? { metadata: status.metadata } : {}),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
  }

  /**
   * The grpc-js status this error stands for. `trailers`, when given, are
   * sent too; this error's own metadata replaces the same keys there.
   */
  toStatus(trailers?: grpc.Metadata): grpc.StatusObject {
    const metadata = trailers ? trailers.clone() : this.metadata.clone();
    if (trailers) {
      // The error's own keys win over the context's trailers (and an error made
      // with the context's trailers does not send them twice).
      for (const [key, values] of Object.entries(this.metadata.toJSON())) {
        metadata.remove(key);
        for (const value of values) metadata.add(key, value);
      }
    }
    return { code: this.code as number, details: this.rawMessage, metadata };
  }
}

function formatMessage(code: Code, message: string): string {
  return message ? `[${codeName(code)}] ${message}` : `[${codeName(code)}]`;
}

/** A grpc-js ServiceError or StatusObject: a gRPC code other than OK and string details. */
function isStatusLike(value: unknown): value is StatusLike {
  if (typeof value !== "object" || value === null) return false;
  const { code, details } = value as { code?: unknown; details?: unknown };
  return isCode(code) && code !== Code.OK && typeof details === "string";
}

/** DOMException is an Error in Node, but be lenient with look-alikes from other realms. */
function isNamedError(value: unknown): value is { name: string; message: string } {
  if (typeof value !== "object" || value === null) return false;
  const { name, message } = value as { name?: unknown; message?: unknown };
  return typeof name === "string" && typeof message === "string";
}
