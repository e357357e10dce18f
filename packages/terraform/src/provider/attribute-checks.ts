/**
 * Per-attribute validators (`validate` on an attribute): run on every known,
 * non-null configured value, in nested blocks and nested attributes too,
 * during validation.
 */
import type { AttributePath, Diagnostics } from "./diagnostics.js";
import { nestedOf, objectsOf } from "./nesting.js";
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
  for (const [name, nested] of nestedOf(block)) {
    for (const [path, element] of objectsOf(config[name], nested.nesting, [...at, name])) checkAttributes(nested.block, element, diagnostics, path);
  }
}
