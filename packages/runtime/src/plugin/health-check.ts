/**
 * Ties a plugin's reported health to the application: a callback asked on a
 * fixed interval, whose answer becomes the application's status (see
 * services/health.ts for which service names carry it and why "plugin" does
 * not).
 */
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import { type HealthReporter, ServingStatus } from "../services/health.js";

/** Options of `serve({ health })`. */
export interface HealthCheckOptions {
  /**
   * Asked once before the plugin announces itself, then every `intervalMs`;
   * the answer becomes the application's status. Throwing, or not answering
   * within `intervalMs`, counts as NOT_SERVING. Without it the application is
   * SERVING unless it calls `health.setApplicationStatus()` itself.
   */
  check?: (() => ServingStatus | Promise<ServingStatus>) | undefined;
  /** How often `check` is asked, in milliseconds (default 1000). */
  intervalMs?: number | undefined;
}

/** The default interval of health checks. */
export const DEFAULT_HEALTH_INTERVAL_MS = 1000;

/** A running health check loop. */
export interface HealthCheckLoop {
  /** Stops asking. */
  stop(): void;
}

/**
 * Asks `options.check` now (resolving once it answered or timed out) and then
 * every interval, reporting each answer to `reporter`. Checks never overlap:
 * a slow check delays the next one.
 */
export async function startHealthChecks(reporter: HealthReporter, options: HealthCheckOptions, logger: Logger): Promise<HealthCheckLoop> {
  const intervalMs = options.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new ConfigError(`health.intervalMs is ${String(intervalMs)}: it must be a number of milliseconds greater than 0`);
  }
  const check = options.check;
  if (!check) return { stop: () => undefined };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const runOnce = async () => {
    const status = await askWithin(check, intervalMs, logger);
    if (stopped) return;
    if (status !== reporter.applicationStatus) logger.debug("application health changed", { status: ServingStatus[status] ?? status });
    reporter.setApplicationStatus(status);
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().then(schedule), intervalMs);
    timer.unref();
  };
  await runOnce();
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function askWithin(check: () => ServingStatus | Promise<ServingStatus>, ms: number, logger: Logger): Promise<ServingStatus> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(check), late]);
    if (answer === "late") {
      logger.warn("application health check did not answer in time; reporting NOT_SERVING", { interval_ms: ms });
      return ServingStatus.NOT_SERVING;
    }
    if (!isServingStatus(answer)) {
      logger.warn("application health check answered something that is not a ServingStatus; reporting NOT_SERVING", { answer: String(answer) });
      return ServingStatus.NOT_SERVING;
    }
    return answer;
  } catch (error) {
    logger.warn("application health check failed; reporting NOT_SERVING", { error: error instanceof Error ? error.message : String(error) });
    return ServingStatus.NOT_SERVING;
  } finally {
    clearTimeout(timer);
  }
}

function isServingStatus(value: unknown): value is ServingStatus {
  return value === ServingStatus.SERVING || value === ServingStatus.NOT_SERVING || value === ServingStatus.UNKNOWN || value === ServingStatus.SERVICE_UNKNOWN;
}
