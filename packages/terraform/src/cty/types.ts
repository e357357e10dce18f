/**
 * cty types (Terraform's type system) and their JSON form, the one Terraform uses for
 * `Schema.Attribute.type` and inside msgpack-encoded dynamic values.
 */
import { CtyError } from "./errors.js";

/** A primitive type. */
export type CtyPrimitiveType = "string" | "number" | "bool";

/**
 * A cty type. `"dynamic"` is cty's DynamicPseudoType (the type is only known with the value).
 * An object type may name attributes that are `optional` (only meaningful in type constraints;
 * values of the type still carry every attribute, with `null` for absent ones).
 */
export type CtyType =
  | CtyPrimitiveType
  | "dynamic"
  | { readonly list: CtyType }
  | { readonly set: CtyType }
  | { readonly map: CtyType }
  | { readonly object: Readonly<Record<string, CtyType>>; readonly optional?: readonly string[] }
  | { readonly tuple: readonly CtyType[] };

/** Object type. */
export type CtyObjectType = Extract<CtyType, { readonly object: unknown }>;

/** Constructors for {@link CtyType}s. */
export const Types = {
  string: "string",
  number: "number",
  bool: "bool",
  dynamic: "dynamic",
  list: (element: CtyType): CtyType => ({ list: element }),
  set: (element: CtyType): CtyType => ({ set: element }),
  map: (element: CtyType): CtyType => ({ map: element }),
  /** An object type; `optional` names attributes that may be omitted in a type constraint. */
  object: (attributes: Record<string, CtyType>, optional?: readonly string[]): CtyType =>
    optional === undefined || optional.length === 0 ? { object: attributes } : { object: attributes, optional },
  tuple: (elements: readonly CtyType[]): CtyType => ({ tuple: elements }),
} as const;

/** The element type of a list, set or map type, else undefined. */
export function collectionElementType(type: CtyType): CtyType | undefined {
  if (typeof type === "string") return undefined;
  if ("list" in type) return type.list;
  if ("set" in type) return type.set;
  if ("map" in type) return type.map;
  return undefined;
}

/**
 * `type` without optional-attribute markers. Optional attributes belong to type constraints;
 * a value's own type never has them (go-cty drops them when it builds the value).
 */
export function withoutOptionalAttributes(type: CtyType): CtyType {
  if (typeof type === "string") return type;
  if ("list" in type) return { list: withoutOptionalAttributes(type.list) };
  if ("set" in type) return { set: withoutOptionalAttributes(type.set) };
  if ("map" in type) return { map: withoutOptionalAttributes(type.map) };
  if ("tuple" in type) return { tuple: type.tuple.map(withoutOptionalAttributes) };
  const object: Record<string, CtyType> = Object.create(null);
  for (const [name, t] of Object.entries(type.object)) object[name] = withoutOptionalAttributes(t);
  return { object };
}

/** Whether `type` is or contains `"dynamic"`. */
export function containsDynamic(type: CtyType): boolean {
  if (type === "dynamic") return true;
  if (typeof type === "string") return false;
  let known = containsDynamicCache.get(type);
  if (known === undefined) {
    known = findDynamic(type);
    containsDynamicCache.set(type, known);
  }
  return known;
}

const containsDynamicCache = new WeakMap<object, boolean>();

function findDynamic(type: Exclude<CtyType, string>): boolean {
  if ("list" in type) return containsDynamic(type.list);
  if ("set" in type) return containsDynamic(type.set);
  if ("map" in type) return containsDynamic(type.map);
  if ("tuple" in type) return type.tuple.some(containsDynamic);
  return Object.values(type.object).some(containsDynamic);
}

/** Whether `type` is a list, set or map type. */
export function isCollectionType(type: CtyType): boolean {
  return collectionElementType(type) !== undefined;
}

const attributeNamesCache = new WeakMap<object, readonly string[]>();

/** Attribute names of an object type, in go-cty's order (byte-wise, as Go sorts strings). */
export function objectAttributeNames(type: CtyObjectType): readonly string[] {
  let names = attributeNamesCache.get(type.object);
  if (names === undefined) {
    names = Object.keys(type.object).sort(compareStrings);
    attributeNamesCache.set(type.object, names);
  }
  return names;
}

/** Compares strings by Unicode code point, which is the byte order of their UTF-8 (Go's order). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (U+D800–DFFF) encode code points above U+FFFF, which sort after U+E000–FFFF.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca < cb ? -1 : 1;
  }
  return a.length - b.length;
}

/** Whether two types are the same (optional attribute sets compared as sets). */
export function typeEquals(a: CtyType, b: CtyType): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if ("list" in a) return "list" in b && typeEquals(a.list, b.list);
  if ("set" in a) return "set" in b && typeEquals(a.set, b.set);
  if ("map" in a) return "map" in b && typeEquals(a.map, b.map);
  if ("tuple" in a) {
    return "tuple" in b && a.tuple.length === b.tuple.length && a.tuple.every((t, i) => typeEquals(t, b.tuple[i]!));
  }
  if (!("object" in b)) return false;
  const ka = Object.keys(a.object);
  if (ka.length !== Object.keys(b.object).length) return false;
  for (const k of ka) {
    const tb = Object.hasOwn(b.object, k) ? b.object[k] : undefined;
    if (tb === undefined || !typeEquals(a.object[k]!, tb)) return false;
  }
  const oa = new Set(a.optional ?? []);
  const ob = new Set(b.optional ?? []);
  return oa.size === ob.size && [...oa].every((k) => ob.has(k));
}

/** A short human name of a type, as in error messages: `list of string`, `object`. */
export function typeName(type: CtyType): string {
  if (typeof type === "string") return type;
  if ("list" in type) return `list of ${typeName(type.list)}`;
  if ("set" in type) return `set of ${typeName(type.set)}`;
  if ("map" in type) return `map of ${typeName(type.map)}`;
  if ("tuple" in type) return "tuple";
  return "object";
}

/** The JSON text of `type`, attributes in go-cty's (byte) order; written by hand because JSON.stringify puts integer-like keys first. */
function toJsonText(type: CtyType, path: string): string {
  if (typeof type === "string") {
    if (type === "string" || type === "number" || type === "bool" || type === "dynamic") return JSON.stringify(type);
    throw new CtyError(`unknown type ${JSON.stringify(type)}`, path);
  }
  if (type === null || typeof type !== "object") throw new CtyError(`not a cty type: ${String(type)}`, path);
  if ("list" in type) return `["list",${toJsonText(type.list, path)}]`;
  if ("set" in type) return `["set",${toJsonText(type.set, path)}]`;
  if ("map" in type) return `["map",${toJsonText(type.map, path)}]`;
  if ("tuple" in type) return `["tuple",[${type.tuple.map((t, i) => toJsonText(t, `${path}[${i}]`)).join(",")}]]`;
  if ("object" in type) {
    const attrs = objectAttributeNames(type).map((name) => `${JSON.stringify(name)}:${toJsonText(type.object[name]!, `${path}.${name}`)}`);
    const optional = [...new Set(type.optional ?? [])].sort(compareStrings);
    for (const name of optional) {
      if (!Object.hasOwn(type.object, name)) throw new CtyError(`optional attribute ${JSON.stringify(name)} is not an attribute of the object type`, path);
    }
    const text = `["object",{${attrs.join(",")}}`;
    return optional.length === 0 ? `${text}]` : `${text},${JSON.stringify(optional)}]`;
  }
  throw new CtyError(`not a cty type: ${JSON.stringify(type)}`, path);
}

/**
 * The JSON type constraint form Terraform uses (`"string"`, `["list","string"]`,
 * `["object",{"a":"number"},["a"]]`), with attributes in go-cty's order.
 */
export function typeToJson(type: CtyType): string {
  return toJsonText(type, "");
}

/** Parses Terraform's JSON type constraint form (bytes are UTF-8). Throws {@link CtyError} on bad input. */
export function typeFromJson(json: string | Uint8Array): CtyType {
  const text = typeof json === "string" ? json : new TextDecoder("utf-8", { fatal: false }).decode(json);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CtyError(`type constraint is not valid JSON: ${JSON.stringify(text.slice(0, 80))}`, "", { cause: error });
  }
  return fromJsonStructure(parsed, "");
}

/** Type constraints nest far less than this in practice; the limit keeps recursion bounded. */
const MAX_TYPE_DEPTH = 500;

function fromJsonStructure(json: unknown, path: string, depth = 0): CtyType {
  if (depth > MAX_TYPE_DEPTH) throw new CtyError(`type constraint nested deeper than ${MAX_TYPE_DEPTH} levels`);
  const where = path === "" ? "type constraint" : `type constraint at ${path}`;
  if (typeof json === "string") {
    if (json === "string" || json === "number" || json === "bool" || json === "dynamic") return json;
    throw new CtyError(`${where}: unknown primitive type ${JSON.stringify(json)} (expected "string", "number", "bool" or "dynamic")`);
  }
  if (!Array.isArray(json) || json.length < 2 || typeof json[0] !== "string") {
    throw new CtyError(`${where}: expected a type name string or a [kind, …] array, got ${JSON.stringify(json)}`);
  }
  const [kind, arg] = json as [string, unknown, unknown];
  const extra = json.length;
  switch (kind) {
    case "list":
    case "set":
    case "map": {
      if (extra !== 2) throw new CtyError(`${where}: a ${kind} type has exactly one element type`);
      const element = fromJsonStructure(arg, `${path}/${kind}`, depth + 1);
      return kind === "list" ? { list: element } : kind === "set" ? { set: element } : { map: element };
    }
    case "tuple": {
      if (extra !== 2 || !Array.isArray(arg)) throw new CtyError(`${where}: a tuple type is ["tuple", [element types…]]`);
      return { tuple: arg.map((t, i) => fromJsonStructure(t, `${path}/tuple[${i}]`, depth + 1)) };
    }
    case "object": {
      if (extra !== 2 && extra !== 3) throw new CtyError(`${where}: an object type is ["object", {attributes}] or ["object", {attributes}, [optional names]]`);
      if (arg === null || typeof arg !== "object" || Array.isArray(arg)) {
        throw new CtyError(`${where}: object attributes must be a JSON object, got ${JSON.stringify(arg)}`);
      }
      const attributes: Record<string, CtyType> = Object.create(null);
      for (const [name, t] of Object.entries(arg)) attributes[name] = fromJsonStructure(t, `${path}.${name}`, depth + 1);
      if (extra === 2) return { object: attributes };
      const optional = json[2];
      if (!Array.isArray(optional) || !optional.every((n): n is string => typeof n === "string")) {
        throw new CtyError(`${where}: optional attributes must be an array of names, got ${JSON.stringify(optional)}`);
      }
      for (const name of optional) {
        if (!Object.hasOwn(attributes, name)) throw new CtyError(`${where}: optional attribute ${JSON.stringify(name)} is not an attribute of the object`);
      }
      return optional.length === 0 ? { object: attributes } : { object: attributes, optional };
    }
    default:
      throw new CtyError(`${where}: unknown type kind ${JSON.stringify(kind)} (expected list, set, map, object or tuple)`);
  }
}
