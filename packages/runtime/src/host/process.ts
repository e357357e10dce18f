/**
 * The plugin child process, as seen by the host: spawn it with the go-plugin
 * environment, read its handshake line from stdout within the start timeout,
 * read its stderr line by line (logs, and a tail for error messages), and
 * know how it ended.
 */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describeExit, HandshakeError, PluginExitedError, StartTimeoutError, TransportError } from "../errors.js";

/** How many stderr lines error messages quote. */
const STDERR_TAIL_LINES = 20;

/** Options of {@link launchPlugin}. */
export interface LaunchOptions {
  command: string;
  args: readonly string[];
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  stdin: "inherit" | "ignore";
  startTimeoutMs: number;
  /** Each stderr line, in order. */
  onStderrLine: (line: string) => void;
}

/** A running plugin process. */
export class PluginProcess {
  private readonly tail: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderrEnded: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    onStderrLine: (line: string) => void,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    const stderr = createInterface({ input: child.stderr as NodeJS.ReadableStream, crlfDelay: Number.POSITIVE_INFINITY });
    this.stderrEnded = new Promise((resolve) => stderr.once("close", () => resolve()));
    stderr.on("line", (line) => {
      this.tail.push(line);
      if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
      onStderrLine(line);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last stderr lines (at most 20). */
  get stderrTail(): readonly string[] {
    return [...this.tail];
  }

  /** How the process ended, once it has. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  /** Resolves when the process has exited. */
  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /** Waits up to `ms` for the process to exit; true if it did. */
  async exitsWithin(ms: number): Promise<boolean> {
    if (this.exitInfo) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** SIGKILLs the process (if still running) and waits for it. */
  async kill(): Promise<void> {
    // A command that could not be spawned (ENOENT, EACCES) has no pid and never emits "exit".
    if (this.child.pid === undefined) return;
    this.killGroup();
    await this.exited;
  }

  /**
   * SIGKILLs the plugin's process group: the plugin runs in a group of its
   * own, so a launcher script (`sh -c ...`) does not leave its children behind.
   * Synchronous, so it can run in an exit handler.
   */
  killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // The group is gone already; make sure the process itself is.
      if (!this.exitInfo) this.child.kill("SIGKILL");
    }
  }

  /** Waits (bounded) for stderr to be read to its end, so error messages quote all of it. */
  async settleStderr(ms = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.stderrEnded, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** An error saying the process exited, quoting its stderr. */
  exitedError(context: string): PluginExitedError {
    const { code = null, signal = null } = this.exitInfo ?? {};
    return new PluginExitedError(`${context}: plugin exited with ${describeExit(code, signal)}`, code, signal, {
      stderrTail: this.stderrTail,
    });
  }
}

/**
 * Spawns the plugin and waits for its handshake line. On any failure the
 * process is killed before the error is thrown.
 */
export async function launchPlugin(options: LaunchOptions): Promise<{ process: PluginProcess; line: string }> {
  const stdio: StdioOptions = [options.stdin, "pipe", "pipe"];
  let child: ChildProcess;
  try {
    // A process group of its own: closing the plugin can end everything it started, and a
    // Ctrl-C in the host's terminal is the host's to handle (go-plugin plugins ignore it anyway).
    child = spawn(options.command, [...options.args], { cwd: options.cwd, env: options.env, stdio, detached: true });
  } catch (cause) {
    throw new TransportError(`could not start plugin ${options.command}: ${(cause as Error).message}`, { cause });
  }
  const plugin = new PluginProcess(child, options.onStderrLine);
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));

  const stdout = createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Number.POSITIVE_INFINITY });
  const firstLine = new Promise<string | undefined>((resolve) => {
    stdout.once("line", resolve);
    stdout.once("close", () => resolve(undefined));
  });
  // go-plugin reads only the first line; later stdout lines are drained and dropped.
  stdout.on("line", () => {});

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.startTimeoutMs);
  });
  const outcome = await Promise.race([
    firstLine.then((line) => ({ kind: "line" as const, line })),
    spawnError.then((error) => ({ kind: "spawn-error" as const, error })),
    plugin.waitForExit().then(() => ({ kind: "exit" as const })),
    timeout.then(() => ({ kind: "timeout" as const })),
  ]);
  clearTimeout(timer);

  const fail = async (error: (tail: readonly string[]) => Error): Promise<never> => {
    await plugin.kill().catch(() => undefined);
    await plugin.settleStderr();
    throw error(plugin.stderrTail);
  };

  switch (outcome.kind) {
    case "line":
      if (outcome.line !== undefined) return { process: plugin, line: outcome.line };
      // stdout closed without a line: the process is exiting (wait for its status) or closed stdout itself.
      if (await plugin.exitsWithin(2000)) {
        await plugin.settleStderr();
        throw plugin.exitedError("plugin exited before we could connect (no handshake line on stdout)");
      }
      return fail((stderrTail) => new HandshakeError("Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout", { stderrTail }));
    case "spawn-error":
      return fail(
        (stderrTail) => new TransportError(`could not start plugin ${options.command}: ${outcome.error.message}`, { cause: outcome.error, stderrTail }),
      );
    case "exit": {
      // The exit may be seen before readline delivers a line the plugin printed just before exiting.
      const late = await Promise.race([firstLine, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500))]);
      if (late !== undefined) return { process: plugin, line: late };
      await plugin.settleStderr();
      throw plugin.exitedError("plugin exited before we could connect (no handshake line on stdout)");
    }
    case "timeout":
      return fail(
        (stderrTail) =>
          new StartTimeoutError(
            `timeout while waiting for plugin to start: no handshake line on stdout within ${options.startTimeoutMs} ms ` +
              "(raise startTimeoutMs if the plugin is slow to start)",
            { stderrTail },
          ),
      );
  }
}
