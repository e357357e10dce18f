/**
 * The cty value codec: Terraform's types, values, unknowns, and their msgpack and JSON wire forms.
 *
 * @packageDocumentation
 */

export { type DynamicValueFields, fromDynamicValue, toDynamicValue } from "./dynamic-value.js";
export { CtyError } from "./errors.js";
export { type DecodeJsonOptions, decodeJson, decodeJsonUntyped, encodeJson } from "./json.js";
export { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
export { CtyNumber } from "./number.js";
export {
  type CtyObjectType,
  type CtyPrimitiveType,
  type CtyType,
  collectionElementType,
  containsDynamic,
  isCollectionType,
  Types,
  typeEquals,
  typeFromJson,
  typeName,
  typeToJson,
  withoutOptionalAttributes,
} from "./types.js";
export { isUnknown, type NumberBound, Unknown, type UnknownRefinements, unknown } from "./unknown.js";
export { actualType, type CtyDynamic, type CtyObjectValue, type CtyValue, dynamic, isWhollyKnown, valuesEqual } from "./values.js";
