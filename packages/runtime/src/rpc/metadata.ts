/**
 * Metadata given as a plain record. gRPC metadata keys are lower-case ASCII;
 * keys ending in `-bin` carry binary values (give them as Buffers).
 */
import type * as grpc from "@grpc/grpc-js";
import { Metadata } from "./grpc-metadata.js";

/** Metadata as a `grpc.Metadata` or a plain record of values. */
export type MetadataInit = grpc.Metadata | Record<string, string | Buffer | readonly (string | Buffer)[]>;

/**
 * Returns `init` as a fresh `grpc.Metadata` (a given `grpc.Metadata` is
 * cloned, so the caller's object is never changed).
 */
export function toMetadata(init: MetadataInit | undefined): grpc.Metadata {
  if (init === undefined) return new Metadata();
  if (init instanceof Metadata) return init.clone();
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(init)) {
    const values: readonly (string | Buffer)[] = typeof value === "string" || Buffer.isBuffer(value) ? [value] : value;
    for (const item of values) metadata.add(key, item);
  }
  return metadata;
}
