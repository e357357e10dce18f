/**
 * cty's JSON encoding (go-cty `cty/json`), which Terraform uses for state on disk and so for
 * `RawState.json` in UpgradeResourceState. Numbers are read without rounding; a dynamic value is
 * `{"value": …, "type": …}`. Unknown values have no JSON form.
 */
import { CtyError, ValuePath } from "./errors.js";
import { type JsonNode, JsonNumber, parseJson } from "./json-parse.js";
import { setElements } from "./msgpack.js";
import { CtyNumber, parseNumberValue, shortestDecimal, toCtyNumber } from "./number.js";
import { type CtyType, compareStrings, objectAttributeNames, typeFromJson, typeName, typeToJson, withoutOptionalAttributes } from "./types.js";
import { Unknown } from "./unknown.js";
import {
  attributeOf,
  type CtyDynamic,
  type CtyObjectValue,
  type CtyValue,
  checkConsistentElements,
  entriesOf,
  isObjectValue,
  nfc,
  typedDynamicElements,
} from "./values.js";

/**
 * Encodes `value` of `type` as cty JSON, as go-cty's `json.Marshal` writes it (keys sorted,
 * `<`, `>`, `&` escaped as Go does). Numbers: a `CtyNumber` and an integral `number` exactly;
 * a fractional `number` as the shortest decimal that reads back as the same double (go-cty's
 * form for float values). `value` is a {@link CtyValue}, checked at run time; throws
 * {@link CtyError} for unknown values and mismatched types.
 */
export function encodeJson(value: unknown, type: CtyType): string {
  const out: string[] = [];
  write(value as CtyValue, type, new ValuePath(), out);
  return out.join("");
}

/** Options of {@link decodeJson}. */
export interface DecodeJsonOptions {
  /**
   * Skip object attributes the type does not have, at every depth, instead of failing. State
   * written by an older provider version can hold attributes since removed from the schema
   * (terraform-plugin-go's `IgnoreUndefinedAttributes`, which providers use for `RawState`).
   */
  ignoreUndefinedAttributes?: boolean;
}

/** Decodes cty JSON of `type` (string, Uint8Array as UTF-8). Numbers come back lossless (see {@link CtyNumber}). */
export function decodeJson(json: string | Uint8Array, type: CtyType, options: DecodeJsonOptions = {}): CtyValue {
  const text = typeof json === "string" ? json : new TextDecoder().decode(json);
  return read(parseJson(text), type, new ValuePath(), options.ignoreUndefinedAttributes === true);
}

/**
 * Reads any JSON without a type, for state of an older schema version whose type is gone:
 * objects as null-prototype objects (every key kept), arrays as arrays, numbers lossless
 * (`number` when exactly a double, else {@link CtyNumber}).
 */
export function decodeJsonUntyped(json: string | Uint8Array): CtyValue {
  const text = typeof json === "string" ? json : new TextDecoder().decode(json);
  return untyped(parseJson(text));
}

function untyped(node: JsonNode): CtyValue {
  if (node instanceof JsonNumber) return parseNumberValue(node.text);
  if (Array.isArray(node)) return node.map(untyped);
  if (node instanceof Map) {
    const result: Record<string, CtyValue> = Object.create(null);
    for (const [k, v] of node) result[k] = untyped(v);
    return result as CtyObjectValue;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

/** A JSON string as Go's encoding/json writes it (`<`, `>`, `&`, U+2028, U+2029 escaped). */
function goString(s: string): string {
  const text = JSON.stringify(nfc(s));
  HTML_UNSAFE.lastIndex = 0;
  return HTML_UNSAFE.test(text) ? text.replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : text;
}

function mismatch(expected: string, value: unknown, path: ValuePath): CtyError {
  const got =
    value === null
      ? "null"
      : Array.isArray(value)
        ? "an array"
        : value instanceof Map
          ? "an object"
          : value instanceof JsonNumber
            ? `number ${value.text}`
            : typeof value === "object"
              ? "an object"
              : `${typeof value} ${JSON.stringify(value)}`;
  return new CtyError(`${expected} is required, got ${got}`, path);
}

function write(value: CtyValue, type: CtyType, path: ValuePath, out: string[]): void {
  if (value === undefined) throw new CtyError(`a value of type ${typeName(type)} is required, got undefined (use null)`, path);
  if (value instanceof Unknown) throw new CtyError("value is not known: unknown values have no JSON form", path);
  if (value === null) {
    out.push("null");
    return;
  }
  if (type === "dynamic") {
    if (!isObjectValue(value) || value instanceof Map || !Object.hasOwn(value, "type") || !Object.hasOwn(value, "value")) {
      throw mismatch("a dynamic value { type, value }", value, path);
    }
    const d = value as unknown as CtyDynamic;
    out.push('{"value":');
    write(d.value, d.type, path, out);
    out.push(',"type":', typeToJson(withoutOptionalAttributes(d.type)), "}");
    return;
  }
  switch (type) {
    case "string":
      if (typeof value !== "string") throw mismatch("a string", value, path);
      out.push(goString(value));
      return;
    case "bool":
      if (typeof value !== "boolean") throw mismatch("a bool", value, path);
      out.push(value ? "true" : "false");
      return;
    case "number": {
      if (typeof value !== "number" && typeof value !== "bigint" && !(value instanceof CtyNumber)) throw mismatch("a number", value, path);
      if (typeof value === "number" && Number.isSafeInteger(value)) {
        out.push(String(value));
        return;
      }
      let n: number | CtyNumber;
      try {
        n = toCtyNumber(value);
      } catch (error) {
        throw new CtyError((error as Error).message, path);
      }
      if (typeof n === "number") throw new CtyError(`${n} has no JSON form`, path);
      out.push(typeof value === "number" && !Number.isInteger(value) ? shortestDecimal(value) : n.toString());
      return;
    }
  }
  if ("list" in type || "set" in type || "tuple" in type) {
    if (!Array.isArray(value)) throw mismatch(`a ${typeName(type)}`, value, path);
    if (!("tuple" in type))
      checkConsistentElements(
        (value as readonly CtyValue[]).map((v, i) => [i, v]),
        "list" in type ? type.list : type.set,
        path,
      );
    const given = "tuple" in type ? (value as readonly CtyValue[]) : typedDynamicElements(value as readonly CtyValue[], "list" in type ? type.list : type.set);
    const items = "set" in type ? setElements(given, type.set, path).map((e) => e.value) : given;
    if ("tuple" in type && items.length !== type.tuple.length) {
      throw new CtyError(`a tuple of ${type.tuple.length} elements is required, got ${items.length}`, path);
    }
    out.push("[");
    items.forEach((v, i) => {
      if (i > 0) out.push(",");
      const t = "list" in type ? type.list : "set" in type ? type.set : type.tuple[i]!;
      path.index(i);
      write(v, t, path, out);
      path.pop();
    });
    out.push("]");
    return;
  }
  if (!isObjectValue(value)) throw mismatch(`a ${typeName(type)}`, value, path);
  let names: readonly string[];
  let source: CtyObjectValue | ReadonlyMap<string, CtyValue> = value;
  if ("map" in type) {
    checkConsistentElements(entriesOf(value), type.map, path);
    const keys = entriesOf(value).map(([k]) => k);
    const typed = typedDynamicElements(
      entriesOf(value).map(([, v]) => v),
      type.map,
    );
    source = new Map(keys.map((k, i) => [k, typed[i]!]));
    names = keys.sort((a, b) => compareStrings(nfc(a), nfc(b)));
  } else {
    for (const [k] of entriesOf(value)) {
      if (!Object.hasOwn(type.object, k)) throw new CtyError(`unsupported attribute ${JSON.stringify(k)}`, path);
    }
    names = objectAttributeNames(type);
  }
  out.push("{");
  names.forEach((k, i) => {
    if (i > 0) out.push(",");
    out.push(goString(k), ":");
    if ("map" in type) path.index(k);
    else path.attr(k);
    write(attributeOf(source, k) ?? null, "map" in type ? type.map : type.object[k]!, path, out);
    path.pop();
  });
  out.push("}");
}

function read(node: JsonNode, type: CtyType, path: ValuePath, lenient: boolean): CtyValue {
  if (node === null) return null;
  if (type === "dynamic") {
    if (!(node instanceof Map)) throw mismatch('a {"value": …, "type": …} object', node, path);
    for (const key of node.keys()) {
      if (key !== "type" && key !== "value") throw new CtyError(`invalid key ${JSON.stringify(key)} in dynamically-typed value`, path);
    }
    const typeNode = node.get("type");
    if (typeNode === undefined) throw new CtyError("missing type in dynamically-typed value", path);
    if (!node.has("value")) throw new CtyError("missing value in dynamically-typed value", path);
    let inner: CtyType;
    try {
      inner = typeFromJson(JSON.stringify(plainJson(typeNode)));
    } catch (error) {
      throw new CtyError((error as Error).message, path, { cause: error });
    }
    return { type: inner, value: read(node.get("value")!, inner, path, lenient) };
  }
  switch (type) {
    case "string":
      // go-cty converts JSON numbers and bools to strings here.
      if (typeof node === "string") return nfc(node);
      if (node instanceof JsonNumber) return node.text;
      if (typeof node === "boolean") return node ? "true" : "false";
      throw mismatch("a string", node, path);
    case "bool":
      if (typeof node === "boolean") return node;
      if (node === "true" || node === "false") return node === "true";
      throw mismatch("a bool", node, path);
    case "number": {
      const text = node instanceof JsonNumber ? node.text : typeof node === "string" ? node : undefined;
      if (text === undefined) throw mismatch("a number", node, path);
      try {
        return parseNumberValue(text);
      } catch (error) {
        throw new CtyError(`a number is required, got ${JSON.stringify(text)}`, path, { cause: error });
      }
    }
  }
  if ("list" in type || "set" in type || "tuple" in type) {
    if (!Array.isArray(node)) throw mismatch(`a ${typeName(type)}`, node, path);
    if ("tuple" in type && node.length !== type.tuple.length) {
      throw new CtyError(`a tuple of ${type.tuple.length} elements is required, got ${node.length}`, path);
    }
    return node.map((n, i) => {
      path.index(i);
      const v = read(n, "list" in type ? type.list : "set" in type ? type.set : type.tuple[i]!, path, lenient);
      path.pop();
      return v;
    });
  }
  if (!(node instanceof Map)) throw mismatch(`a ${typeName(type)}`, node, path);
  const result: Record<string, CtyValue> = Object.create(null);
  if ("map" in type) {
    for (const [k, v] of node) {
      const key = nfc(k);
      path.index(key);
      result[key] = read(v, type.map, path, lenient);
      path.pop();
    }
    return result as CtyObjectValue;
  }
  for (const [k, v] of node) {
    if (!Object.hasOwn(type.object, k)) {
      if (lenient) continue;
      throw new CtyError(`unsupported attribute ${JSON.stringify(k)}`, path);
    }
    path.attr(k);
    result[k] = read(v, type.object[k]!, path, lenient);
    path.pop();
  }
  // Absent attributes are null, as go-cty reads them.
  for (const k of Object.keys(type.object)) if (!(k in result)) result[k] = null;
  return result as CtyObjectValue;
}

/** A JsonNode as the plain JSON structure (for type constraints, which hold no numbers). */
function plainJson(node: JsonNode): unknown {
  if (node instanceof JsonNumber) return Number(node.text);
  if (Array.isArray(node)) return node.map(plainJson);
  if (node instanceof Map) return Object.fromEntries([...node].map(([k, v]) => [k, plainJson(v)]));
  return node;
}
