/**
 * Planning a resource change the way Terraform's invariants require:
 * start from `proposed_new_state` (Terraform has already merged config and
 * prior state), mark computed attributes the configuration leaves null as
 * unknown when something will change, keep prior values where the schema
 * says so, and list the changed `requiresReplace` attributes.
 */
import { type CtyType, type CtyValue, valuesEqual as ctyValuesEqual, isUnknown, unknown } from "../cty/index.js";
import type { AttributePath } from "./diagnostics.js";
import { type Nested, nestedOf } from "./nesting.js";
import { type Block, blockType } from "./schema.js";

function valuesEqual(a: unknown, b: unknown, type: CtyType): boolean {
  return ctyValuesEqual((a ?? null) as CtyValue, (b ?? null) as CtyValue, type);
}

/** The cty type of a nested block type's or nested attribute's value. */
function nestedType(nested: Nested): CtyType {
  const element = blockType(nested.block);
  switch (nested.nesting) {
    case "single":
    case "group":
      return element;
    case "list":
      return { list: element };
    case "set":
      return { set: element };
    case "map":
      return { map: element };
  }
}

/** A block value as the codec decodes it: an object with one key per attribute and nested block. */
export type ObjectValue = Record<string, unknown>;

/** What {@link planChange} computes. */
export interface PlannedChange {
  planned: ObjectValue | null;
  requiresReplace: AttributePath[];
}

/**
 * Plans a change of one resource instance. `prior` is null on create,
 * `proposed` null on destroy.
 */
export function planChange(block: Block, prior: ObjectValue | null, proposed: ObjectValue | null, config: ObjectValue | null): PlannedChange {
  if (proposed === null) return { planned: null, requiresReplace: [] };
  if (prior !== null && valuesEqual(prior, proposed, blockType(block))) return { planned: proposed, requiresReplace: [] };
  const planned = markComputedUnknown(block, proposed, config, prior !== null);
  const requiresReplace = prior === null ? [] : changedReplaceAttributes(block, prior, planned, []);
  return { planned, requiresReplace };
}

/**
 * A copy of `proposed` where each computed attribute that the configuration
 * leaves null is unknown, or its `default` (on update: unless it keeps its
 * state value with `useStateForUnknown`), in nested blocks too.
 */
function markComputedUnknown(block: Block, proposed: ObjectValue, config: ObjectValue | null, updating: boolean): ObjectValue {
  const planned: ObjectValue = { ...proposed };
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const configured = config?.[name] ?? null;
    if (attribute.computed && configured === null) {
      if (updating && attribute.useStateForUnknown && planned[name] !== null && planned[name] !== undefined) continue;
      planned[name] = attribute.default !== undefined ? attribute.default : unknown();
      continue;
    }
    // A nested attribute's objects: their own computed attributes, as in nested blocks.
    const value = planned[name];
    if (attribute.nested && value !== null && value !== undefined && !isUnknown(value)) {
      planned[name] = markNested(attribute.nested.nesting, { attributes: attribute.nested.attributes }, value, configured, updating);
    }
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const value = planned[name];
    if (value === null || value === undefined || isUnknown(value)) continue;
    planned[name] = markNested(nested.nesting, nested.block, value, config?.[name] ?? null, updating);
  }
  return planned;
}

/** {@link markComputedUnknown} over the objects of a nested block or nested attribute value, paired with their configuration. */
function markNested(nesting: string, block: Block, value: unknown, configValue: unknown, updating: boolean): unknown {
  switch (nesting) {
    case "single":
    case "group":
      return markComputedUnknown(block, value as ObjectValue, configValue as ObjectValue | null, updating);
    case "list":
      // An element may be unknown as a whole (a configuration's `[var.x, { … }]`): it stays so.
      return (value as ObjectValue[]).map((element, index) =>
        isUnknown(element)
          ? element
          : markComputedUnknown(block, element, Array.isArray(configValue) ? ((configValue[index] ?? null) as ObjectValue | null) : null, updating),
      );
    case "map":
      return Object.fromEntries(
        Object.entries(value as Record<string, ObjectValue>).map(([key, element]) => [
          key,
          isUnknown(element)
            ? element
            : markComputedUnknown(block, element, ((configValue as Record<string, ObjectValue> | null)?.[key] ?? null) as ObjectValue | null, updating),
        ]),
      );
    default:
      // Set elements have no identity to pair them with their configuration: leave them as proposed.
      return value;
  }
}

function changedReplaceAttributes(block: Block, prior: ObjectValue, planned: ObjectValue, at: AttributePath): AttributePath[] {
  const paths: AttributePath[] = [];
  for (const [name, attribute] of Object.entries(block.attributes)) {
    if (attribute.requiresReplace && !valuesEqual(prior[name], planned[name], attribute.type)) paths.push([...at, name]);
  }
  // Nested blocks and nested attributes alike: the changed requiresReplace attributes inside them.
  for (const [name, nested] of nestedOf(block)) {
    if (block.attributes[name]?.requiresReplace) continue; // the attribute as a whole, above
    const before = prior[name] ?? null;
    const after = planned[name] ?? null;
    if (before === null || after === null || isUnknown(before) || isUnknown(after)) {
      if (!valuesEqual(before, after, nestedType(nested)) && hasReplaceAttribute(nested.block)) paths.push([...at, name]);
      continue;
    }
    switch (nested.nesting) {
      case "single":
      case "group":
        paths.push(...changedReplaceAttributes(nested.block, before as ObjectValue, after as ObjectValue, [...at, name]));
        break;
      case "list": {
        const a = before as ObjectValue[];
        const b = after as ObjectValue[];
        if (a.length !== b.length && hasReplaceAttribute(nested.block)) paths.push([...at, name]);
        else
          for (let i = 0; i < b.length; i++) paths.push(...changedReplaceAttributes(nested.block, a[i] as ObjectValue, b[i] as ObjectValue, [...at, name, i]));
        break;
      }
      case "map": {
        const a = before as Record<string, ObjectValue>;
        const b = after as Record<string, ObjectValue>;
        for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
          const x = a[key];
          const y = b[key];
          if (x === undefined || y === undefined) {
            if (hasReplaceAttribute(nested.block)) paths.push([...at, name, { key }]);
          } else paths.push(...changedReplaceAttributes(nested.block, x, y, [...at, name, { key }]));
        }
        break;
      }
      case "set":
        if (!valuesEqual(before, after, nestedType(nested)) && hasReplaceAttribute(nested.block)) paths.push([...at, name]);
        break;
    }
  }
  return paths;
}

function hasReplaceAttribute(block: Block): boolean {
  return (
    Object.values(block.attributes).some((attribute) => attribute.requiresReplace) || nestedOf(block).some(([, nested]) => hasReplaceAttribute(nested.block))
  );
}
