/**
 * How a serving plugin reacts to signals, and the exit codes it ends with.
 *
 * - SIGINT alone is ignored, as go-plugin plugins do: a Ctrl-C in the host's
 *   terminal reaches the whole process group, and the host decides when its
 *   plugins stop (Terraform, for one, finishes the running operation).
 * - SIGTERM starts a graceful stop: new calls are refused, in-flight calls
 *   may finish within the shutdown grace period, then the process exits.
 * - A SIGTERM or SIGINT *after* a SIGTERM forces the exit at once, with
 *   {@link PluginExitCode.FORCED}: the sender means it.
 */
import type { Logger } from "../log.js";

/** Exit codes of a plugin process run by `serve()`. */
export const PluginExitCode = {
  /** Stopped cleanly: every accepted call finished. */
  CLEAN: 0,
  /** Could not start (wrong cookie, bad configuration, no listener…); nothing was served. */
  START_FAILED: 1,
  /** Stopped, but calls still running when the grace period ended were cut. */
  GRACE_EXPIRED: 2,
  /** A second signal (SIGTERM, or SIGINT after SIGTERM) forced the exit while draining. */
  FORCED: 3,
} as const;

/** Installs the handlers; returns a function that removes them. */
export function handleStopSignals(options: {
  logger: Logger;
  /** Starts (or joins) the graceful stop. */
  stop: () => void;
  /** Exits the process now. */
  force: (signal: NodeJS.Signals) => void;
}): () => void {
  const { logger } = options;
  let interrupts = 0;
  let terminated = false;
  const onInterrupt = () => {
    if (terminated) {
      logger.warn("second stop signal while draining; exiting now", { signal: "SIGINT" });
      options.force("SIGINT");
      return;
    }
    logger.trace("plugin received interrupt signal, ignoring", { count: ++interrupts });
  };
  const onTerminate = () => {
    if (terminated) {
      logger.warn("second stop signal while draining; exiting now", { signal: "SIGTERM" });
      options.force("SIGTERM");
      return;
    }
    terminated = true;
    logger.debug("plugin received SIGTERM; draining in-flight calls (send it again to exit at once)");
    options.stop();
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onTerminate);
  return () => {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onTerminate);
  };
}
