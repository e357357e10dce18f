/**
 * node:http2, loaded on first use: connections on the runtime's own HTTP/2
 * (`rpc/http2/`) never need it, and compiling it is part of a plugin's start.
 */

import type * as Http2 from "node:http2";
import { createRequire } from "node:module";

let loaded: typeof Http2 | undefined;

/** The node:http2 module (required now if it was not yet). */
export function nodeHttp2(): typeof Http2 {
  loaded ??= createRequire(import.meta.url)("node:http2") as typeof Http2;
  return loaded;
}
