// Seeded random cty types and values for the round-trip tests (here and against go-cty in
// test/cty-interop.test.ts). Values are generated in the form decoders return (NFC strings,
// numbers as `number` when exactly a double, sets without duplicates), so that a round trip
// must give back an equal value.
import { encodeMsgpack } from "../msgpack.js";
import { CtyNumber } from "../number.js";
import { type CtyType, typeEquals } from "../types.js";
import { type UnknownRefinements, unknown } from "../unknown.js";
import { actualType, type CtyValue, typedDynamicElements } from "../values.js";

/** mulberry32: small, fast, good enough to pick test cases; same seed, same sequence. */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
export type Random = ReturnType<typeof createRandom>;

const KEYS = ["a", "b", "id", "name", "__proto__", "constructor", "10", "2", "", "é", "𝄞", "x-y", "Zed"];
const CHARS = ["a", "b", "z", " ", "0", "-", '"', "\\", "\n", "<", "&", "é", "ß", "日", "𝄞", "😀", "\u2028", "\u0000", "\uffff"];

/**
 * A random type at most `depth` levels deep. `optional`: object types may name optional attributes
 * (go-cty cannot decode such types inside collections, where a null element and a decoded one
 * get different types, so the go-cty tests leave them out).
 */
export function randomType(r: Random, depth = 3, optional = true): CtyType {
  const leaf = depth <= 0 || r.chance(0.35);
  if (leaf) return r.pick(["string", "number", "bool", "string", "number", "dynamic"] as const);
  switch (r.int(5)) {
    case 0:
      return { list: randomType(r, depth - 1, optional) };
    case 1:
      // go-cty sets cannot hold dynamic values of differing types in a stable order; keep sets concrete.
      return { set: concrete(randomType(r, depth - 1, optional)) };
    case 2:
      return { map: randomType(r, depth - 1, optional) };
    case 3: {
      const object: Record<string, CtyType> = Object.create(null);
      const names = KEYS.filter(() => r.chance(0.3));
      for (const name of names) object[name] = randomType(r, depth - 1, optional);
      const optionalNames = optional ? names.filter(() => r.chance(0.3)) : [];
      return optionalNames.length > 0 ? { object, optional: optionalNames } : { object };
    }
    default:
      return { tuple: Array.from({ length: r.int(4) }, () => randomType(r, depth - 1, optional)) };
  }
}

function concrete(type: CtyType): CtyType {
  if (type === "dynamic") return "string";
  if (typeof type === "string") return type;
  if ("list" in type) return { list: concrete(type.list) };
  if ("set" in type) return { set: concrete(type.set) };
  if ("map" in type) return { map: concrete(type.map) };
  if ("tuple" in type) return { tuple: type.tuple.map(concrete) };
  const object: Record<string, CtyType> = Object.create(null);
  for (const [k, t] of Object.entries(type.object)) object[k] = concrete(t);
  return type.optional ? { object, optional: type.optional } : { object };
}

export interface RandomValueOptions {
  /** Generate unknown values (msgpack only: JSON has no unknowns). */
  unknowns: boolean;
  /** Generate ±Infinity (msgpack only). */
  infinities: boolean;
  /**
   * Fractional doubles as JSON gives them back: JSON writes a double as its shortest decimal,
   * which reads back as that decimal (a CtyNumber unless it is exactly a double).
   */
  jsonNumbers?: boolean;
  /**
   * Only numbers go-cty keeps exactly: go-cty parses decimal text into 512-bit floats (about 154
   * significant digits), so a longer decimal (e.g. the exact expansion of 2^1000) comes back rounded.
   */
  goPrecision?: boolean;
}

/** A random string (NFC). */
export function randomString(r: Random, max = 12): string {
  return Array.from({ length: r.int(max + 1) }, () => r.pick(CHARS))
    .join("")
    .normalize("NFC");
}

/** A random number value in decoded form. */
export function randomNumber(r: Random, infinities: boolean): number | CtyNumber {
  switch (r.int(infinities ? 9 : 8)) {
    case 0:
      return r.int(256) - 128;
    case 1:
      return r.int(2 ** 31) * (r.chance(0.5) ? 1 : -1) * (r.chance(0.5) ? 2 ** r.int(22) : 1);
    case 2: {
      // Anywhere in int64; a number when exactly a double, else a CtyNumber.
      const big = BigInt.asIntN(64, BigInt(r.int(2 ** 32)) * 2n ** 32n + BigInt(r.int(2 ** 32)));
      return exactForm(CtyNumber.fromBigInt(big));
    }
    case 3: {
      const view = new DataView(new ArrayBuffer(8));
      view.setUint32(0, r.int(2 ** 32));
      view.setUint32(4, r.int(2 ** 32));
      const x = view.getFloat64(0);
      return Number.isFinite(x) ? (x === 0 ? 0 : x) : 0.5;
    }
    case 4:
      return r.pick([0.1, 0.5, -2.25, 1e-7, 123.456, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64]);
    case 5:
    case 6: {
      // A decimal with up to 40 digits and an exponent, often not a double.
      const digits = Array.from({ length: 1 + r.int(40) }, () => r.int(10)).join("");
      return exactForm(CtyNumber.parse(`${r.chance(0.5) ? "-" : ""}${digits}e${r.int(80) - 40}`));
    }
    case 7:
      return exactForm(
        CtyNumber.parse(r.pick(["0.1", "1e400", "-1e-400", "18446744073709551615", "9223372036854775808", "3.14159265358979323846264338327950288"])),
      );
    default:
      return r.chance(0.5) ? Infinity : -Infinity;
  }
}

/** The entries whose actual type is the first one's (a cty collection has one element type). */
function sameType<T>(entries: [T, CtyValue][], elementType: CtyType): [T, CtyValue][] {
  let first: CtyType | undefined;
  return entries.filter(([, e]) => {
    const t = actualType(e, elementType);
    if (t === "dynamic") return true;
    first ??= t;
    return typeEquals(first, t);
  });
}

/** Elements of one actual type, nulls and unknowns typed as go-cty types them. */
function oneType(elements: CtyValue[], elementType: CtyType): CtyValue[] {
  return typedDynamicElements(
    sameType(
      elements.map((e, i) => [i, e]),
      elementType,
    ).map(([, e]) => e),
    elementType,
  );
}

function significantDigits(n: number | CtyNumber): number {
  const c = (typeof n === "number" ? CtyNumber.fromDouble(n) : n).coefficient;
  return (c < 0n ? -c : c).toString().length;
}

function exactForm(n: CtyNumber): number | CtyNumber {
  return n.exactDouble() ?? n;
}

function randomRefinements(r: Random, type: CtyType): UnknownRefinements {
  const refinements: { -readonly [K in keyof UnknownRefinements]: UnknownRefinements[K] } = {};
  if (r.chance(0.5)) refinements.nullable = false;
  if (type === "string" && r.chance(0.6)) {
    const prefix = randomString(r, 8);
    if (prefix !== "") refinements.stringPrefix = prefix;
  }
  if (type === "number") {
    const a = r.int(1000) - 500;
    const b = a + 1 + r.int(1000);
    if (r.chance(0.5)) refinements.numberLower = { value: r.chance(0.3) ? exactForm(CtyNumber.parse(`${a}.1`)) : a, inclusive: r.chance(0.5) };
    if (r.chance(0.5)) refinements.numberUpper = { value: b, inclusive: r.chance(0.5) };
  }
  if (typeof type === "object" && ("list" in type || "set" in type || "map" in type)) {
    const lower = r.int(4);
    if (r.chance(0.5) && lower > 0) refinements.lengthLower = lower;
    if (r.chance(0.5)) refinements.lengthUpper = lower + 1 + r.int(4);
  }
  return refinements;
}

/** A random value of `type`, in decoded form. */
export function randomValue(r: Random, type: CtyType, options: RandomValueOptions, depth = 0): CtyValue {
  if (r.chance(0.1)) return null;
  if (options.unknowns && r.chance(0.1)) {
    return type === "dynamic" ? unknown() : unknown(r.chance(0.5) ? randomRefinements(r, type) : {});
  }
  if (type === "dynamic") {
    const actual = concrete(randomType(r, Math.max(0, 2 - depth), false));
    return { type: actual, value: randomValue(r, actual, options, depth + 1) };
  }
  switch (type) {
    case "string":
      return randomString(r);
    case "number": {
      let n = randomNumber(r, options.infinities);
      if (options.goPrecision && Number.isFinite(n) && significantDigits(n) > 150) n = 0.5;
      return options.jsonNumbers && typeof n === "number" && !Number.isInteger(n) ? exactForm(CtyNumber.parse(String(n))) : n;
    }
    case "bool":
      return r.chance(0.5);
  }
  const size = r.int(4);
  if ("list" in type)
    return oneType(
      Array.from({ length: size }, () => randomValue(r, type.list, options, depth + 1)),
      type.list,
    );
  if ("tuple" in type) return type.tuple.map((t) => randomValue(r, t, options, depth + 1));
  if ("set" in type) {
    // Known, non-null elements, each once (a set holds every value once).
    const noUnknowns = { ...options, unknowns: false };
    const seen = new Set<string>();
    const elements: CtyValue[] = [];
    for (let i = 0; i < size; i++) {
      let v = randomValue(r, type.set, noUnknowns, depth + 1);
      if (v === null) v = randomValue(r, type.set, noUnknowns, depth + 1);
      if (v === null) continue;
      const key = Buffer.from(encodeMsgpack(v, type.set)).toString("hex");
      if (seen.has(key)) continue;
      seen.add(key);
      elements.push(v);
    }
    return oneType(elements, type.set);
  }
  const result: Record<string, CtyValue> = Object.create(null);
  if ("map" in type) {
    for (let i = 0; i < size; i++) result[r.chance(0.5) ? r.pick(KEYS) : randomString(r, 5)] = randomValue(r, type.map, options, depth + 1);
    const kept = sameType(Object.entries(result), type.map);
    const typed = typedDynamicElements(
      kept.map(([, v]) => v),
      type.map,
    );
    const out: Record<string, CtyValue> = Object.create(null);
    for (const [i, [k]] of kept.entries()) out[k] = typed[i]!;
    return out;
  }
  for (const [name, t] of Object.entries(type.object)) result[name] = randomValue(r, t, options, depth + 1);
  return result;
}
