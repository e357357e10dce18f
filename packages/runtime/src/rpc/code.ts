/**
 * gRPC status codes. The numbers are gRPC's own (they cross the wire in the
 * `grpc-status` trailer); the names follow `google.rpc.Code`.
 */

/** A gRPC status code, numerically identical to grpc-js's `status` enum. */
export enum Code {
  /** Not an error; returned on success. */
  OK = 0,
  /** The operation was cancelled, typically by the caller. */
  CANCELLED = 1,
  /** Unknown error, e.g. a handler threw something that is not an RpcError. */
  UNKNOWN = 2,
  /** The client specified an invalid argument. */
  INVALID_ARGUMENT = 3,
  /** The deadline expired before the operation could complete. */
  DEADLINE_EXCEEDED = 4,
  /** Some requested entity was not found. */
  NOT_FOUND = 5,
  /** The entity that a client attempted to create already exists. */
  ALREADY_EXISTS = 6,
  /** The caller does not have permission to execute the operation. */
  PERMISSION_DENIED = 7,
  /** Some resource has been exhausted (quota, message size, ...). */
  RESOURCE_EXHAUSTED = 8,
  /** The system is not in a state required for the operation's execution. */
  FAILED_PRECONDITION = 9,
  /** The operation was aborted, typically due to a concurrency issue. */
  ABORTED = 10,
  /** The operation was attempted past the valid range. */
  OUT_OF_RANGE = 11,
  /** The operation is not implemented or not supported. */
  UNIMPLEMENTED = 12,
  /** An invariant expected by the underlying system has been broken. */
  INTERNAL = 13,
  /** The service is currently unavailable; retrying may help. */
  UNAVAILABLE = 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS = 15,
  /** The request does not have valid authentication credentials. */
  UNAUTHENTICATED = 16,
}

/**
 * The lower snake-case name of a code, as used in {@link RpcError} messages
 * (`not_found`, `deadline_exceeded`, ...). Numbers outside gRPC's range give
 * `code_<n>`.
 */
export function codeName(code: Code): string {
  const name: unknown = Code[code];
  return typeof name === "string" ? name.toLowerCase() : `code_${code}`;
}

/** Whether `value` is one of gRPC's status codes (an integer from 0 to 16). */
export function isCode(value: unknown): value is Code {
  return typeof value === "number" && Number.isInteger(value) && value >= Code.OK && value <= Code.UNAUTHENTICATED;
}
