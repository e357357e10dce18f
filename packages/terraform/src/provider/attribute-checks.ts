/**
 * Per-attribute validators (`validate` on an attribute): run on every known,
 * non-null configured value, in nested blocks too, during validation.
 */
import { isUnknown } from "../cty/index.js";
import type { AttributePath, Diagnostics } from "./diagnostics.js";
import type { ObjectValue } from "./plan.js";
import type { Block } from "./schema.js";
import { firstUnknown } from "./values.js";

/** Adds an error diagnostic for each value of `config` an attribute's `validate` refuses. */
export function checkAttributes(block: Block, config: ObjectValue | null, diagnostics: Diagnostics, at: AttributePath = []): void {
  if (config === null || typeof config !== "object") return;
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const value = config[name];
    if (!attribute.validate || value === null || value === undefined || firstUnknown(value)) continue;
    let problem: string | undefined;
    try {
      problem = attribute.validate(value as never);
    } catch (error) {
      problem = `the validator failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (typeof problem === "string" && problem !== "") diagnostics.error("Invalid attribute value", problem, [...at, name]);
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const value = config[name];
    if (value === null || value === undefined || isUnknown(value)) continue;
    if (nested.nesting === "single" || nested.nesting === "group") checkAttributes(nested.block, value as ObjectValue, diagnostics, [...at, name]);
    else if (nested.nesting === "map") {
      for (const [key, element] of Object.entries(value as Record<string, ObjectValue>))
        checkAttributes(nested.block, element, diagnostics, [...at, name, { key }]);
    } else if (Array.isArray(value)) {
      // Set elements have no index to point at: their problems are reported on the block.
      for (const [index, element] of value.entries()) {
        checkAttributes(nested.block, element as ObjectValue, diagnostics, nested.nesting === "set" ? [...at, name] : [...at, name, index]);
      }
    }
  }
}
