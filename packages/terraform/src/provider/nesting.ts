/**
 * Walking the nested structure of a block's values: nested blocks and nested
 * attributes (protocol 6) alike, each as the block its objects follow and how
 * they repeat.
 */
import { isUnknown } from "../cty/index.js";
import type { AttributePath } from "./diagnostics.js";
import type { ObjectValue } from "./plan.js";
import type { Block, Nesting } from "./schema.js";

/** A nested block type or a nested attribute: the block its objects follow, and how they repeat. */
export interface Nested {
  readonly nesting: Nesting;
  readonly block: Block;
}

/** The nested attributes and nested block types of `block`, by name. */
export function nestedOf(block: Block): [string, Nested][] {
  const attributes = Object.entries(block.attributes).flatMap(([name, { nested }]): [string, Nested][] =>
    nested ? [[name, { nesting: nested.nesting, block: { attributes: nested.attributes } }]] : [],
  );
  return [...attributes, ...Object.entries(block.blocks ?? {})];
}

const known = (value: unknown): value is ObjectValue => value !== null && value !== undefined && !isUnknown(value);

/**
 * The known objects of a nested value at `at`, each with its path: a list
 * index or `{ key }` of a map added; set elements have no index to name them
 * by, so their path stops at `at`.
 */
export function objectsOf(value: unknown, nesting: Nesting, at: AttributePath): [AttributePath, ObjectValue][] {
  if (!known(value)) return [];
  if (nesting === "single" || nesting === "group") return [[at, value]];
  const entries: [AttributePath, unknown][] = Array.isArray(value)
    ? value.map((element, index) => [nesting === "set" ? at : [...at, index], element])
    : Object.entries(value).map(([key, element]) => [[...at, { key }], element]);
  return entries.filter((entry): entry is [AttributePath, ObjectValue] => known(entry[1]));
}

/** A nested value with each known object replaced by `change(object)`; null and unknown ones stay as they are. */
export function mapObjects(value: unknown, nesting: Nesting, change: (object: ObjectValue) => ObjectValue): unknown {
  if (!known(value)) return value;
  if (nesting === "single" || nesting === "group") return change(value);
  const each = (element: unknown) => (known(element) ? change(element) : element);
  return Array.isArray(value) ? value.map(each) : Object.fromEntries(Object.entries(value).map(([key, element]) => [key, each(element)]));
}
