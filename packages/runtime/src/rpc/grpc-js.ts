/**
 * `@grpc/grpc-js`, loaded when the grpc-js engine (or the broker, which
 * runs on it) is first used, not at import: a process on the h2 engine never
 * pays for loading it (about 60 ms of CPU at start-up, docs/benchmarks.md).
 */

import { createRequire } from "node:module";
import type * as GrpcJs from "@grpc/grpc-js";

let loaded: typeof GrpcJs | undefined;

/** Loads grpc-js (once); what {@link grpcJs} returns from then on. */
export async function loadGrpcJs(): Promise<typeof GrpcJs> {
  loaded ??= await import("@grpc/grpc-js");
  return loaded;
}

/**
 * grpc-js, for code that runs once it is loaded (credentials, interceptors
 * called by a grpc-js channel). A grpc-js channel of the user's own that runs
 * the runtime's interceptors has loaded grpc-js itself; it is then required
 * here synchronously.
 */
export function grpcJs(): typeof GrpcJs {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)("@grpc/grpc-js") as typeof GrpcJs;
    return loaded;
  } catch (error) {
    throw new Error(
      "@grpc/grpc-js is not loaded: await loadGrpcJs() (exported by @rpcplugin/runtime) before using the runtime's grpc-js credentials or interceptors",
      { cause: error },
    );
  }
}
