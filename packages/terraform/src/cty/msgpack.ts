/**
 * cty's msgpack encoding, the one Terraform uses for `DynamicValue.msgpack` (go-cty `cty/msgpack`;
 * Terraform's docs/plugin-protocol/object-wire-format.md). The bytes are what go-cty writes for
 * the same value: objects as maps with one entry per attribute in sorted order, numbers as the
 * smallest int when integral and in int64 range, float64 when fractional and exactly a double,
 * else decimal text; unknowns as extension 0 (`d4 00 00`) or 12 (refined); dynamic values as
 * `[type JSON as bin, value]`.
 *
 * The msgpack itself is read and written by @msgpack/msgpack; this module maps cty values onto
 * its JavaScript forms, driven by the type.
 */
import { Decoder, Encoder, ExtData, ExtensionCodec } from "@msgpack/msgpack";
import { CtyError, ValuePath } from "./errors.js";
import { CtyNumber, canonicalNumber, parseNumberValue, toCtyNumber } from "./number.js";
import { type CtyType, compareStrings, containsDynamic, objectAttributeNames, typeFromJson, typeName, typeToJson, withoutOptionalAttributes } from "./types.js";
import { Unknown, type NumberBound, type UnknownRefinements } from "./unknown.js";
import { type CtyDynamic, type CtyObjectValue, type CtyValue, attributeOf, checkConsistentElements, entriesOf, isObjectValue, isWhollyKnown, typedDynamicElements } from "./values.js";

/** Extension code of a plain unknown value. */
const UNKNOWN_EXT = 0;
/** Extension code of an unknown value with refinements. */
const REFINED_UNKNOWN_EXT = 12;
/** go-cty refuses refinement payloads larger than this. */
const MAX_REFINEMENTS_BYTES = 1024;
/** go-cty keeps at most this many bytes of a string prefix refinement. */
const MAX_PREFIX_BYTES = 256;

const REFINE_NULLNESS = 1;
const REFINE_STRING_PREFIX = 2;
const REFINE_NUMBER_MIN = 3;
const REFINE_NUMBER_MAX = 4;
const REFINE_LENGTH_MIN = 5;
const REFINE_LENGTH_MAX = 6;

/** Leaves every extension, the timestamp one (-1) included, as ExtData: all mean "unknown" here. */
const extensionCodec = new ExtensionCodec();
extensionCodec.register({ type: -1, encode: () => null, decode: (data, type) => new ExtData(type, data) });

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

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

function unescapeKey(key: string): string {
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

function newEncoder(): Encoder {
  return new Encoder({ useBigInt64: true, extensionCodec });
}

/**
 * Encodes `value` as a cty msgpack value of `type`, byte-identical to go-cty's `msgpack.Marshal`
 * for the same value (set elements are sorted like go-cty for primitive element types).
 * `value` is a {@link CtyValue}, checked against `type` at run time (so values typed loosely,
 * e.g. `Record<string, unknown>`, are accepted); throws {@link CtyError} naming the path when
 * it does not conform.
 */
export function encodeMsgpack(value: unknown, type: CtyType): Uint8Array {
  const tree = toTree(value as CtyValue, type, new ValuePath());
  return newEncoder().encode(tree);
}

/**
 * Decodes a cty msgpack value of `type`. Accepts every form go-cty accepts (all int widths,
 * float32/64 and decimal strings for numbers, str or bin for strings, any extension as unknown)
 * and returns values in the forms of {@link CtyValue}; refinements of unknowns are kept.
 *
 * Extensions: any extension of at most one byte, and any extension other than 12, is a plain
 * unknown (go-cty refuses longer extensions of other codes; Terraform sends only 0 and 12);
 * extension 12 carries refinements (at most 1024 bytes, as go-cty), and where they leave a
 * single possibility (e.g. a non-null list of exactly 2 elements) the result is that value, as
 * go-cty makes it.
 */
export function decodeMsgpack(bytes: Uint8Array, type: CtyType): CtyValue {
  let tree: unknown;
  try {
    tree = new Decoder({ useBigInt64: true, extensionCodec, keyDecoder: escapingKeyDecoder, mapKeyConverter: stringKeysOnly }).decode(bytes);
  } catch (error) {
    throw new CtyError(`malformed msgpack: ${error instanceof Error ? error.message : String(error)}`, "", { cause: error });
  }
  return fromTree(tree, type, new ValuePath());
}

// ---------------------------------------------------------------------------------------------
// Encoding: cty value → the JavaScript shape @msgpack/msgpack writes as go-cty would.

/** Property names JavaScript enumerates before all others, in numeric order (array indices). */
const INDEX_LIKE = /^(?:0|[1-9]\d{0,9})$/;

/**
 * A map @msgpack/msgpack writes with its keys in exactly the given order. A plain object keeps
 * insertion order except for index-like keys ("0", "10"), which JavaScript lists first; only
 * then is a Proxy needed.
 */
function orderedMap(keys: readonly string[], values: readonly unknown[], plainSafe = keysKeepOrder(keys)): object {
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
function keysKeepOrder(keys: readonly string[]): boolean {
  return !keys.some((k) => k === "__proto__" || INDEX_LIKE.test(k));
}

const attributeOrderSafe = new WeakMap<readonly string[], boolean>();

function describe(value: unknown): string {
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

function mismatch(expected: string, value: unknown, path: ValuePath): CtyError {
  return new CtyError(`${expected} is required, got ${describe(value)}`, path);
}

/** NFC, as cty stores strings; ASCII (the common case) is already NFC. */
function nfc(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range
  return /^[\x00-\x7f]*$/.test(s) ? s : s.normalize("NFC");
}

function toTree(value: CtyValue, type: CtyType, path: ValuePath): unknown {
  if (value === undefined) throw new CtyError(`a value of type ${typeName(type)} is required, got undefined (use null)`, path);
  if (type === "dynamic") return dynamicToTree(value, path);
  if (value instanceof Unknown) return unknownToTree(value, type, path);
  if (value === null) return null;
  switch (type) {
    case "string":
      if (typeof value !== "string") throw mismatch("a string", value, path);
      return nfc(value);
    case "number":
      if (typeof value !== "number" && typeof value !== "bigint" && !(value instanceof CtyNumber)) throw mismatch("a number", value, path);
      return numberToTree(value, path);
    case "bool":
      if (typeof value !== "boolean") throw mismatch("a bool", value, path);
      return value;
  }
  if (typeof type !== "object" || type === null) throw new CtyError(`not a cty type: ${String(type)}`, path);
  if ("list" in type || "set" in type || "tuple" in type) {
    if (!Array.isArray(value)) throw mismatch(`a ${typeName(type)}`, value, path);
    if ("tuple" in type) {
      const items = value as readonly CtyValue[];
      if (items.length !== type.tuple.length) {
        throw new CtyError(`a tuple of ${type.tuple.length} elements is required, got ${items.length}`, path);
      }
      return items.map((v, i) => element(v, type.tuple[i]!, i, path));
    }
    const elementType = "list" in type ? type.list : type.set;
    let items = value as readonly CtyValue[];
    if (containsDynamic(elementType)) {
      checkConsistentElements(items.map((v, i) => [i, v]), elementType, path);
      items = typedDynamicElements(items, elementType);
    }
    if ("list" in type) return items.map((v, i) => element(v, elementType, i, path));
    return setElements(items, elementType, path).map((e) => e.tree);
  }
  if (!isObjectValue(value)) throw mismatch(`a ${typeName(type)}`, value, path);
  if ("map" in type) {
    let entries = entriesOf(value);
    if (containsDynamic(type.map)) {
      checkConsistentElements(entries, type.map, path);
      const typed = typedDynamicElements(entries.map(([, v]) => v), type.map);
      entries = entries.map(([k], i) => [k, typed[i]!]);
    }
    entries = entries.map(([k, v]) => [nfc(k), v]);
    entries.sort(([a], [b]) => compareStrings(a, b));
    return orderedMap(
      entries.map(([k]) => k),
      entries.map(([k, v]) => element(v, type.map, k, path)),
    );
  }
  if (!("object" in type)) throw new CtyError(`not a cty type: ${JSON.stringify(type)}`, path);
  const names = objectAttributeNames(type);
  const keys = value instanceof Map ? (value as ReadonlyMap<string, CtyValue>).keys() : Object.keys(value);
  for (const k of keys) {
    if (!Object.hasOwn(type.object, k)) {
      throw new CtyError(`unsupported attribute ${JSON.stringify(k)} (the object type has ${names.map((n) => JSON.stringify(n)).join(", ") || "no attributes"})`, path);
    }
  }
  const values = names.map((name) => {
    path.attr(name);
    const tree = toTree(attributeOf(value, name) ?? null, type.object[name]!, path);
    path.pop();
    return tree;
  });
  let safe = attributeOrderSafe.get(names);
  if (safe === undefined) {
    safe = keysKeepOrder(names);
    attributeOrderSafe.set(names, safe);
  }
  return orderedMap(names, values, safe);
}

function element(value: CtyValue, type: CtyType, key: string | number, path: ValuePath): unknown {
  path.index(key);
  const tree = toTree(value, type, path);
  path.pop();
  return tree;
}

function dynamicToTree(value: CtyValue, path: ValuePath): unknown {
  if (value === null) return null;
  if (value instanceof Unknown) return new ExtData(UNKNOWN_EXT, new Uint8Array([0]));
  if (!isObjectValue(value) || value instanceof Map || !Object.hasOwn(value, "type") || !Object.hasOwn(value, "value")) {
    throw mismatch("a dynamic value { type, value }", value, path);
  }
  const { type, value: inner } = value as unknown as CtyDynamic;
  if (type === "dynamic") throw new CtyError("a dynamic value's type must be a concrete type, not dynamic", path);
  // The value's own type: optional-attribute markers are for constraints (go-cty never writes them here).
  return [utf8.encode(typeToJson(withoutOptionalAttributes(type))), toTree(inner, type, path)];
}

function numberToTree(value: number | bigint | CtyNumber, path: ValuePath): unknown {
  if (typeof value === "number") {
    // Fast paths: what @msgpack/msgpack writes for these is what go-cty writes.
    if (Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 32) return value === 0 ? 0 : value;
    if (!Number.isInteger(value) && Number.isFinite(value)) return value; // float64
  }
  let n: CtyNumber | number;
  try {
    n = toCtyNumber(value);
  } catch (error) {
    throw new CtyError((error as Error).message, path);
  }
  if (typeof n === "number") return n; // ±Infinity: float64, as go-cty writes it
  if (n.fitsInt64()) {
    const i = n.toBigInt();
    // go-cty writes the smallest int form; @msgpack/msgpack does for safe integers below 2^32
    // and writes bigints as (u)int64, which is go-cty's form for everything larger.
    return i >= -(2n ** 31n) && i < 2n ** 32n ? Number(i) : i;
  }
  if (!n.isInteger()) {
    const x = n.exactDouble();
    if (x !== undefined) return x; // written as float64 (a non-integral JS number)
  }
  return n.toString();
}

/**
 * @internal A set's elements as go-cty holds them: each wholly known value once (equal values,
 * such as `1` and `CtyNumber.parse("1.0")`, are one), primitives sorted as go-cty sorts them.
 * Returns the values with their msgpack trees (each element checked against `elementType`).
 */
export function setElements(items: readonly CtyValue[], elementType: CtyType, path: ValuePath): { value: CtyValue; tree: unknown }[] {
  const elements: { value: CtyValue; tree: unknown }[] = [];
  const seen = new Set<string>();
  const encoder = newEncoder();
  items.forEach((v, i) => {
    const tree = element(v, elementType, i, path);
    if (v !== null && isWhollyKnown(v)) {
      const key = Buffer.from(encoder.encode(tree)).toString("latin1");
      if (seen.has(key)) return;
      seen.add(key);
    }
    elements.push({ value: v, tree });
  });
  if (elementType === "string" || elementType === "number" || elementType === "bool") {
    elements.sort((a, b) => comparePrimitive(a.value, b.value));
  }
  return elements;
}

/** go-cty's order of primitive set elements: known values by value, then unknowns, then nulls. */
function comparePrimitive(a: CtyValue, b: CtyValue): number {
  const rank = (v: CtyValue) => (v === null ? 2 : v instanceof Unknown ? 1 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== 0 || rb !== 0) return ra - rb;
  if (typeof a === "string" && typeof b === "string") return compareStrings(nfc(a), nfc(b));
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const na = toCtyNumber(a as number | bigint | CtyNumber);
  const nb = toCtyNumber(b as number | bigint | CtyNumber);
  if (typeof na === "number" || typeof nb === "number") {
    const xa = typeof na === "number" ? na : 0;
    const xb = typeof nb === "number" ? nb : 0;
    return xa === xb ? 0 : xa < xb ? -1 : 1;
  }
  return na.compare(nb);
}

function unknownToTree(value: Unknown, type: CtyType, path: ValuePath): ExtData {
  const plain = new ExtData(UNKNOWN_EXT, new Uint8Array([0]));
  const r = value.refinements;
  const isCollection = typeof type === "object" && ("list" in type || "set" in type || "map" in type);
  if (r.stringPrefix !== undefined && r.stringPrefix !== "" && type !== "string") {
    throw new CtyError(`a string prefix refinement needs a string type, not ${typeName(type)}`, path);
  }
  if ((r.numberLower !== undefined || r.numberUpper !== undefined) && type !== "number") {
    throw new CtyError(`a number bound refinement needs a number type, not ${typeName(type)}`, path);
  }
  if ((r.lengthLower !== undefined || r.lengthUpper !== undefined) && !isCollection) {
    throw new CtyError(`a length refinement needs a list, set or map type, not ${typeName(type)}`, path);
  }
  if (value.rawRefinements !== undefined) return new ExtData(REFINED_UNKNOWN_EXT, value.rawRefinements);

  const entries: [number, unknown][] = [];
  if (r.nullable === false) entries.push([REFINE_NULLNESS, false]);
  if (type === "number") {
    if (r.numberLower !== undefined && r.numberLower.value !== -Infinity) entries.push([REFINE_NUMBER_MIN, boundToTree(r.numberLower, path)]);
    if (r.numberUpper !== undefined && r.numberUpper.value !== Infinity) entries.push([REFINE_NUMBER_MAX, boundToTree(r.numberUpper, path)]);
  } else if (type === "string" && r.stringPrefix !== undefined && r.stringPrefix !== "") {
    entries.push([REFINE_STRING_PREFIX, truncatePrefix(nfc(r.stringPrefix))]);
  } else if (isCollection) {
    if (r.lengthLower !== undefined && r.lengthLower !== 0) entries.push([REFINE_LENGTH_MIN, lengthBound(r.lengthLower, path)]);
    if (r.lengthUpper !== undefined) entries.push([REFINE_LENGTH_MAX, lengthBound(r.lengthUpper, path)]);
  }
  if (entries.length === 0) return plain;
  // The payload is a map with integer keys (go-cty's order, as pushed above). @msgpack/msgpack
  // writes object keys only as strings, so the header is written here: a fixmap (at most 4 entries).
  const encoder = newEncoder();
  const parts: Uint8Array[] = [new Uint8Array([0x80 | entries.length])];
  for (const [k, v] of entries) parts.push(encoder.encode(k), encoder.encode(v));
  return new ExtData(REFINED_UNKNOWN_EXT, Buffer.concat(parts));
}

function boundToTree(bound: NumberBound, path: ValuePath): unknown[] {
  return [numberToTree(bound.value, path), bound.inclusive];
}

function lengthBound(n: number, path: ValuePath): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new CtyError(`a length refinement must be a non-negative integer, got ${n}`, path);
  return n;
}

/** go-cty keeps at most 255 bytes of a long prefix; this cuts at a character boundary (go-cty may drop one more character). */
function truncatePrefix(prefix: string): string {
  const bytes = utf8.encode(prefix);
  if (bytes.length <= MAX_PREFIX_BYTES) return prefix;
  let end = MAX_PREFIX_BYTES - 1;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return utf8Decoder.decode(bytes.subarray(0, end));
}

// ---------------------------------------------------------------------------------------------
// Decoding: @msgpack/msgpack's JavaScript result → cty value, driven by the type.

function fromTree(tree: unknown, type: CtyType, path: ValuePath): CtyValue {
  if (tree instanceof ExtData) return unknownFromExt(tree, type, path);
  if (type === "dynamic") return dynamicFromTree(tree, path);
  if (tree === null || tree === undefined) return null;
  switch (type) {
    case "string":
      if (typeof tree === "string") return nfc(tree);
      if (tree instanceof Uint8Array) return nfc(utf8Decoder.decode(tree));
      throw mismatch("a string", tree, path);
    case "bool":
      if (typeof tree !== "boolean") throw mismatch("a bool", tree, path);
      return tree;
    case "number":
      return numberFromTree(tree, path);
  }
  if ("list" in type || "set" in type || "tuple" in type) {
    if (!Array.isArray(tree)) throw mismatch(`a ${typeName(type)}`, tree, path);
    if ("tuple" in type) {
      if (tree.length !== type.tuple.length) throw new CtyError(`a tuple of ${type.tuple.length} elements is required, got ${tree.length}`, path);
      for (let i = 0; i < tree.length; i++) tree[i] = elementFrom(tree[i], type.tuple[i]!, i, path);
      return tree as CtyValue[];
    }
    // The library's array is ours: fill it in place rather than allocate another.
    const elementType = "list" in type ? type.list : type.set;
    for (let i = 0; i < tree.length; i++) tree[i] = elementFrom(tree[i], elementType, i, path);
    return tree as CtyValue[];
  }
  if (typeof tree !== "object" || Array.isArray(tree) || tree instanceof Uint8Array) throw mismatch(`a ${typeName(type)}`, tree, path);
  const source = tree as Record<string, unknown>;
  const result: Record<string, CtyValue> = Object.create(null);
  let count = 0;
  if ("map" in type) {
    for (const k in source) {
      const key = nfc(unescapeKey(k));
      result[key] = elementFrom(source[k], type.map, key, path);
    }
    return result as CtyObjectValue;
  }
  if (!("object" in type)) throw new CtyError(`not a cty type: ${JSON.stringify(type)}`, path);
  for (const k in source) {
    const name = unescapeKey(k);
    path.attr(name);
    if (!Object.hasOwn(type.object, name)) throw new CtyError("unsupported attribute", path);
    result[name] = fromTree(source[k], type.object[name]!, path);
    path.pop();
    count++;
  }
  const expected = Object.keys(type.object).length;
  if (count !== expected) throw new CtyError(`an object with ${expected} attributes is required (${count} given)`, path);
  return result as CtyObjectValue;
}


function elementFrom(tree: unknown, type: CtyType, key: string | number, path: ValuePath): CtyValue {
  path.index(key);
  const value = fromTree(tree, type, path);
  path.pop();
  return value;
}

function numberFromTree(tree: unknown, path: ValuePath): number | CtyNumber {
  if (typeof tree === "number") {
    if (Number.isNaN(tree)) throw new CtyError("a number is required, got NaN", path);
    return tree === 0 ? 0 : tree; // -0 is 0 in cty
  }
  if (typeof tree === "bigint") return canonicalNumber(CtyNumber.fromBigInt(tree));
  const text = typeof tree === "string" ? tree : tree instanceof Uint8Array ? utf8Decoder.decode(tree) : undefined;
  if (text === undefined) throw mismatch("a number", tree, path);
  try {
    return parseNumberValue(text);
  } catch (error) {
    throw new CtyError(`a number is required, got ${describe(text)}`, path, { cause: error });
  }
}

function dynamicFromTree(tree: unknown, path: ValuePath): CtyValue {
  if (tree === null || tree === undefined) return null;
  if (!Array.isArray(tree) || tree.length !== 2) {
    throw new CtyError(`a dynamic value must be a 2-element array [type, value], got ${describe(tree)}`, path);
  }
  const [typeBytes, inner] = tree as [unknown, unknown];
  if (typeof typeBytes !== "string" && !(typeBytes instanceof Uint8Array)) {
    throw new CtyError(`a dynamic value's type must be JSON bytes, got ${describe(typeBytes)}`, path);
  }
  let type: CtyType;
  try {
    type = typeFromJson(typeBytes);
  } catch (error) {
    throw new CtyError((error as Error).message, path, { cause: error });
  }
  return { type, value: fromTree(inner, type, path) };
}

function unknownFromExt(ext: ExtData, type: CtyType, path: ValuePath): CtyValue {
  const data = ext.data as Uint8Array;
  if (type === "dynamic" || data.length <= 1 || ext.type !== REFINED_UNKNOWN_EXT) return Unknown.plain;
  if (data.length > MAX_REFINEMENTS_BYTES) {
    throw new CtyError(`oversize unknown value refinement (${data.length} bytes; at most ${MAX_REFINEMENTS_BYTES})`, path);
  }
  let payload: unknown;
  try {
    payload = new Decoder({ useBigInt64: true, extensionCodec }).decode(data);
  } catch (error) {
    throw new CtyError(`malformed unknown value refinements: ${(error as Error).message}`, path, { cause: error });
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload) || payload instanceof Uint8Array) {
    throw new CtyError("malformed unknown value refinements: not a map", path);
  }
  const refinements: { -readonly [K in keyof UnknownRefinements]: UnknownRefinements[K] } = {};
  const bad = (what: string) => new CtyError(`malformed unknown value refinements: ${what}`, path);
  const isCollection = typeof type === "object" && ("list" in type || "set" in type || "map" in type);
  for (const [key, value] of Object.entries(payload)) {
    const code = Number(key);
    if (!Number.isInteger(code)) throw bad("non-integer key in map");
    switch (code) {
      case REFINE_NULLNESS:
        if (typeof value !== "boolean") throw bad("null refinement is not boolean");
        if (value) return null; // "definitely null" is a known null, as go-cty makes it
        refinements.nullable = false;
        break;
      case REFINE_STRING_PREFIX:
        if (type !== "string") throw bad("string prefix refinement for non-string type");
        if (typeof value !== "string") throw bad("string prefix refinement is not string");
        if (value !== "") refinements.stringPrefix = value;
        break;
      case REFINE_LENGTH_MIN:
      case REFINE_LENGTH_MAX: {
        if (!isCollection) throw bad("length bound refinement for non-collection type");
        const n = typeof value === "bigint" ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) throw bad("length bound refinement must be an integer");
        if (code === REFINE_LENGTH_MIN) refinements.lengthLower = n;
        else refinements.lengthUpper = n;
        break;
      }
      case REFINE_NUMBER_MIN:
      case REFINE_NUMBER_MAX: {
        if (type !== "number") throw bad("numeric bound refinement for non-number type");
        if (!Array.isArray(value) || value.length !== 2 || typeof value[1] !== "boolean" || value[0] === null) {
          throw bad("number bound refinement must be a [number, bool] array");
        }
        const bound = { value: numberFromTree(value[0], path), inclusive: value[1] };
        if (code === REFINE_NUMBER_MIN) refinements.numberLower = bound;
        else refinements.numberUpper = bound;
        break;
      }
      default:
        break; // refinements added after this codec was written are ignored, as go-cty does
    }
  }
  if (Object.keys(refinements).length === 0) return Unknown.plain;
  return narrowedValue(refinements, type) ?? Unknown.create(refinements, data.slice());
}

/**
 * go-cty turns a non-null unknown whose refinements leave a single possibility into that value
 * (a number between equal inclusive bounds, an empty collection, a list of n unknowns, a set of
 * one unknown); the decoder does the same, so that both sides hold the same value.
 */
function narrowedValue(r: UnknownRefinements, type: CtyType): CtyValue | undefined {
  if (r.nullable !== false) return undefined;
  if (type === "number") {
    const lo = r.numberLower;
    const hi = r.numberUpper;
    if (lo === undefined || hi === undefined || !lo.inclusive || !hi.inclusive) return undefined;
    const a = toCtyNumber(lo.value);
    const b = toCtyNumber(hi.value);
    const equal = typeof a === "number" || typeof b === "number" ? a === b : a.equals(b);
    return equal ? lo.value : undefined;
  }
  if (typeof type !== "object" || r.lengthUpper === undefined || (r.lengthLower ?? 0) !== r.lengthUpper) return undefined;
  const length = r.lengthUpper;
  if (length === 0) return "map" in type ? (Object.create(null) as CtyObjectValue) : "list" in type || "set" in type ? [] : undefined;
  if ("list" in type) return Array.from({ length }, () => Unknown.plain);
  if ("set" in type && length === 1) return [Unknown.plain];
  return undefined;
}
