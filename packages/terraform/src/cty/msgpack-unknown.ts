/**
 * Unknown values in msgpack: extension 0 (`d4 00 00`) for a plain unknown, extension 12 for one
 * with refinements (a map with integer keys: 1 nullness, 2 string prefix, 3/4 number bounds,
 * 5/6 collection length bounds), as go-cty writes and reads them.
 */
import { ExtData } from "@msgpack/msgpack";
import { CtyError, type ValuePath } from "./errors.js";
import { numberFromTree, numberToTree } from "./msgpack-number.js";
import { newEncoder, newPayloadDecoder, utf8, utf8Decoder } from "./msgpack-wire.js";
import { toCtyNumber } from "./number.js";
import { type CtyType, typeName } from "./types.js";
import { type NumberBound, Unknown, type UnknownRefinements } from "./unknown.js";
import { type CtyObjectValue, type CtyValue, nfc } from "./values.js";

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

/** The plain unknown, `d4 00 00`. */
export function plainUnknownExt(): ExtData {
  return new ExtData(UNKNOWN_EXT, new Uint8Array([0]));
}

/** The extension go-cty writes for `value` at `type`. */
export function unknownToExt(value: Unknown, type: CtyType, path: ValuePath): ExtData {
  const plain = plainUnknownExt();
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

/** The value an extension stands for at `type`: an unknown (refined when it carries refinements). */
export function unknownFromExt(ext: ExtData, type: CtyType, path: ValuePath): CtyValue {
  const data = ext.data as Uint8Array;
  if (type === "dynamic" || data.length <= 1 || ext.type !== REFINED_UNKNOWN_EXT) return Unknown.plain;
  if (data.length > MAX_REFINEMENTS_BYTES) {
    throw new CtyError(`oversize unknown value refinement (${data.length} bytes; at most ${MAX_REFINEMENTS_BYTES})`, path);
  }
  let payload: unknown;
  try {
    payload = newPayloadDecoder().decode(data);
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
