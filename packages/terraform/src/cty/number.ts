/**
 * cty numbers are arbitrary-precision decimals (go-cty keeps them as 512-bit big.Floats parsed
 * from decimal text). In JavaScript a number value is either:
 * - a `number`, standing for exactly the IEEE-754 double it holds (so `0.1` is
 *   0.1000000000000000055511151231257827…, the double, as go-cty's `NumberFloatVal(0.1)`), or
 * - a {@link CtyNumber}, an exact decimal, for every finite value no double represents exactly
 *   (`"0.1"` as Terraform parses it from configuration, integers beyond 2^53, `1e400`).
 *
 * Decoders return a `number` whenever the decoded value is exactly a double, else a `CtyNumber`;
 * encoders accept `number`, `bigint` and `CtyNumber`. Nothing is rounded on the way.
 */
import { CtyError } from "./errors.js";

/** Decimal exponents beyond this are refused, so that a tiny input cannot expand to gigabytes. */
const MAX_DECIMAL_EXPONENT = 100_000;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An exact, finite decimal number: `coefficient × 10^exponent`, normalized. */
export class CtyNumber {
  /** Signed coefficient without trailing decimal zeros (0n for zero). */
  readonly coefficient: bigint;
  /** Power of ten (0 for zero). */
  readonly exponent: number;

  private constructor(coefficient: bigint, exponent: number) {
    while (coefficient !== 0n && coefficient % 10n === 0n) {
      coefficient /= 10n;
      exponent++;
    }
    this.coefficient = coefficient;
    this.exponent = coefficient === 0n ? 0 : exponent;
    const adjusted = this.exponent + digitCount(coefficient) - 1;
    if (Math.abs(adjusted) > MAX_DECIMAL_EXPONENT) {
      throw new CtyError(`number out of the supported range (decimal exponent ${adjusted}, at most ±${MAX_DECIMAL_EXPONENT})`);
    }
  }

  /**
   * Parses decimal text: an optional sign, digits with an optional fraction, an optional exponent
   * (`-12.5e3`). Infinities are doubles, so use `Infinity` rather than this class for them.
   */
  static parse(text: string): CtyNumber {
    const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (m === null || (m[2] === "" && (m[3] ?? "") === "")) {
      throw new CtyError(`not a decimal number: ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`);
    }
    const fraction = m[3] ?? "";
    const exponent = Number(m[4] ?? "0");
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_DECIMAL_EXPONENT * 2) {
      throw new CtyError(`number out of the supported range: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const coefficient = BigInt(`${m[2]}${fraction}` || "0");
    return new CtyNumber(m[1] === "-" ? -coefficient : coefficient, exponent - fraction.length);
  }

  /** The exact value of a finite double. */
  static fromDouble(x: number): CtyNumber {
    if (!Number.isFinite(x)) throw new CtyError(`${x} is not a finite number`);
    if (Number.isInteger(x)) return new CtyNumber(BigInt(x), 0);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const bits = view.getBigUint64(0);
    const negative = bits >> 63n === 1n;
    const biased = Number((bits >> 52n) & 0x7ffn);
    let mantissa = bits & ((1n << 52n) - 1n);
    let exp2 = biased === 0 ? -1074 : biased - 1075;
    if (biased !== 0) mantissa |= 1n << 52n;
    while ((mantissa & 1n) === 0n) {
      mantissa >>= 1n;
      exp2++;
    }
    // Non-integral, so exp2 < 0: m·2^e = m·5^(−e) / 10^(−e).
    const coefficient = mantissa * 5n ** BigInt(-exp2);
    return new CtyNumber(negative ? -coefficient : coefficient, exp2);
  }

  /** An integer. */
  static fromBigInt(n: bigint): CtyNumber {
    return new CtyNumber(n, 0);
  }

  /** Whether the value is an integer. */
  isInteger(): boolean {
    return this.exponent >= 0;
  }

  /** The value as a bigint; throws when it is not an integer. */
  toBigInt(): bigint {
    if (!this.isInteger()) throw new CtyError(`${this.toString()} is not an integer`);
    return this.coefficient * 10n ** BigInt(this.exponent);
  }

  /** Whether the value is an integer in the int64 range. */
  fitsInt64(): boolean {
    if (!this.isInteger() || this.exponent > 19) return false;
    const n = this.toBigInt();
    return n >= INT64_MIN && n <= INT64_MAX;
  }

  /** The nearest double (may round; see {@link exactDouble} for the lossless check). */
  toNumber(): number {
    return Number(`${this.coefficient}e${this.exponent}`);
  }

  /** The double equal to this value, or undefined when no double is exactly equal. */
  exactDouble(): number | undefined {
    const x = this.toNumber();
    if (!Number.isFinite(x)) return undefined;
    return CtyNumber.fromDouble(x).equals(this) ? x : undefined;
  }

  /** Numeric equality. */
  equals(other: CtyNumber): boolean {
    return this.coefficient === other.coefficient && this.exponent === other.exponent;
  }

  /** -1, 0 or 1 as this value is less than, equal to or greater than `other`. */
  compare(other: CtyNumber): -1 | 0 | 1 {
    const sa = sign(this.coefficient);
    const sb = sign(other.coefficient);
    if (sa !== sb) return sa < sb ? -1 : 1;
    if (sa === 0) return 0;
    const ea = this.exponent + digitCount(this.coefficient);
    const eb = other.exponent + digitCount(other.coefficient);
    if (ea !== eb) return ea < eb === sa > 0 ? -1 : 1;
    const e = Math.min(this.exponent, other.exponent);
    const a = this.coefficient * 10n ** BigInt(this.exponent - e);
    const b = other.coefficient * 10n ** BigInt(other.exponent - e);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  /** Plain decimal notation without exponent, as go-cty writes numbers (`Text('f', -1)`). */
  toString(): string {
    const negative = this.coefficient < 0n;
    const digits = (negative ? -this.coefficient : this.coefficient).toString();
    let text: string;
    if (this.exponent >= 0) {
      text = this.coefficient === 0n ? "0" : digits + "0".repeat(this.exponent);
    } else {
      const point = digits.length + this.exponent;
      text = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${"0".repeat(-point)}${digits}`;
    }
    return negative ? `-${text}` : text;
  }

  toJSON(): string {
    return this.toString();
  }
}

function sign(n: bigint): -1 | 0 | 1 {
  return n === 0n ? 0 : n < 0n ? -1 : 1;
}

function digitCount(n: bigint): number {
  return n === 0n ? 1 : (n < 0n ? -n : n).toString().length;
}

/** A number value in the form decoders return: the double when exact, else the decimal. */
export function canonicalNumber(n: CtyNumber): number | CtyNumber {
  return n.exactDouble() ?? n;
}

/** Any accepted number input as a {@link CtyNumber}, or ±Infinity. Throws on NaN. */
export function toCtyNumber(value: number | bigint | CtyNumber): CtyNumber | number {
  if (value instanceof CtyNumber) return value;
  if (typeof value === "bigint") return CtyNumber.fromBigInt(value);
  if (Number.isNaN(value)) throw new CtyError("NaN is not a cty number");
  if (!Number.isFinite(value)) return value;
  return CtyNumber.fromDouble(value);
}

const SHORT_DECIMAL = /^-?(\d{1,15})(?:\.(\d{1,15}))?$/;

/** Parses decimal text (also `Inf`, `+Inf`, `-Inf`, as go-cty's parser does) into a decoded number value. */
export function parseNumberValue(text: string): number | CtyNumber {
  // Fast path for short plain decimals (most numbers): c / 10^k is a double exactly when
  // c is a multiple of 5^k (then it is (c / 5^k) / 2^k), and c is exact below 2^53.
  const m = SHORT_DECIMAL.exec(text);
  if (m !== null && m[1]!.length + (m[2]?.length ?? 0) <= 15) {
    const fraction = m[2] ?? "";
    if (fraction.length === 0) return Number(text) || 0;
    if (Number(m[1]! + fraction) % 5 ** fraction.length === 0) return Number(text) || 0;
    return CtyNumber.parse(text);
  }
  const inf = /^([+-])?inf(inity)?$/i.exec(text);
  if (inf !== null) return inf[1] === "-" ? -Infinity : Infinity;
  return canonicalNumber(CtyNumber.parse(text));
}

/** The shortest decimal text that reads back as this double, without exponent (go-cty's JSON form of a float). */
export function shortestDecimal(x: number): string {
  const text = String(x);
  return text.includes("e") ? CtyNumber.parse(text).toString() : text;
}
