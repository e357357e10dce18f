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
import { ExtData } from "@msgpack/msgpack";
import { CtyError, ValuePath } from "./errors.js";
import { numberFromTree, numberToTree } from "./msgpack-number.js";
import { plainUnknownExt, unknownFromExt, unknownToExt } from "./msgpack-unknown.js";
import { describe, keysKeepOrder, mismatch, newEncoder, newValueDecoder, orderedMap, unescapeKey, utf8, utf8Decoder } from "./msgpack-wire.js";
import { CtyNumber, toCtyNumber } from "./number.js";
import { type CtyType, compareStrings, containsDynamic, objectAttributeNames, typeFromJson, typeName, typeToJson, withoutOptionalAttributes } from "./types.js";
import { Unknown } from "./unknown.js";
import {
  attributeOf,
  type CtyDynamic,
  type CtyObjectValue,
  type CtyValue,
  checkConsistentElements,
  entriesOf,
  isObjectValue,
  isWhollyKnown,
  nfc,
  typedDynamicElements,
} from "./values.js";

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
    tree = newValueDecoder().decode(bytes);
  } catch (error) {
    throw new CtyError(`malformed msgpack: ${error instanceof Error ? error.message : String(error)}`, "", { cause: error });
  }
  return fromTree(tree, type, new ValuePath());
}

// ---------------------------------------------------------------------------------------------
// Encoding: cty value → the JavaScript shape @msgpack/msgpack writes as go-cty would.

const attributeOrderSafe = new WeakMap<readonly string[], boolean>();

function toTree(value: CtyValue, type: CtyType, path: ValuePath): unknown {
  if (value === undefined) throw new CtyError(`a value of type ${typeName(type)} is required, got undefined (use null)`, path);
  if (type === "dynamic") return dynamicToTree(value, path);
  if (value instanceof Unknown) return unknownToExt(value, type, path);
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
      checkConsistentElements(
        items.map((v, i) => [i, v]),
        elementType,
        path,
      );
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
      const typed = typedDynamicElements(
        entries.map(([, v]) => v),
        type.map,
      );
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
      throw new CtyError(
        `unsupported attribute ${JSON.stringify(k)} (the object type has ${names.map((n) => JSON.stringify(n)).join(", ") || "no attributes"})`,
        path,
      );
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
  if (value instanceof Unknown) return plainUnknownExt();
  if (!isObjectValue(value) || value instanceof Map || !Object.hasOwn(value, "type") || !Object.hasOwn(value, "value")) {
    throw mismatch("a dynamic value { type, value }", value, path);
  }
  const { type, value: inner } = value as unknown as CtyDynamic;
  if (type === "dynamic") throw new CtyError("a dynamic value's type must be a concrete type, not dynamic", path);
  // The value's own type: optional-attribute markers are for constraints (go-cty never writes them here).
  return [utf8.encode(typeToJson(withoutOptionalAttributes(type))), toTree(inner, type, path)];
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
