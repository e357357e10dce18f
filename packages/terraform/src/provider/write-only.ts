/**
 * Write-only attributes: their values live in configuration only. Plan and
 * state hold null for them whatever provider code returned, and a Terraform
 * that cannot handle them (it would store the value) gets a configuration
 * that sets one refused at validation.
 */
import { isUnknown } from "../cty/index.js";
import type { AttributePath } from "./diagnostics.js";
import type { ObjectValue } from "./plan.js";
import type { Block } from "./schema.js";

/** Whether `block` or a block nested in it has a write-only attribute. */
export function hasWriteOnly(block: Block): boolean {
  return Object.values(block.attributes).some((a) => a.writeOnly) || Object.values(block.blocks ?? {}).some((n) => hasWriteOnly(n.block));
}

/** Each element of a nested block's value, with the path step that reaches it. */
function elements(value: unknown, nesting: string): [string | number | { key: string } | undefined, ObjectValue][] {
  if (value === null || value === undefined || isUnknown(value)) return [];
  if (nesting === "single" || nesting === "group") return [[undefined, value as ObjectValue]];
  if (nesting === "map") return Object.entries(value as Record<string, ObjectValue>).map(([key, element]) => [{ key }, element]);
  // Set elements have no index to name them by: a path stops at the block.
  return (value as ObjectValue[]).map((element, index) => [nesting === "set" ? undefined : index, element]);
}

/** A copy of `value` with every write-only attribute null, in nested blocks too. */
export function withoutWriteOnly(block: Block, value: ObjectValue): ObjectValue {
  if (!hasWriteOnly(block)) return value;
  const out: ObjectValue = { ...value };
  for (const [name, attribute] of Object.entries(block.attributes)) if (attribute.writeOnly) out[name] = null;
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const current = out[name];
    if (current === null || current === undefined || isUnknown(current) || !hasWriteOnly(nested.block)) continue;
    if (nested.nesting === "single" || nested.nesting === "group") out[name] = withoutWriteOnly(nested.block, current as ObjectValue);
    else if (nested.nesting === "map")
      out[name] = Object.fromEntries(Object.entries(current as Record<string, ObjectValue>).map(([k, e]) => [k, withoutWriteOnly(nested.block, e)]));
    else out[name] = (current as ObjectValue[]).map((element) => withoutWriteOnly(nested.block, element));
  }
  return out;
}

/** The path of the first write-only attribute `config` sets (unknown counts as set), or undefined. */
export function firstWriteOnlySet(block: Block, config: ObjectValue | null, at: AttributePath = []): AttributePath | undefined {
  if (config === null || !hasWriteOnly(block)) return undefined;
  for (const [name, attribute] of Object.entries(block.attributes)) {
    if (attribute.writeOnly && config[name] !== null && config[name] !== undefined) return [...at, name];
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    for (const [step, element] of elements(config[name], nested.nesting)) {
      const found = firstWriteOnlySet(nested.block, element, step === undefined ? [...at, name] : [...at, name, step]);
      if (found) return found;
    }
  }
  return undefined;
}
