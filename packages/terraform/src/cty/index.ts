/**
 * The cty value codec: Terraform's types, values, unknowns, and their msgpack and JSON wire forms.
 *
 * @packageDocumentation
 */
export { CtyError } from "./errors.js";
export {
  type CtyType,
  type CtyPrimitiveType,
  type CtyObjectType,
  Types,
  typeToJson,
  typeFromJson,
  typeEquals,
  typeName,
  collectionElementType,
  containsDynamic,
  withoutOptionalAttributes,
  isCollectionType,
} from "./types.js";
export { CtyNumber } from "./number.js";
export { Unknown, type UnknownRefinements, type NumberBound, unknown, isUnknown } from "./unknown.js";
export { type CtyValue, type CtyObjectValue, type CtyDynamic, dynamic, isWhollyKnown, valuesEqual, actualType } from "./values.js";
export { encodeMsgpack, decodeMsgpack } from "./msgpack.js";
export { encodeJson, decodeJson, decodeJsonUntyped, type DecodeJsonOptions } from "./json.js";
export { type DynamicValueFields, fromDynamicValue, toDynamicValue } from "./dynamic-value.js";
