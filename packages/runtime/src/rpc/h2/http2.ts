/**
 * Which HTTP/2 the h2 engine runs on, and the part of a stream's surface its
 * calls use, which node:http2's streams and the runtime's own
 * (`rpc/http2/stream.ts`) both have.
 */
import type { OutgoingHttpHeaders } from "node:http2";

/**
 * The HTTP/2 an h2 engine connection runs on: `"js"`, the runtime's own
 * (`rpc/http2/`), or `"node"`, node:http2 (nghttp2).
 */
export type Http2Implementation = "js" | "node";

/** The HTTP/2 of h2 connections that do not choose: PLUGIN_H2_HTTP2=node for node:http2, else `"js"`. */
export function defaultHttp2(): Http2Implementation {
  return process.env.PLUGIN_H2_HTTP2 === "node" ? "node" : "js";
}

// biome-ignore lint/suspicious/noExplicitAny: listeners of node:http2's emitters and of the runtime's, whose events take different arguments.
export type Listener = (...args: any[]) => void;

/** What client and server streams share. */
interface H2Stream {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  write(chunk: Buffer, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: Buffer): unknown;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  close(code?: number): void;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
}

/** The members of a client stream a call uses (node:http2's `ClientHttp2Stream`, or the runtime's `Http2Stream`). */
export interface ClientStream extends H2Stream {
  readonly closed: boolean;
  readonly writableEnded: boolean;
  readonly rstCode?: number | undefined;
}

/** The members of a server stream a call uses (node:http2's `ServerHttp2Stream`, or the runtime's `Http2Stream`). */
export interface ServerStream extends H2Stream {
  respond(headers: OutgoingHttpHeaders, options?: { endStream?: boolean; waitForTrailers?: boolean }): void;
  sendTrailers(headers: OutgoingHttpHeaders): void;
  readonly headersSent: boolean;
  readonly session?: { readonly socket?: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined } } | undefined;
}
