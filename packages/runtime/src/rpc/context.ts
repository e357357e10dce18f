/**
 * What a handler knows about the call it serves, and the bookkeeping that
 * keeps `signal` and the response metadata honest: the signal aborts exactly
 * once, when the client cancels, the deadline passes or the call ends,
 * whichever comes first.
 */
import type * as grpc from "@grpc/grpc-js";
import { Code } from "./code.js";
import { RpcError } from "./errors.js";
import { Metadata } from "./grpc-metadata.js";

/** The context given to every handler call. */
export interface CallContext {
  /** The metadata (headers) the client sent. */
  readonly requestMetadata: grpc.Metadata;
  /** When the client stops waiting, if it set a deadline. */
  readonly deadline: Date | undefined;
  /**
   * Aborts when the client cancels (reason: RpcError CANCELLED), the deadline
   * passes (RpcError DEADLINE_EXCEEDED) or the call ends (RpcError CANCELLED,
   * "the call has ended"). Pass it to whatever the handler waits on.
   */
  readonly signal: AbortSignal;
  /** The client's address, as grpc-js reports it (`host:port`, or `unknown` on some sockets). */
  readonly peer: string;
  /** The full method path, `/package.Service/Method`. */
  readonly method: string;
  /** Response headers: set them before the first response (or the status); they are sent with it. */
  readonly responseHeaders: grpc.Metadata;
  /** Response trailers: sent with the status, on success and on error. */
  readonly responseTrailers: grpc.Metadata;
}

/**
 * grpc-js cancels a call on the server when its deadline timer fires, and the
 * client resets the stream at its own deadline; both land within moments of
 * the deadline. A cancellation this close to the deadline is the deadline.
 */
const DEADLINE_SLACK_MS = 50;

/** The part of a grpc-js server call (of any kind) the context needs. */
interface ServerSurfaceCall {
  readonly cancelled: boolean;
  readonly metadata: grpc.Metadata;
  getPeer(): string;
  getPath(): string;
  getDeadline(): grpc.Deadline;
  sendMetadata(metadata: grpc.Metadata): void;
  once(event: "cancelled", listener: () => void): unknown;
}

/** @internal Per-call state of a server call: the context, its signal and what was sent. */
export class ServerCallState {
  readonly context: CallContext;
  // Made on first use of `context.signal`: most handlers never look at it, and an
  // AbortController aborted at the end of every call (with an RpcError and its stack)
  // costs more than the rest of this bookkeeping together.
  private controller: AbortController | undefined;
  private state: "running" | "cancelled" | "ended" = "running";
  /** The cancellation (client cancel or deadline), or the end's reason once someone needs it. */
  private reason: RpcError | undefined;
  private headersSent = false;

  constructor(private readonly call: ServerSurfaceCall) {
    const deadline = toDate(call.getDeadline());
    const state = this;
    this.context = {
      requestMetadata: call.metadata,
      deadline,
      get signal() {
        return state.signal();
      },
      peer: call.getPeer(),
      method: call.getPath(),
      responseHeaders: new Metadata(),
      responseTrailers: new Metadata(),
    };
    const onCancelled = () => {
      if (this.state !== "running") return;
      const expired = deadline !== undefined && Date.now() >= deadline.getTime() - DEADLINE_SLACK_MS;
      this.state = "cancelled";
      this.reason = expired
        ? new RpcError("the deadline of the call has passed", Code.DEADLINE_EXCEEDED)
        : new RpcError("the client cancelled the call", Code.CANCELLED);
      this.controller?.abort(this.reason);
    };
    if (call.cancelled) onCancelled();
    else call.once("cancelled", onCancelled);
  }

  /** Why the call stopped early (client cancel or deadline), or undefined if it did not. */
  get cancellation(): RpcError | undefined {
    return this.state === "cancelled" ? this.reason : undefined;
  }

  /** True once the call was cancelled, timed out or ended: nothing more can be sent. */
  get done(): boolean {
    return this.state !== "running";
  }

  /** Sends the response headers, once (before the first message). */
  sendHeaders(): void {
    if (this.headersSent || this.done) return;
    this.headersSent = true;
    this.call.sendMetadata(this.context.responseHeaders);
  }

  /** Sends the response headers before an error status, if the handler set any. */
  sendHeadersIfSet(): void {
    if (Object.keys(this.context.responseHeaders.getMap()).length > 0) this.sendHeaders();
  }

  /** The error status for `error` with the context's trailers, headers sent first if set. */
  errorStatus(error: unknown): grpc.StatusObject {
    this.sendHeadersIfSet();
    return RpcError.from(error).toStatus(this.context.responseTrailers);
  }

  /** Marks the call ended (aborting the signal if nothing else did). */
  end(): void {
    if (this.state !== "running") return;
    this.state = "ended";
    if (this.controller) this.controller.abort((this.reason = endReason()));
  }

  private signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.state !== "running") this.controller.abort((this.reason ??= endReason()));
    }
    return this.controller.signal;
  }
}

function endReason(): RpcError {
  return new RpcError("the call has ended", Code.CANCELLED);
}

function toDate(deadline: grpc.Deadline): Date | undefined {
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}
