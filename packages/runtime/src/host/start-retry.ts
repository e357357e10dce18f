/**
 * Retrying a plugin's start (spawn → handshake → connect → health check).
 *
 * Off by default (one attempt), as in go-plugin. When on, a start that failed
 * for a reason that may pass — the plugin exited before its handshake, did not
 * handshake in time, or could not be reached — is tried again after an
 * exponential backoff with full jitter, until the attempts or the total
 * timeout run out. Failures that would only repeat are not retried: bad
 * options (ConfigError), TLS problems (TLSError), no common protocol version
 * (IncompatibleVersionError) and malformed handshake lines (HandshakeError).
 * Each failed attempt has already killed its process group and removed its
 * socket file before the next begins (startPlugin's own clean-up on failure).
 */

import { HandshakeError, PluginError, PluginExitedError, StartTimeoutError, TransportError } from "../errors.js";
import type { StartRetry } from "../protocol/config.js";
import { backoffDelay, sleep } from "../util/backoff.js";

/** Whether a failed start is worth another attempt. */
export function isRetryableStartError(error: unknown): boolean {
  if (error instanceof StartTimeoutError) return true;
  if (error instanceof HandshakeError) return false;
  return error instanceof PluginExitedError || error instanceof TransportError;
}

/**
 * Runs `attempt` until it succeeds or the policy gives up; `attempt` gets its
 * number (1-based) and the time left in the total budget (undefined: no bound).
 * The error of the last attempt is thrown, its message saying how many attempts were made.
 */
export async function withStartRetries<T>(
  policy: StartRetry,
  attempt: (number: number, remainingMs: number | undefined) => Promise<T>,
  options: { onRetry?: (number: number, delayMs: number, error: unknown) => void; random?: () => number } = {},
): Promise<T> {
  const started = Date.now();
  const remaining = () => (policy.totalTimeoutMs === undefined ? undefined : policy.totalTimeoutMs - (Date.now() - started));
  for (let number = 1; ; number++) {
    try {
      return await attempt(number, remaining());
    } catch (error) {
      const last = number >= policy.attempts || !isRetryableStartError(error);
      const delay = backoffDelay(number, policy.initialDelayMs, policy.maxDelayMs, options.random);
      const left = remaining();
      const outOfTime = left !== undefined && left <= delay;
      if (last || outOfTime) {
        if (number > 1 || outOfTime) noteAttempts(error, number, Date.now() - started, outOfTime && !last);
        throw error;
      }
      options.onRetry?.(number, delay, error);
      await sleep(delay);
    }
  }
}

function noteAttempts(error: unknown, attempts: number, elapsedMs: number, outOfTime: boolean): void {
  if (!(error instanceof PluginError)) return;
  const why = outOfTime ? "the total start timeout (retry.totalTimeoutMs) ran out" : "no attempts left";
  const note = `(gave up starting the plugin after ${attempts} attempt${attempts === 1 ? "" : "s"} in ${elapsedMs} ms: ${why})`;
  // Before the stderr tail, which PluginError appends after a newline.
  const newline = error.message.indexOf("\nLast lines the plugin wrote to stderr:");
  error.message = newline === -1 ? `${error.message} ${note}` : `${error.message.slice(0, newline)} ${note}${error.message.slice(newline)}`;
}
