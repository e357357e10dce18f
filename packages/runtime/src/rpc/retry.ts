/**
 * Retrying unary calls that fail with UNAVAILABLE — only where that is safe.
 *
 * UNAVAILABLE usually means the request never reached the handler (no
 * connection, the server going away), but it can also arrive after the
 * handler ran (the connection dropped before the answer). So a call is
 * retried only when repeating it is harmless:
 *
 * - the method is marked in its proto with
 *   `option idempotency_level = IDEMPOTENT;` or `= NO_SIDE_EFFECTS;`
 *   (protobuf-es exposes it as `DescMethod.idempotency`): retried by default
 *   with {@link DEFAULT_CALL_RETRY}; `retry: false` turns it off per call;
 * - or the caller passes a `retry` policy for that one call, taking on that
 *   the method may run twice.
 *
 * Nothing else is retried, and no other status code is. Retries stay within
 * the call's deadline and stop when its signal aborts. Streaming calls are
 * never retried (their requests cannot be replayed); a `retry` option on one
 * is an INVALID_ARGUMENT error rather than silently ignored.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { backoffDelay, sleep } from "../util/backoff.js";
import { Code } from "./code.js";
import { RpcError } from "./errors.js";

/** Retry policy of one call. */
export interface CallRetry {
  /** Total attempts, the first included (default 3). */
  attempts?: number;
  /** Upper bound of the first delay (default 50 ms); delays double, with full jitter. */
  initialDelayMs?: number;
  /** Upper bound of any delay (default 1000 ms). */
  maxDelayMs?: number;
}

/** The policy of methods marked idempotent when the call gives none. */
export const DEFAULT_CALL_RETRY: Required<CallRetry> = { attempts: 3, initialDelayMs: 50, maxDelayMs: 1000 };

/** Whether the proto marks `method` safe to repeat (`idempotency_level` IDEMPOTENT or NO_SIDE_EFFECTS). */
export function isIdempotent(method: DescMethod): boolean {
  return method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT || method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}

/** The policy a call runs with, or undefined for no retry. */
export function callRetryPolicy(method: DescMethod, option: CallRetry | false | undefined): Required<CallRetry> | undefined {
  if (option === false) return undefined;
  if (option === undefined) return isIdempotent(method) ? DEFAULT_CALL_RETRY : undefined;
  const policy = { ...DEFAULT_CALL_RETRY, ...definedOnly(option) };
  for (const [name, value, min] of [
    ["attempts", policy.attempts, 1],
    ["initialDelayMs", policy.initialDelayMs, 0],
    ["maxDelayMs", policy.maxDelayMs, 0],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new RpcError(`call option retry.${name}=${value} is invalid: use a whole number ≥ ${min}`, Code.INVALID_ARGUMENT);
    }
  }
  return policy;
}

/**
 * Runs `attempt` (one unary call ending at `deadline`) and repeats it on
 * UNAVAILABLE under `policy`, within the deadline and until `signal` aborts.
 */
export async function retryUnavailable<T>(
  policy: Required<CallRetry>,
  deadline: Date | undefined,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let number = 1; ; number++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof RpcError) || error.code !== Code.UNAVAILABLE || number >= policy.attempts) throw error;
      const delay = backoffDelay(number, policy.initialDelayMs, policy.maxDelayMs);
      if (deadline !== undefined && Date.now() + delay >= deadline.getTime()) throw error;
      // Aborted while waiting: the next attempt fails at once with the abort's error.
      await sleep(delay, signal).catch(() => undefined);
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
