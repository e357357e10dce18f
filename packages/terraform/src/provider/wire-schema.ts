/**
 * Author schemas → tfplugin `Schema` messages (as init shapes that fit both
 * protocol 5 and 6), and the checks Terraform would otherwise fail a plan on
 * with a less helpful message.
 */
import { ConfigError } from "@rpcplugin/runtime";
import { encodeMsgpack, typeToJson } from "../cty/index.js";
import type { Attribute, Block, Nesting } from "./schema.js";

/** `Schema` init shape, the same fields in tfplugin5 and tfplugin6. */
export interface WireSchema {
  version: bigint;
  block: WireBlock;
}

interface WireBlock {
  version: bigint;
  attributes: WireAttribute[];
  blockTypes: WireNestedBlock[];
  description: string;
  deprecated: boolean;
  deprecationMessage: string;
}

interface WireAttribute {
  name: string;
  type: Uint8Array;
  nestedType?: { attributes: WireAttribute[]; nesting: number; minItems: bigint; maxItems: bigint };
  description: string;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
  deprecated: boolean;
  deprecationMessage: string;
  writeOnly: boolean;
}

interface WireNestedBlock {
  typeName: string;
  block: WireBlock;
  nesting: number;
  minItems: bigint;
  maxItems: bigint;
}

const nestingModes: Record<Nesting, number> = { single: 1, list: 2, set: 3, map: 4, group: 5 };
const encoder = new TextEncoder();

/** The wire schema of a block at schema `version`. */
export function toWireSchema(block: Block, version = 0): WireSchema {
  return { version: BigInt(version), block: wireBlock(block, version) };
}

function wireBlock(block: Block, version: number): WireBlock {
  return {
    version: BigInt(version),
    attributes: Object.entries(block.attributes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, attribute]) => wireAttribute(name, attribute)),
    blockTypes: Object.entries(block.blocks ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([typeName, nested]) => ({
        typeName,
        block: wireBlock(nested.block, version),
        nesting: nestingModes[nested.nesting],
        minItems: BigInt(nested.minItems ?? 0),
        maxItems: BigInt(nested.maxItems ?? 0),
      })),
    description: block.description ?? "",
    deprecated: block.deprecated !== undefined && block.deprecated !== false,
    deprecationMessage: typeof block.deprecated === "string" ? block.deprecated : "",
  };
}

const attributeNesting = { single: 1, list: 2, set: 3, map: 4 } as const;

function wireAttribute(name: string, attribute: Attribute): WireAttribute {
  const nested = attribute.nested;
  return {
    name,
    // A nested attribute carries its structure in nested_type, and no type.
    type: nested ? new Uint8Array() : encoder.encode(typeToJson(attribute.type)),
    ...(nested
      ? {
          nestedType: {
            attributes: Object.entries(nested.attributes)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([inner, value]) => wireAttribute(inner, value)),
            nesting: attributeNesting[nested.nesting],
            minItems: 0n,
            maxItems: 0n,
          },
        }
      : {}),
    description: attribute.description ?? "",
    required: attribute.required === true,
    optional: attribute.optional === true,
    computed: attribute.computed === true,
    sensitive: attribute.sensitive === true,
    deprecated: attribute.deprecated !== undefined && attribute.deprecated !== false,
    // Shown by Terraform versions that know the field (protocol 5.10/6.10 and later); older ones warn generically.
    deprecationMessage: typeof attribute.deprecated === "string" ? attribute.deprecated : "",
    writeOnly: attribute.writeOnly === true,
  };
}

/**
 * Checks a block as Terraform's schema validation does (`InternalValidate`):
 * every attribute is exactly one of required, optional, computed or
 * optional+computed; names are lowercase identifiers; nested block bounds
 * make sense. `where` names the block in the error (e.g. `resource "files_file"`).
 */
export function checkBlock(block: Block, where: string, options: { resource: boolean; inSet?: boolean }): void {
  const names = new Set<string>();
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const at = `${where}: attribute ${JSON.stringify(name)}`;
    checkName(name, at);
    names.add(name);
    const { required = false, optional = false, computed = false } = attribute;
    if (required && (optional || computed)) throw new ConfigError(`${at} is required, so it cannot also be optional or computed`);
    if (!required && !optional && !computed) throw new ConfigError(`${at} must be one of required, optional or computed`);
    if (!options.resource && (attribute.requiresReplace || attribute.useStateForUnknown)) {
      throw new ConfigError(`${at}: requiresReplace and useStateForUnknown only apply to resource schemas`);
    }
    if (attribute.useStateForUnknown && !computed) throw new ConfigError(`${at}: useStateForUnknown only applies to computed attributes`);
    if (attribute.default !== undefined) {
      if (!optional || !computed)
        throw new ConfigError(`${at}: a default applies to optional and computed attributes (the provider sets what the configuration leaves out)`);
      try {
        encodeMsgpack(attribute.default, attribute.type);
      } catch (error) {
        throw new ConfigError(`${at}: the default is not a value of its type: ${(error as Error).message}`);
      }
    }
    if (attribute.validate !== undefined && typeof attribute.validate !== "function") throw new ConfigError(`${at}: validate must be a function`);
    if (attribute.nested)
      checkBlock({ attributes: attribute.nested.attributes }, `${where}.${name}`, { ...options, inSet: options.inSet || attribute.nested.nesting === "set" });
    if (attribute.writeOnly) {
      if (!options.resource) throw new ConfigError(`${at}: writeOnly only applies to resource schemas`);
      // Nulled in plan and state, set elements that differ only in it would become one.
      if (options.inSet) throw new ConfigError(`${at}: a writeOnly attribute cannot be inside a set (its elements would differ only in configuration)`);
      if (computed) throw new ConfigError(`${at}: a writeOnly attribute cannot be computed (the provider can never set it)`);
      if (attribute.requiresReplace) throw new ConfigError(`${at}: a writeOnly attribute cannot be requiresReplace (its state value is always null)`);
    }
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const at = `${where}: block ${JSON.stringify(name)}`;
    checkName(name, at);
    if (names.has(name)) throw new ConfigError(`${at} has the same name as an attribute`);
    const { minItems = 0, maxItems = 0 } = nested;
    if (nested.nesting !== "list" && nested.nesting !== "set" && (minItems !== 0 || maxItems !== 0)) {
      throw new ConfigError(`${at}: minItems/maxItems only apply to list and set nesting`);
    }
    if (minItems < 0 || maxItems < 0 || (maxItems !== 0 && minItems > maxItems))
      throw new ConfigError(`${at}: minItems ${minItems} and maxItems ${maxItems} do not make a range`);
    checkBlock(nested.block, `${where}.${name}`, { ...options, inSet: options.inSet || nested.nesting === "set" });
  }
}

function checkName(name: string, at: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new ConfigError(`${at}: names must be lowercase letters, digits and underscores, starting with a letter or underscore`);
}
