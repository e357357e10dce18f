/**
 * cty numbers in msgpack, as go-cty writes them: the smallest int form when integral and in the
 * int64 range, float64 when fractional and exactly a double, decimal text otherwise (and ±Inf as
 * float64); read from any int width, float32/64 or decimal text.
 */
import { CtyError, type ValuePath } from "./errors.js";
import { describe, mismatch, utf8Decoder } from "./msgpack-wire.js";
import { CtyNumber, canonicalNumber, parseNumberValue, toCtyNumber } from "./number.js";

/** The JavaScript value @msgpack/msgpack writes in go-cty's form of the number. */
export function numberToTree(value: number | bigint | CtyNumber, path: ValuePath): unknown {
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

/** A number read from its wire form: a `number` when exactly a double, else a CtyNumber. */
export function numberFromTree(tree: unknown, path: ValuePath): number | CtyNumber {
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
