/**
 * Unknown values: what Terraform sends for a value only known after apply, and what a provider
 * plans for computed attributes. cty can refine an unknown (it is not null, a string starts with
 * "ab", a number lies between bounds, a collection has between n and m elements); Terraform holds
 * a provider to refinements it promised at plan time.
 */
import type { CtyNumber } from "./number.js";

/** Refinements of an unknown value; all optional (`undefined` is the same as absent). */
export interface UnknownRefinements {
  /** `false`: the value will not be null. */
  readonly nullable?: false | undefined;
  /** String values: the final string starts with this. */
  readonly stringPrefix?: string | undefined;
  /** Number values: lower bound. */
  readonly numberLower?: NumberBound | undefined;
  /** Number values: upper bound. */
  readonly numberUpper?: NumberBound | undefined;
  /** List, set and map values: at least this many elements. */
  readonly lengthLower?: number | undefined;
  /** List, set and map values: at most this many elements. */
  readonly lengthUpper?: number | undefined;
}

/** A number bound of a refined unknown. */
export interface NumberBound {
  readonly value: number | CtyNumber;
  readonly inclusive: boolean;
}

/**
 * A value not yet known. Use {@link unknown} to make one and {@link isUnknown} to test; the plain
 * (unrefined) unknown is a single shared instance.
 */
export class Unknown {
  /** @internal Plain unknown; use {@link unknown}. */
  static readonly plain: Unknown = new Unknown({}, undefined);

  /** Refinements; `{}` for a plain unknown. */
  readonly refinements: UnknownRefinements;
  /**
   * @internal The msgpack extension payload this unknown was decoded from (extension 12),
   * re-sent unchanged so that refinements come back byte for byte.
   */
  readonly rawRefinements: Uint8Array | undefined;

  private constructor(refinements: UnknownRefinements, rawRefinements: Uint8Array | undefined) {
    this.refinements = Object.freeze({ ...refinements });
    this.rawRefinements = rawRefinements;
    Object.freeze(this);
  }

  /** @internal */
  static create(refinements: UnknownRefinements, rawRefinements?: Uint8Array): Unknown {
    const clean: { -readonly [K in keyof UnknownRefinements]: UnknownRefinements[K] } = {};
    for (const [key, value] of Object.entries(refinements) as [keyof UnknownRefinements, never][]) {
      if (value !== undefined) clean[key] = value;
    }
    if (Object.keys(clean).length === 0 && rawRefinements === undefined) return Unknown.plain;
    return new Unknown(clean, rawRefinements);
  }

  /** Whether the value is promised not to be null. */
  get notNull(): boolean {
    return this.refinements.nullable === false;
  }

  toString(): string {
    const parts = Object.entries(this.refinements).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return parts.length === 0 ? "(unknown)" : `(unknown ${parts.join(" ")})`;
  }
}

/** An unknown value, optionally refined: `unknown()`, `unknown({ nullable: false, stringPrefix: "id-" })`. */
export function unknown(refinements: UnknownRefinements = {}): Unknown {
  return Unknown.create(refinements);
}

/** Whether `value` is an unknown value. */
export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}
