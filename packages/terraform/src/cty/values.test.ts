import { describe, expect, it } from "vitest";
import { fromDynamicValue, toDynamicValue } from "./dynamic-value.js";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
import { CtyNumber } from "./number.js";
import type { CtyType } from "./types.js";
import { isUnknown, Unknown, unknown } from "./unknown.js";
import { actualType, dynamic, isWhollyKnown, valuesEqual } from "./values.js";

describe("values", () => {
  it("valuesEqual: numbers numerically, sets in any order, absent attributes as null, refinements compared", () => {
    expect(valuesEqual(1, CtyNumber.parse("1.0"), "number")).toBe(true);
    expect(valuesEqual(0.1, CtyNumber.parse("0.1"), "number")).toBe(false); // the double is not the decimal
    expect(valuesEqual(["a", "b"], ["b", "a"], { set: "string" })).toBe(true);
    expect(valuesEqual(["a", "b"], ["b", "a"], { list: "string" })).toBe(false);
    expect(valuesEqual({ a: "x" }, { a: "x", b: null }, { object: { a: "string", b: "number" } })).toBe(true);
    expect(valuesEqual(unknown(), unknown(), "string")).toBe(true);
    expect(valuesEqual(unknown({ nullable: false }), unknown(), "string")).toBe(false);
    expect(valuesEqual(dynamic("string", "a"), dynamic("string", "a"), "dynamic")).toBe(true);
    expect(valuesEqual(dynamic("string", "1"), dynamic("number", 1), "dynamic")).toBe(false);
    expect(valuesEqual(null, "", "string")).toBe(false);
  });

  it("isWhollyKnown looks at every depth", () => {
    expect(isWhollyKnown({ a: [1, { b: "x" }] })).toBe(true);
    expect(isWhollyKnown({ a: [1, { b: unknown() }] })).toBe(false);
    expect(isWhollyKnown(new Map([["a", unknown()]]))).toBe(false);
  });

  it("actualType fills dynamic positions from the values", () => {
    const type: CtyType = { object: { a: "dynamic", b: { list: "dynamic" } } };
    expect(actualType({ a: dynamic("string", "x"), b: [dynamic("number", 1)] }, type)).toEqual({ object: { a: "string", b: { list: "number" } } });
    expect(actualType({ a: null, b: [] }, type)).toEqual({ object: { a: "dynamic", b: { list: "dynamic" } } });
  });

  it("unknown() without refinements is the shared plain unknown; refinements are frozen", () => {
    expect(unknown()).toBe(Unknown.plain);
    expect(unknown({ stringPrefix: undefined })).toBe(Unknown.plain);
    const u = unknown({ nullable: false, lengthLower: 2 });
    expect(isUnknown(u)).toBe(true);
    expect(u.notNull).toBe(true);
    expect(Object.isFrozen(u.refinements)).toBe(true);
    expect(String(u)).toBe("(unknown nullable=false lengthLower=2)");
    expect(isUnknown(null)).toBe(false);
  });

  it("a Map is accepted wherever a map or object value is", () => {
    const type: CtyType = { object: { tags: { map: "string" } } };
    const fromMap = encodeMsgpack(
      new Map([
        [
          "tags",
          new Map([
            ["b", "2"],
            ["a", "1"],
          ]),
        ],
      ]),
      type,
    );
    expect(fromMap).toEqual(encodeMsgpack({ tags: { a: "1", b: "2" } }, type));
  });

  it("a set keeps each value once, equal numbers included", () => {
    const bytes = encodeMsgpack([2, CtyNumber.parse("2.0"), 1n, 1], { set: "number" });
    expect(decodeMsgpack(bytes, { set: "number" })).toEqual([1, 2]);
  });
});

describe("DynamicValue helpers", () => {
  const type: CtyType = { object: { id: "string", n: "number" } };

  it("toDynamicValue writes msgpack; fromDynamicValue reads it back", () => {
    const message = toDynamicValue({ id: "x", n: 3 }, type);
    expect(message.json).toHaveLength(0);
    expect(fromDynamicValue(message, type)).toEqual({ id: "x", n: 3 });
  });

  it("fromDynamicValue reads JSON when there is no msgpack, and null when there is neither", () => {
    const json = new TextEncoder().encode('{"id":"y","n":18446744073709551616}');
    expect(fromDynamicValue({ msgpack: new Uint8Array(0), json }, type)).toEqual({ id: "y", n: 2 ** 64 });
    expect(fromDynamicValue({ msgpack: new Uint8Array(0), json: new Uint8Array(0) }, type)).toBeNull();
    expect(fromDynamicValue(undefined, type)).toBeNull();
    expect(fromDynamicValue({ msgpack: new Uint8Array([0xc0]) }, type)).toBeNull();
  });
});
