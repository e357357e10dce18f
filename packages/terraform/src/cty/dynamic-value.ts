/**
 * The protocol's `DynamicValue { bytes msgpack = 1; bytes json = 2; }`: Terraform sends msgpack,
 * and takes msgpack back; JSON appears where Terraform stored state as JSON.
 */
import { decodeJson } from "./json.js";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
import type { CtyType } from "./types.js";
import type { CtyValue } from "./values.js";

/** The fields of a tfplugin5/6 `DynamicValue` message. */
export interface DynamicValueFields {
  msgpack: Uint8Array;
  json: Uint8Array;
}

/**
 * Reads a `DynamicValue` of `type`: its msgpack when present, else its JSON. A message with
 * neither (both empty) is `null`, as Terraform treats an absent value.
 */
export function fromDynamicValue(message: Partial<DynamicValueFields> | undefined, type: CtyType): CtyValue {
  const msgpack = message?.msgpack;
  const json = message?.json;
  if (msgpack !== undefined && msgpack.length > 0) return decodeMsgpack(msgpack, type);
  if (json !== undefined && json.length > 0) return decodeJson(new TextDecoder().decode(json), type);
  return null;
}

/** A `DynamicValue` holding `value` as msgpack (what Terraform expects back). */
export function toDynamicValue(value: unknown, type: CtyType): DynamicValueFields {
  return { msgpack: encodeMsgpack(value, type), json: new Uint8Array(0) };
}
