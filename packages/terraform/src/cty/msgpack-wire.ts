/**
 * How cty values meet @msgpack/msgpack: the shared encoder and decoder settings (extensions kept
 * as ExtData, int64 as bigint, map keys escaped and cached), maps written in a chosen key order,
 * and descriptions of wire values for error messages.
 */
import { Decoder, Encoder, ExtData, ExtensionCodec } from "@msgpack/msgpack";
import { CtyError, type ValuePath } from "./errors.js";
import { CtyNumber } from "./number.js";

/** Leaves every extension, the timestamp one (-1) included, as ExtData: all mean "unknown" here. */
export const extensionCodec = new ExtensionCodec();
extensionCodec.register({ type: -1, encode: () => null, decode: (data, type) => new ExtData(type, data) });

export const utf8 = new TextEncoder();
export const utf8Decoder = new TextDecoder();

/**
 * @msgpack/msgpack refuses a map key `__proto__` (a legitimate Terraform map key), so keys are
 * escaped on the way in: `__proto__` and keys starting with the escape character get one
 * escape character in front, which {@link unescapeKey} removes. Short keys are cached (the
 * same attribute names repeat throughout a state), as the library's own key decoder does.
 */
const KEY_ESCAPE = "\u0001";
const PROTO_KEY = "__proto__";
const MAX_CACHED_KEY_BYTES = 24;
const keyCache: { bytes: Uint8Array; key: string }[][] = Array.from({ length: MAX_CACHED_KEY_BYTES + 1 }, () => []);

function escapeKey(key: string): string {
  return key === PROTO_KEY || key.startsWith(KEY_ESCAPE) ? KEY_ESCAPE + key : key;
}

/** A decoded map key as it was on the wire. */
export function unescapeKey(key: string): string {
  return key.startsWith(KEY_ESCAPE) ? key.slice(1) : key;
}

/** cty maps and objects have string keys only (the library would also take integers). */
function stringKeysOnly(key: unknown): string {
  if (typeof key !== "string") throw new Error(`map keys must be strings, got ${typeof key} ${String(key)}`);
  return key;
}

const escapingKeyDecoder = {
  canBeCached: () => true,
  decode(bytes: Uint8Array, offset: number, length: number): string {
    if (length > MAX_CACHED_KEY_BYTES) return escapeKey(utf8Decoder.decode(bytes.subarray(offset, offset + length)));
    const bucket = keyCache[length]!;
    search: for (const record of bucket) {
      for (let i = 0; i < length; i++) if (record.bytes[i] !== bytes[offset + i]) continue search;
      return record.key;
    }
    const key = escapeKey(utf8Decoder.decode(bytes.subarray(offset, offset + length)));
    if (bucket.length >= 64) bucket.shift();
    bucket.push({ bytes: bytes.slice(offset, offset + length), key });
    return key;
  },
};

/** An encoder writing bigints as (u)int64 and ExtData as extensions. */
export function newEncoder(): Encoder {
  return new Encoder({ useBigInt64: true, extensionCodec });
}

/** A decoder for cty values: keys escaped (see {@link unescapeKey}), string keys only, int64 as bigint. */
export function newValueDecoder(): Decoder {
  return new Decoder({ useBigInt64: true, extensionCodec, keyDecoder: escapingKeyDecoder, mapKeyConverter: stringKeysOnly });
}

/** A decoder for extension payloads (plain keys). */
export function newPayloadDecoder(): Decoder {
  return new Decoder({ useBigInt64: true, extensionCodec });
}

/** Property names JavaScript enumerates before all others, in numeric order (array indices). */
const INDEX_LIKE = /^(?:0|[1-9]\d{0,9})$/;

/**
 * A map @msgpack/msgpack writes with its keys in exactly the given order. A plain object keeps
 * insertion order except for index-like keys ("0", "10"), which JavaScript lists first; only
 * then is a Proxy needed.
 */
export function orderedMap(keys: readonly string[], values: readonly unknown[], plainSafe = keysKeepOrder(keys)): object {
  if (plainSafe) {
    // An ordinary object literal: fast properties (Object.create(null) objects are dictionaries).
    const result: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) result[keys[i]!] = values[i];
    return result;
  }
  const byKey = new Map(keys.map((k, i) => [k, values[i]]));
  return new Proxy(Object.create(null) as object, {
    ownKeys: () => [...keys],
    getOwnPropertyDescriptor: (_, key) =>
      typeof key === "string" && byKey.has(key) ? { value: byKey.get(key), enumerable: true, configurable: true, writable: false } : undefined,
    get: (_, key) => (typeof key === "string" ? byKey.get(key) : undefined),
  });
}

/** Whether a plain object would keep these keys in insertion order (and as own properties). */
export function keysKeepOrder(keys: readonly string[]): boolean {
  return !keys.some((k) => k === "__proto__" || INDEX_LIKE.test(k));
}

/** A short description of a value (ours or the library's) for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof CtyNumber) return `number ${value.toString()}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value instanceof ExtData) return `msgpack extension ${value.type}`;
  if (value instanceof Map) return "a Map";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

export function mismatch(expected: string, value: unknown, path: ValuePath): CtyError {
  return new CtyError(`${expected} is required, got ${describe(value)}`, path);
}
