/**
 * The host's view of a plugin's application health (grpc.health.v1 on the
 * service name "" by default: see services/health.ts): one check, or a
 * stream of statuses as they change.
 */

import { HealthClient } from "../gen/grpc/health/v1/health_rpcplugin.js";
import { Code } from "../rpc/code.js";
import type { Transport } from "../rpc/engine.js";
import { RpcError } from "../rpc/errors.js";
import { APPLICATION_HEALTH_SERVICE, ServingStatus } from "../services/health.js";
import { anySignal } from "../util/any-signal.js";

/** Options of `PluginClient.health()`. */
export interface HealthQueryOptions {
  /** The service name to ask about (default "": the application as a whole). */
  service?: string | undefined;
  /** Gives up after this many milliseconds (default 5000). */
  timeoutMs?: number | undefined;
}

/** Options of `PluginClient.watchHealth()`. */
export interface HealthWatchOptions {
  /** The service name to watch (default "": the application as a whole). */
  service?: string | undefined;
  /** Stops watching: the iteration fails with the signal's reason, as any call. */
  signal?: AbortSignal | undefined;
}

/** The plugin's current status of `service`; RpcError NOT_FOUND if it does not report that name. */
export async function checkHealth(transport: Transport, options: HealthQueryOptions = {}): Promise<ServingStatus> {
  const response = await new HealthClient(transport).check(
    { service: options.service ?? APPLICATION_HEALTH_SERVICE },
    { timeoutMs: options.timeoutMs ?? 5000 },
  );
  return response.status;
}

/**
 * The statuses of `service`: the current one first, then each change. When
 * the plugin stops serving this host — it shuts down, exits or drops the
 * connection, or the host closes the client — the iteration ends, its last
 * status NOT_SERVING (added if the plugin's own last word was another).
 * A name the plugin does not know reads SERVICE_UNKNOWN until it does. The
 * caller's `signal` fails the iteration with its reason, as for any call;
 * other errors are thrown as they are.
 */
export async function* watchHealth(
  transport: Transport,
  closed: AbortSignal,
  options: HealthWatchOptions = {},
): AsyncGenerator<ServingStatus, void, undefined> {
  // Either signal stops the call.
  const stop = anySignal([options.signal, closed].filter((source): source is AbortSignal => source !== undefined));
  let last: ServingStatus | undefined;
  try {
    for await (const response of new HealthClient(transport).watch({ service: options.service ?? APPLICATION_HEALTH_SERVICE }, { signal: stop.signal })) {
      last = response.status;
      yield last;
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const gone = closed.aborted || (error instanceof RpcError && error.code === Code.UNAVAILABLE);
    if (!gone) throw error;
  } finally {
    stop.dispose();
  }
  if (last !== ServingStatus.NOT_SERVING) yield ServingStatus.NOT_SERVING;
}
