/**
 * Errors of the plugin lifecycle: starting, handshaking, connecting, TLS and
 * process exit. Every one names what went wrong and, where a plugin process
 * was involved, quotes the last lines it wrote to stderr, because that is
 * almost always where the real cause is.
 *
 * Errors of individual calls are {@link RpcError}s (see `rpc/errors.ts`).
 */

/** Options shared by all plugin errors. */
export interface PluginErrorOptions {
  /** The underlying error, kept for debugging. */
  cause?: unknown;
  /** The last lines the plugin wrote to stderr, oldest first. */
  stderrTail?: readonly string[];
}

/** Base class of every error rpcplugin raises outside of a single call. */
export class PluginError extends Error {
  /** The last lines the plugin wrote to stderr (empty when none or not applicable). */
  stderrTail: readonly string[];

  constructor(message: string, options: PluginErrorOptions = {}) {
    super(withStderrTail(message, options.stderrTail ?? []), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.stderrTail = options.stderrTail ?? [];
  }

  /** @internal Adds the plugin's stderr tail once it is known (when the error was made before). */
  attachStderrTail(tail: readonly string[]): this {
    if (this.stderrTail.length === 0 && tail.length > 0) {
      this.stderrTail = [...tail];
      this.message = withStderrTail(this.message, tail);
    }
    return this;
  }
}

/** Invalid options or environment values: the message names the setting, the value and what is accepted. */
export class ConfigError extends PluginError {}

/**
 * The plugin's handshake line was missing, malformed or incompatible, or the
 * plugin did not print it in time. `line` holds the offending line, if any.
 */
export class HandshakeError extends PluginError {
  readonly line: string | undefined;

  constructor(message: string, options: PluginErrorOptions & { line?: string } = {}) {
    super(message, options);
    this.line = options.line;
  }
}

/** The plugin did not complete its handshake within the start timeout. */
export class StartTimeoutError extends HandshakeError {}

/** Host and plugin share no application protocol version. */
export class IncompatibleVersionError extends HandshakeError {
  constructor(
    message: string,
    readonly pluginVersion: number | undefined,
    readonly hostVersions: readonly number[],
    options: PluginErrorOptions & { line?: string } = {},
  ) {
    super(message, options);
  }
}

/** A listener could not be opened, or a connection could not be made or was lost. */
export class TransportError extends PluginError {}

/** A certificate could not be made, parsed or verified, or a TLS handshake failed. */
export class TLSError extends PluginError {}

/** The plugin process exited, before the handshake or while in use. */
export class PluginExitedError extends PluginError {
  constructor(
    message: string,
    /** Exit code, or null when the process was ended by a signal. */
    readonly exitCode: number | null,
    /** The signal that ended the process, or null. */
    readonly signal: NodeJS.Signals | null,
    options: PluginErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Describes how a process ended, e.g. "exit code 3" or "signal SIGKILL". */
export function describeExit(exitCode: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `signal ${signal}`;
  return `exit code ${exitCode ?? "unknown"}`;
}

function withStderrTail(message: string, tail: readonly string[]): string {
  if (tail.length === 0) return message;
  return `${message}\nLast lines the plugin wrote to stderr:\n${tail.map((line) => `  ${line}`).join("\n")}`;
}
