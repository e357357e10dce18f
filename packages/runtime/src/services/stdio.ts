/**
 * plugin.GRPCStdio. From just after the magic-cookie check (so also while
 * loaders, `register()` and the first health check run, before the handshake
 * line), whatever the plugin writes through `process.stdout` /
 * `process.stderr` (console.* included) is captured, held until the host
 * opens StreamStdio, and streamed to it as `StdioData` chunks in write order,
 * instead of reaching the real file descriptors, where it would corrupt the
 * protocol (stdout) or be mistaken for log lines (stderr). The handshake line
 * and the plugin's own hclog logger use the real writes.
 *
 * Writes made directly to file descriptors 1/2 (fs.writeSync, child
 * processes inheriting stdio) bypass the capture. Output held from before
 * serve() (held-stdout.ts) comes first.
 */
import { create } from "@bufbuild/protobuf";
import { GRPCStdio, StdioData_Channel as StdioChannel, type StdioData, StdioDataSchema } from "../gen/plugin/grpc_stdio_pb.js";
import type { GRPCStdioHandler } from "../gen/plugin/grpc_stdio_rpcplugin.js";
import { Code } from "../rpc/code.js";
import { RpcError } from "../rpc/errors.js";
import { AsyncQueue } from "../util/async-queue.js";
import { takeHeldStdout } from "./held-stdout.js";

export { GRPCStdio, StdioChannel };

// Held for a host that has not opened StreamStdio yet; beyond this, output is dropped (and counted).
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

type Write = typeof process.stdout.write;

/** Captures process.stdout/stderr writes into a queue the StreamStdio handler drains. */
export class StdioCapture {
  private readonly queue = new AsyncQueue<StdioData>();
  private pendingBytes = 0;
  private droppedBytes = 0;
  private consumed = false;
  private restore: (() => void) | undefined;
  private held: Uint8Array[];

  /** The real writes, for the handshake line and the logger. */
  readonly realStdoutWrite: (chunk: string | Uint8Array) => boolean;
  readonly realStderrWrite: (chunk: string | Uint8Array) => boolean;

  constructor() {
    this.held = takeHeldStdout(); // first: it gives process.stdout its real write back
    const out = process.stdout.write.bind(process.stdout) as Write;
    const err = process.stderr.write.bind(process.stderr) as Write;
    this.realStdoutWrite = (chunk) => out(chunk);
    this.realStderrWrite = (chunk) => err(chunk);
  }

  /** Starts capturing. */
  start(): void {
    if (this.restore) return;
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    process.stdout.write = this.capture(StdioChannel.STDOUT);
    process.stderr.write = this.capture(StdioChannel.STDERR);
    for (const chunk of this.held) process.stdout.write(chunk);
    this.held = [];
    this.restore = () => {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
    };
  }

  /** Stops capturing and ends the stream after what is queued. */
  stop(): void {
    this.restore?.();
    this.restore = undefined;
    this.queue.end();
  }

  /**
   * Stops capturing and, unless a host already took the stream, writes what
   * is held to `write` instead, oldest first, ending with a newline (for a
   * start that failed: no host will ever read GRPCStdio).
   */
  stopAndFlush(write: (chunk: Uint8Array | string) => unknown): void {
    this.stop();
    if (this.consumed) return;
    const held = this.queue.drain();
    for (const item of held) write(item.data);
    const last = held.at(-1)?.data;
    if (last !== undefined && last.at(-1) !== 0x0a) write("\n");
  }

  /** Bytes dropped because no host consumed them in time. */
  get dropped(): number {
    return this.droppedBytes;
  }

  private capture(channel: StdioChannel): Write {
    return ((chunk: string | Uint8Array, encodingOrCallback?: unknown, maybeCallback?: unknown): boolean => {
      const encoding = typeof encodingOrCallback === "string" ? (encodingOrCallback as BufferEncoding) : "utf8";
      const callback = typeof encodingOrCallback === "function" ? encodingOrCallback : maybeCallback;
      const data = typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk);
      if (data.length > 0) {
        if (!this.consumed && this.pendingBytes + data.length > MAX_PENDING_BYTES) {
          this.droppedBytes += data.length;
        } else {
          this.pendingBytes += data.length;
          this.queue.push(create(StdioDataSchema, { channel, data }));
        }
      }
      if (typeof callback === "function") queueMicrotask(() => (callback as (error?: Error | null) => void)(null));
      return true;
    }) as Write;
  }

  /** The StreamStdio handler; only one host stream may consume the output. */
  readonly handler: GRPCStdioHandler = {
    streamStdio: (_request, context) => {
      if (this.consumed) {
        throw new RpcError("StreamStdio may be called only once per plugin process", Code.FAILED_PRECONDITION);
      }
      this.consumed = true;
      const queue = this.queue;
      const onAbort = () => queue.end();
      context.signal.addEventListener("abort", onAbort);
      return (async function* () {
        for await (const item of queue) yield item;
      })();
    },
  };
}
