/**
 * Schemas as a provider author writes them: plain objects of attributes and
 * nested blocks, from which both the wire schema (tfplugin Schema.Block) and
 * the TypeScript types of config and state values are derived.
 *
 * Only blocks nest: attributes of object/list/map types are plain cty types,
 * and nested structure with its own attributes is a nested block. That keeps
 * one schema valid for protocol 5 and 6 (v5 has no nested attribute types).
 */
import type { CtyNumber, CtyType, Unknown } from "../cty/index.js";

/** One attribute of a block. */
export interface Attribute<T extends CtyType = CtyType> {
  /** The attribute's cty type: `"string"`, `"number"`, `"bool"`, `"dynamic"`, `{ list: "string" }`, … */
  readonly type: T;
  /** The configuration must set it. */
  readonly required?: boolean;
  /** The configuration may set it. */
  readonly optional?: boolean;
  /** The provider sets it (alone, or when the configuration leaves it null if also optional). */
  readonly computed?: boolean;
  /** Terraform hides the value in its output. */
  readonly sensitive?: boolean;
  /** Shown in documentation and language servers. */
  readonly description?: string;
  /**
   * `true`, or the message telling users what to use instead: a configuration that sets the
   * attribute gets an "Attribute Deprecated" warning with it (Terraform leaves that warning to the provider).
   */
  readonly deprecated?: boolean | string;
  /** Resources only: changing the value plans a replace (destroy and create) instead of an update. */
  readonly requiresReplace?: boolean;
  /**
   * Resources only, computed attributes: on an update, keep the prior state's
   * value in the plan instead of marking it unknown (for values that never
   * change after create, such as an id).
   */
  readonly useStateForUnknown?: boolean;
  /**
   * Resources only (Terraform ≥ 1.11, OpenTofu ≥ 1.11): the configuration's
   * value reaches `create` and `update` in `config`, and is never kept: it is
   * null in plan and state whatever the provider returns. Typically set from
   * an ephemeral value, with a `*_version` attribute the configuration bumps
   * to send a new one. Not with computed, requiresReplace or
   * useStateForUnknown (they compare state values, which are always null).
   * A Terraform too old to know write-only attributes would store the value,
   * so validation refuses a configuration that sets one there.
   */
  readonly writeOnly?: boolean;
  /**
   * Optional + computed attributes: the value planned when the configuration
   * leaves it null (instead of unknown, the provider's to set). Checked
   * against the type when the provider is served.
   */
  readonly default?: ValueOf<T>;
  /**
   * Checks a known, non-null configured value during validation: return a
   * message to refuse it (an error diagnostic on the attribute), or nothing.
   */
  readonly validate?: (value: ValueOf<T>) => string | undefined;
  /**
   * A nested attribute (protocol 6 only): an object, or a list, set or map of
   * objects, whose attributes have their own required/optional/computed
   * flags. Make one with {@link nestedAttribute}, which sets `type` to match.
   */
  readonly nested?: NestedAttributes;
}

/** How a nested attribute's objects repeat, and their attributes. */
export interface NestedAttributes {
  readonly nesting: "single" | "list" | "set" | "map";
  readonly attributes: Readonly<Record<string, Attribute>>;
}

type ObjectTypeOf<A> = { readonly object: { -readonly [K in keyof A]: A[K] extends { readonly type: infer T } ? T : never } };
/** The cty type of a nested attribute's value. */
export type NestedType<N extends NestedAttributes["nesting"], A> = N extends "single"
  ? ObjectTypeOf<A>
  : N extends "list"
    ? { readonly list: ObjectTypeOf<A> }
    : N extends "set"
      ? { readonly set: ObjectTypeOf<A> }
      : { readonly map: ObjectTypeOf<A> };

/**
 * A nested attribute (protocol 6; a provider with one serves protocol 6
 * only): `nestedAttribute("list", { port: { type: "number", required: true } }, { optional: true })`.
 * Its value is typed from the inner attributes, and computed inner attributes
 * are planned as in blocks.
 */
export function nestedAttribute<
  const N extends NestedAttributes["nesting"],
  const A extends Readonly<Record<string, Attribute>>,
  const F extends Omit<Attribute, "type" | "nested">,
>(nesting: N, attributes: A, flags: F): F & { readonly type: NestedType<N, A>; readonly nested: { readonly nesting: N; readonly attributes: A } } {
  const object: Record<string, CtyType> = {};
  for (const [name, attribute] of Object.entries(attributes)) object[name] = attribute.type;
  const element = { object } as CtyType;
  const type = (nesting === "single" ? element : { [nesting]: element }) as NestedType<N, A>;
  return { ...flags, type, nested: { nesting, attributes } };
}

/** Whether `block` (or a block or nested attribute within it) uses nested attributes, which protocol 5 cannot carry. */
export function usesNestedAttributes(block: Block): boolean {
  return (
    Object.values(block.attributes).some((attribute) => attribute.nested !== undefined) ||
    Object.values(block.blocks ?? {}).some((nested) => usesNestedAttributes(nested.block))
  );
}

/** How a nested block repeats. */
export type Nesting = "single" | "group" | "list" | "set" | "map";

/** A nested block type of a block. */
export interface NestedBlock<B extends Block = Block> {
  readonly nesting: Nesting;
  readonly block: B;
  /** list/set: least number of blocks. */
  readonly minItems?: number;
  /** list/set: most number of blocks (0: no limit). */
  readonly maxItems?: number;
}

/** A block: attributes and nested block types. Provider config, resources and data sources each have one. */
export interface Block {
  readonly attributes: Readonly<Record<string, Attribute>>;
  readonly blocks?: Readonly<Record<string, NestedBlock>>;
  readonly description?: string;
  /** As an attribute's: a configuration that sets the (nested) block gets a "Block Deprecated" warning. */
  readonly deprecated?: boolean | string;
}

/**
 * The TypeScript type of a known, non-null value of cty type `T`. Numbers
 * are JS numbers when exactly representable, else the codec's CtyNumber.
 */
export type ValueOf<T> = [CtyType] extends [T]
  ? unknown // The general type (a schema not known statically): do not expand the recursive union.
  : T extends "string"
    ? string
    : T extends "number"
      ? number | CtyNumber
      : T extends "bool"
        ? boolean
        : T extends "dynamic"
          ? unknown
          : T extends { readonly list: infer E }
            ? ValueOf<E>[]
            : T extends { readonly set: infer E }
              ? ValueOf<E>[]
              : T extends { readonly map: infer E }
                ? Record<string, ValueOf<E>>
                : T extends { readonly object: infer O }
                  ? { [K in keyof O]: ValueOf<O[K]> | null }
                  : T extends { readonly tuple: infer E }
                    ? { [K in keyof E]: ValueOf<E[K]> }
                    : unknown;

/** An attribute's value: required attributes are never null in a (known) configuration. */
export type AttributeValue<A> = A extends { readonly type: infer T } ? (A extends { readonly required: true } ? ValueOf<T> : ValueOf<T> | null) : never;

type NestedValue<N> = N extends { readonly nesting: infer M; readonly block: infer B extends Block }
  ? M extends "single"
    ? ObjectOf<B> | null
    : M extends "group"
      ? ObjectOf<B>
      : M extends "map"
        ? Record<string, ObjectOf<B>>
        : ObjectOf<B>[]
  : never;

type BlocksOf<B extends Block> = B["blocks"] extends Readonly<Record<string, NestedBlock>> ? B["blocks"] : Record<never, NestedBlock>;

/**
 * The value of a block: one key per attribute and per nested block type.
 * This is what a resource's state and a (known) configuration look like.
 */
export type ObjectOf<B extends Block> = string extends keyof B["attributes"]
  ? Record<string, unknown> // A schema not known statically.
  : {
      -readonly [K in keyof B["attributes"] | keyof BlocksOf<B>]: K extends keyof B["attributes"]
        ? AttributeValue<B["attributes"][K]>
        : K extends keyof BlocksOf<B>
          ? NestedValue<BlocksOf<B>[K]>
          : never;
    };

/**
 * A value that may still hold unknowns (a plan, or configuration during
 * validation/plan): any attribute may be an {@link Unknown} (test with `isUnknown`).
 */
export type MaybeUnknown<B extends Block> = {
  [K in keyof ObjectOf<B>]: ObjectOf<B>[K] | Unknown;
};

/** The cty object type of a block's value (what the codec encodes a state or config with). */
export function blockType(block: Block): CtyType {
  const object: Record<string, CtyType> = {};
  for (const [name, attribute] of Object.entries(block.attributes)) object[name] = attribute.type;
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const element = blockType(nested.block);
    switch (nested.nesting) {
      case "single":
      case "group":
        object[name] = element;
        break;
      case "list":
        object[name] = { list: element };
        break;
      case "set":
        object[name] = { set: element };
        break;
      case "map":
        object[name] = { map: element };
        break;
    }
  }
  return { object };
}
