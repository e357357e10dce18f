/**
 * cty values in JavaScript. A value is read against its {@link CtyType}:
 *
 * | type | JavaScript |
 * |---|---|
 * | any, null | `null` |
 * | any, unknown | an {@link Unknown} (`unknown()`) |
 * | string | `string` (NFC-normalized, as cty stores strings) |
 * | number | `number` when exactly a double, else {@link CtyNumber}; `bigint` accepted on input |
 * | bool | `boolean` |
 * | list, set, tuple | array (a set's elements in any order; duplicates are dropped on encode) |
 * | map, object | plain object (decoders return null-prototype objects, so any key, `__proto__` included, is an own property); a `Map` is accepted on input |
 * | dynamic | {@link CtyDynamic} `{ type, value }`, or `null` / an unknown of unknown type |
 *
 * An object value lacking an attribute of its type is read as having `null` there.
 */

import { CtyError, indexPath, type ValuePath } from "./errors.js";
import { CtyNumber, toCtyNumber } from "./number.js";
import { type CtyType, containsDynamic, objectAttributeNames, typeEquals, typeName, typeToJson } from "./types.js";
import { Unknown } from "./unknown.js";

/** A cty value (see the module documentation for the mapping). */
export type CtyValue =
  | null
  | Unknown
  | string
  | number
  | bigint
  | CtyNumber
  | boolean
  | readonly CtyValue[]
  | CtyObjectValue
  | ReadonlyMap<string, CtyValue>
  | CtyDynamic;

/** A map or object value. */
export interface CtyObjectValue {
  readonly [key: string]: CtyValue;
}

/** A value of a dynamic (`"dynamic"`) type: the value with its actual type. */
export interface CtyDynamic {
  readonly type: CtyType;
  readonly value: CtyValue;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * @internal A string as cty holds it: NFC-normalized, lone surrogates (which UTF-8 cannot carry)
 * replaced by U+FFFD as UTF-8 encoding does. ASCII (the common case) is returned as is.
 */
export function nfc(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range
  return /^[\x00-\x7f]*$/.test(s) ? s : s.replace(LONE_SURROGATE, "\ufffd").normalize("NFC");
}

/** A value of dynamic type: `value` read as `type`. */
export function dynamic(type: CtyType, value: CtyValue): CtyDynamic {
  return { type, value };
}

/** @internal The entries of a map or object value (own enumerable keys, or a Map's entries). */
export function entriesOf(value: CtyObjectValue | ReadonlyMap<string, CtyValue>): [string, CtyValue][] {
  return value instanceof Map ? [...(value as ReadonlyMap<string, CtyValue>)] : Object.entries(value);
}

/** @internal One attribute of a map or object value, undefined when absent. */
export function attributeOf(value: CtyObjectValue | ReadonlyMap<string, CtyValue>, name: string): CtyValue | undefined {
  if (value instanceof Map) return (value as ReadonlyMap<string, CtyValue>).get(name);
  return Object.hasOwn(value, name) ? (value as CtyObjectValue)[name] : undefined;
}

/** @internal Whether `value` is a map or object value (a non-array object that is not a number, unknown or Map-less class). */
export function isObjectValue(value: CtyValue): value is CtyObjectValue | ReadonlyMap<string, CtyValue> {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value) || value instanceof Unknown || value instanceof CtyNumber) return false;
  return true;
}

/** Whether `value` contains no unknown at any depth. */
export function isWhollyKnown(value: unknown): boolean {
  if (value instanceof Unknown) return false;
  if (Array.isArray(value)) return value.every(isWhollyKnown);
  if (isObjectValue(value as CtyValue)) return entriesOf(value as CtyObjectValue).every(([, v]) => isWhollyKnown(v));
  return true;
}

/**
 * Whether two values of `type` are equal as cty sees them: numbers numerically (`1` equals
 * `CtyNumber.parse("1.0")`), sets regardless of order, absent object attributes as `null`,
 * unknowns equal when their refinements are.
 */
export function valuesEqual(a: unknown, b: unknown, type: CtyType): boolean {
  return equalValues(a as CtyValue, b as CtyValue, type);
}

function equalValues(a: CtyValue, b: CtyValue, type: CtyType): boolean {
  if (a === null || b === null) return a === b;
  if (a instanceof Unknown || b instanceof Unknown) {
    return a instanceof Unknown && b instanceof Unknown && refinementsEqual(a, b);
  }
  if (type === "dynamic") {
    const da = a as CtyDynamic;
    const db = b as CtyDynamic;
    return typeEquals(da.type, db.type) && equalValues(da.value, db.value, da.type);
  }
  if (type === "string" || type === "bool") return a === b;
  if (type === "number") return numbersEqual(a as number | bigint | CtyNumber, b as number | bigint | CtyNumber);
  if ("list" in type || "tuple" in type) {
    const xa = a as readonly CtyValue[];
    const xb = b as readonly CtyValue[];
    return xa.length === xb.length && xa.every((v, i) => equalValues(v, xb[i]!, "list" in type ? type.list : type.tuple[i]!));
  }
  if ("set" in type) {
    const xa = a as readonly CtyValue[];
    const xb = [...(b as readonly CtyValue[])];
    if (xa.length !== xb.length) return false;
    for (const v of xa) {
      const i = xb.findIndex((w) => equalValues(v, w, type.set));
      if (i < 0) return false;
      xb.splice(i, 1);
    }
    return true;
  }
  const oa = a as CtyObjectValue | ReadonlyMap<string, CtyValue>;
  const ob = b as CtyObjectValue | ReadonlyMap<string, CtyValue>;
  if ("map" in type) {
    const ea = entriesOf(oa);
    if (ea.length !== entriesOf(ob).length) return false;
    return ea.every(([k, v]) => {
      const w = attributeOf(ob, k);
      return w !== undefined && equalValues(v, w, type.map);
    });
  }
  return objectAttributeNames(type).every((k) => equalValues(attributeOf(oa, k) ?? null, attributeOf(ob, k) ?? null, type.object[k]!));
}

function numbersEqual(a: number | bigint | CtyNumber, b: number | bigint | CtyNumber): boolean {
  const na = toCtyNumber(a);
  const nb = toCtyNumber(b);
  if (typeof na === "number" || typeof nb === "number") return na === nb;
  return na.equals(nb);
}

function refinementsEqual(a: Unknown, b: Unknown): boolean {
  const ra = a.refinements;
  const rb = b.refinements;
  const boundEqual = (x: typeof ra.numberLower, y: typeof ra.numberLower) =>
    x === undefined || y === undefined ? x === y : x.inclusive === y.inclusive && numbersEqual(x.value, y.value);
  return (
    ra.nullable === rb.nullable &&
    ra.stringPrefix === rb.stringPrefix &&
    ra.lengthLower === rb.lengthLower &&
    ra.lengthUpper === rb.lengthUpper &&
    boundEqual(ra.numberLower, rb.numberLower) &&
    boundEqual(ra.numberUpper, rb.numberUpper)
  );
}

/**
 * The type go-cty gives `value` read as `type`: `"dynamic"` positions replaced by the type their
 * value carries (a null or unknown there stays `"dynamic"`).
 */
export function actualType(value: unknown, type: CtyType): CtyType {
  if (!containsDynamic(type)) return type;
  const v = value as CtyValue;
  if (v === null || v === undefined || v instanceof Unknown) return type;
  if (type === "dynamic") return isObjectValue(v) && !(v instanceof Map) && Object.hasOwn(v, "type") ? (v as unknown as CtyDynamic).type : type;
  if (typeof type === "string") return type;
  if ("tuple" in type) return Array.isArray(v) ? { tuple: type.tuple.map((t, i) => actualType((v as readonly CtyValue[])[i], t)) } : type;
  if ("object" in type) {
    if (!isObjectValue(v)) return type;
    const object: Record<string, CtyType> = Object.create(null);
    for (const name of Object.keys(type.object)) object[name] = actualType(attributeOf(v, name) ?? null, type.object[name]!);
    return { object };
  }
  const elementType = "list" in type ? type.list : "set" in type ? type.set : type.map;
  const items: unknown[] = Array.isArray(v) ? v : isObjectValue(v) ? entriesOf(v).map(([, e]) => e) : [];
  const first = items.map((e) => actualType(e, elementType)).find((t) => t !== "dynamic") ?? elementType;
  return "list" in type ? { list: first } : "set" in type ? { set: first } : { map: first };
}

/**
 * @internal cty collections hold elements of one type: where the element type has `"dynamic"`
 * in it, every element must carry the same actual type (go-cty panics otherwise, taking
 * Terraform down with it). Throws a {@link CtyError} naming the first element that differs.
 */
export function checkConsistentElements(items: readonly [string | number, unknown][], elementType: CtyType, path: string | ValuePath): void {
  if (!containsDynamic(elementType)) return;
  let first: { key: string | number; type: CtyType } | undefined;
  for (const [key, item] of items) {
    const t = actualType(item, elementType);
    if (t === "dynamic") continue;
    if (first === undefined) first = { key, type: t };
    else if (!typeEquals(first.type, t)) {
      throw new CtyError(
        `all elements of a ${typeName(elementType)} collection must have one type: ${indexPath("", key)} is ${typeToJson(t)} but ${indexPath("", first.key)} is ${typeToJson(first.type)}`,
        path,
      );
    }
  }
}

/**
 * @internal In a collection of `"dynamic"` elements, go-cty gives a null or unknown element the
 * collection's element type (a null among strings is a null string): the elements as go-cty
 * holds them, so that encoders write what go-cty would.
 */
export function typedDynamicElements<T extends readonly unknown[]>(items: T, elementType: CtyType): T {
  if (elementType !== "dynamic") return items;
  const common = items.map((e) => actualType(e, elementType)).find((t) => t !== "dynamic");
  if (common === undefined) return items;
  return items.map((e) => (e === null || e instanceof Unknown ? { type: common, value: e === null ? null : Unknown.plain } : e)) as unknown as T;
}
