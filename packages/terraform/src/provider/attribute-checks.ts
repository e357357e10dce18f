/**
 * Per-attribute validators (`validate` on an attribute): run on every known,
 * non-null configured value, in nested blocks and nested attributes too,
 * during validation.
 */
import { isUnknown } from "../cty/index.js";
import type { AttributePath, Diagnostics } from "./diagnostics.js";
import { nestedOf, objectsOf } from "./nesting.js";
import type { ObjectValue } from "./plan.js";
import type { Block } from "./schema.js";
import { firstUnknown } from "./values.js";

/**
 * Adds an error diagnostic for each value of `config` an attribute's `validate` refuses, and a
 * warning for each deprecated attribute or block the configuration sets (Terraform itself does not
 * warn: it leaves that to the provider, as terraform-plugin-framework does).
 */
export function checkAttributes(block: Block, config: ObjectValue | null, diagnostics: Diagnostics, at: AttributePath = []): void {
  if (config === null || typeof config !== "object") return;
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const value = config[name];
    if (attribute.deprecated && value !== null && value !== undefined) {
      diagnostics.warning("Attribute Deprecated", deprecation(attribute.deprecated, `${name} is deprecated.`), [...at, name]);
    }
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
    const deprecated = block.blocks?.[name]?.block.deprecated;
    const value = config[name];
    // A group block's object is always there: it counts as set when the configuration sets something in it.
    const present =
      nested.nesting === "group"
        ? Object.values((value ?? {}) as ObjectValue).some((v) => v !== null && !(Array.isArray(v) && v.length === 0))
        : Array.isArray(value)
          ? value.length > 0
          : value !== null && value !== undefined && (typeof value !== "object" || isUnknown(value) || Object.keys(value).length > 0);
    if (deprecated && present) diagnostics.warning("Block Deprecated", deprecation(deprecated, `The ${name} block is deprecated.`), [...at, name]);
    for (const [path, element] of objectsOf(value, nested.nesting, [...at, name])) checkAttributes(nested.block, element, diagnostics, path);
  }
}

function deprecation(deprecated: true | string, fallback: string): string {
  return typeof deprecated === "string" ? deprecated : fallback;
}
