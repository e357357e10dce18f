/**
 * Resource identity (Terraform ≥ 1.12, OpenTofu ≥ 1.12): a small, flat,
 * versioned object the provider derives from a resource's state that names
 * the remote object for good (an account, a region, an id). Terraform stores
 * it beside the state and imports by it (`import { identity = { … } }`).
 * This module holds its schema types, their checks and wire form, and the
 * rule that an identity once stored does not change.
 */
import { ConfigError } from "@rpcplugin/runtime";
import { type CtyType, isUnknown, typeToJson, valuesEqual } from "../cty/index.js";
import type { ValueOf } from "./schema.js";

/** The types an identity attribute may have (as in terraform-plugin-framework's identity schemas). */
export type IdentityType = "string" | "number" | "bool" | { readonly list: "string" | "number" | "bool" };

/** One attribute of a resource identity. */
export interface IdentityAttribute<T extends IdentityType = IdentityType> {
  readonly type: T;
  /** An `import` block's `identity` must set it. */
  readonly requiredForImport?: boolean;
  /** An `import` block's `identity` may leave it out (the provider finds it). */
  readonly optionalForImport?: boolean;
  /** Shown in documentation and language servers. */
  readonly description?: string;
}

export type IdentityAttributes = Readonly<Record<string, IdentityAttribute>>;

/** An identity value: one key per attribute, null where unset. */
export type IdentityOf<A extends IdentityAttributes> = string extends keyof A
  ? Record<string, unknown>
  : { -readonly [K in keyof A]: ValueOf<A[K]["type"]> | null };

/** The identity schema as both protocols carry it (`ResourceIdentitySchema`). */
export interface WireIdentitySchema {
  version: bigint;
  identityAttributes: { name: string; type: Uint8Array; requiredForImport: boolean; optionalForImport: boolean; description: string }[];
}

const primitives = new Set(["string", "number", "bool"]);
const encoder = new TextEncoder();

/** Checks an identity definition of resource `where`; throws ConfigError on the first problem. */
export function checkIdentity(identity: { attributes?: unknown; version?: unknown; of?: unknown; upgrade?: unknown }, where: string): void {
  const at = `${where}: identity`;
  const attributes = identity.attributes;
  if (attributes === null || typeof attributes !== "object" || Object.keys(attributes).length === 0)
    throw new ConfigError(`${at} needs at least one attribute`);
  for (const [name, attribute] of Object.entries(attributes as IdentityAttributes)) {
    const where = `${at} attribute ${JSON.stringify(name)}`;
    if (!/^[a-z_][a-z0-9_]*$/.test(name))
      throw new ConfigError(`${where}: names must be lowercase letters, digits and underscores, starting with a letter or underscore`);
    const type = attribute?.type as unknown;
    const listOf = typeof type === "object" && type !== null ? (type as { list?: unknown }).list : undefined;
    if (!(primitives.has(type as string) || (Object.keys(type ?? {}).length === 1 && primitives.has(listOf as string))))
      throw new ConfigError(`${where}: type must be "string", "number", "bool" or a list of one of them, got ${JSON.stringify(type)}`);
    if (attribute.requiredForImport && attribute.optionalForImport) throw new ConfigError(`${where} cannot be both requiredForImport and optionalForImport`);
  }
  const version = identity.version ?? 0;
  if (!Number.isInteger(version) || (version as number) < 0) throw new ConfigError(`${at}: version must be a non-negative integer, got ${String(version)}`);
  if (typeof identity.of !== "function") throw new ConfigError(`${at} needs an \`of\` function (the identity of a state)`);
  if (identity.upgrade !== undefined && typeof identity.upgrade !== "function") throw new ConfigError(`${at}: upgrade must be a function`);
}

/** The cty object type of an identity's value. */
export function identityType(attributes: IdentityAttributes): CtyType {
  return { object: Object.fromEntries(Object.entries(attributes).map(([name, attribute]) => [name, attribute.type])) };
}

/** The wire identity schema at `version`. */
export function toWireIdentitySchema(attributes: IdentityAttributes, version: number): WireIdentitySchema {
  return {
    version: BigInt(version),
    identityAttributes: Object.entries(attributes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, attribute]) => ({
        name,
        type: encoder.encode(typeToJson(attribute.type)),
        requiredForImport: attribute.requiredForImport === true,
        optionalForImport: attribute.optionalForImport === true,
        description: attribute.description ?? "",
      })),
  };
}

/** The full identity object from what provider code returned: attributes left out are null. */
export function completeIdentity(attributes: IdentityAttributes, returned: unknown): Record<string, unknown> {
  if (returned === null || typeof returned !== "object") throw new TypeError("the identity must be an object of its attributes");
  const values = returned as Record<string, unknown>;
  const unknownNames = Object.keys(values).filter((name) => !Object.hasOwn(attributes, name));
  if (unknownNames.length > 0)
    throw new TypeError(
      `the identity has no attribute ${unknownNames.map((n) => JSON.stringify(n)).join(", ")} (it has ${Object.keys(attributes).join(", ")})`,
    );
  return Object.fromEntries(Object.keys(attributes).map((name) => [name, values[name] ?? null]));
}

/** Whether an identity is missing: null, unknown, or every attribute null (a stored all-null identity names nothing). */
export function isEmptyIdentity(identity: unknown): boolean {
  if (identity === null || identity === undefined || isUnknown(identity)) return true;
  return Object.values(identity as Record<string, unknown>).every((value) => value === null);
}

/**
 * The first attribute a stored identity had a value for that `next` changes,
 * or undefined. Attributes the stored identity left null may be filled in (an
 * import by a partial identity, then the read after it).
 */
export function changedIdentityAttribute(attributes: IdentityAttributes, stored: unknown, next: Record<string, unknown>): string | undefined {
  if (isEmptyIdentity(stored)) return undefined;
  const before = stored as Record<string, unknown>;
  return Object.entries(attributes).find(([name, attribute]) => {
    const was = before[name];
    return was !== null && was !== undefined && !isUnknown(was) && !valuesEqual(was, next[name] ?? null, attribute.type);
  })?.[0];
}
