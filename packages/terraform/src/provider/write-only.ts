/**
 * Write-only attributes: their values live in configuration only. Plan and
 * state hold null for them whatever provider code returned, and a Terraform
 * that cannot handle them (it would store the value) gets a configuration
 * that sets one refused at validation.
 */
import type { AttributePath } from "./diagnostics.js";
import { mapObjects, nestedOf, objectsOf } from "./nesting.js";
import type { ObjectValue } from "./plan.js";
import type { Block } from "./schema.js";

/** Whether `block`, or a block or nested attribute within it, has a write-only attribute. */
export function hasWriteOnly(block: Block): boolean {
  return Object.values(block.attributes).some((a) => a.writeOnly) || nestedOf(block).some(([, nested]) => hasWriteOnly(nested.block));
}

/** A copy of `value` with every write-only attribute null, in nested blocks and nested attributes too. */
export function withoutWriteOnly(block: Block, value: ObjectValue): ObjectValue {
  if (!hasWriteOnly(block)) return value;
  const out: ObjectValue = { ...value };
  for (const [name, attribute] of Object.entries(block.attributes)) if (attribute.writeOnly) out[name] = null;
  for (const [name, nested] of nestedOf(block)) {
    if (out[name] !== undefined && hasWriteOnly(nested.block))
      out[name] = mapObjects(out[name], nested.nesting, (object) => withoutWriteOnly(nested.block, object));
  }
  return out;
}

/** The path of the first write-only attribute `config` sets (unknown counts as set), or undefined. */
export function firstWriteOnlySet(block: Block, config: ObjectValue | null, at: AttributePath = []): AttributePath | undefined {
  if (config === null || !hasWriteOnly(block)) return undefined;
  for (const [name, attribute] of Object.entries(block.attributes)) {
    if (attribute.writeOnly && config[name] !== null && config[name] !== undefined) return [...at, name];
  }
  for (const [name, nested] of nestedOf(block)) {
    for (const [path, element] of objectsOf(config[name], nested.nesting, [...at, name])) {
      const found = firstWriteOnlySet(nested.block, element, path);
      if (found) return found;
    }
  }
  return undefined;
}
