import { describe, expect, it } from "vitest";
import { CtyError } from "./errors.js";
import { type CtyType, compareStrings, Types, typeEquals, typeFromJson, typeName, typeToJson, withoutOptionalAttributes } from "./types.js";

describe("type JSON form", () => {
  const cases: [CtyType, string][] = [
    ["string", '"string"'],
    ["number", '"number"'],
    ["bool", '"bool"'],
    ["dynamic", '"dynamic"'],
    [Types.list("string"), '["list","string"]'],
    [Types.set(Types.map("number")), '["set",["map","number"]]'],
    [Types.tuple(["string", "bool"]), '["tuple",["string","bool"]]'],
    [Types.tuple([]), '["tuple",[]]'],
    [Types.object({}), '["object",{}]'],
    // go-cty order: byte order of the names, integer-like names included.
    [Types.object({ b: "string", a: "number", "10": "bool", "2": "bool" }), '["object",{"10":"bool","2":"bool","a":"number","b":"string"}]'],
    [Types.object({ a: "string", b: "number", c: "bool" }, ["c", "b"]), '["object",{"a":"string","b":"number","c":"bool"},["b","c"]]'],
  ];
  for (const [type, json] of cases) {
    it(`${json} both ways`, () => {
      expect(typeToJson(type)).toBe(json);
      expect(typeEquals(typeFromJson(json), type)).toBe(true);
      expect(typeEquals(typeFromJson(new TextEncoder().encode(json)), type)).toBe(true);
    });
  }

  it("keeps an attribute named __proto__ as an attribute", () => {
    const type = typeFromJson('["object",{"__proto__":"string"}]');
    expect(typeToJson(type)).toBe('["object",{"__proto__":"string"}]');
  });

  it("refuses bad type constraints, saying what is accepted", () => {
    const bad: [string, RegExp][] = [
      ["", /not valid JSON/],
      ['"strin"', /unknown primitive type "strin"/],
      ["42", /expected a type name string or a \[kind, …\] array/],
      ['["list"]', /expected a type name string/],
      ['["list","string","x"]', /exactly one element type/],
      ['["vector","string"]', /unknown type kind "vector"/],
      ['["object",["a"]]', /attributes must be a JSON object/],
      ['["object",{"a":"string"},["b"]]', /optional attribute "b" is not an attribute/],
      ['["object",{"a":"string"},"a"]', /optional attributes must be an array/],
      ['["tuple","string"]', /a tuple type is/],
      ['["map",["list","nope"]]', /unknown primitive type "nope"/],
    ];
    for (const [json, message] of bad) {
      expect(() => typeFromJson(json), json).toThrow(CtyError);
      expect(() => typeFromJson(json), json).toThrow(message);
    }
    expect(() => typeToJson({ object: { a: "string" }, optional: ["z"] })).toThrow(/optional attribute "z"/);
    expect(() => typeToJson("text" as CtyType)).toThrow(/unknown type "text"/);
  });
});

describe("type helpers", () => {
  it("typeEquals compares structure, not identity or attribute order", () => {
    expect(typeEquals(Types.object({ a: "string", b: "number" }), Types.object({ b: "number", a: "string" }))).toBe(true);
    expect(typeEquals(Types.object({ a: "string" }), Types.object({ a: "number" }))).toBe(false);
    expect(typeEquals(Types.object({ a: "string" }, ["a"]), Types.object({ a: "string" }))).toBe(false);
    expect(typeEquals(Types.list("string"), Types.set("string"))).toBe(false);
    expect(typeEquals(Types.tuple(["string"]), Types.tuple(["string", "string"]))).toBe(false);
  });

  it("withoutOptionalAttributes drops the markers at every depth", () => {
    const t = Types.list(Types.object({ a: Types.object({ b: "string" }, ["b"]) }, ["a"]));
    expect(typeToJson(withoutOptionalAttributes(t))).toBe('["list",["object",{"a":["object",{"b":"string"}]}]]');
  });

  it("compareStrings orders by code point, as Go orders UTF-8 bytes", () => {
    const sorted = ["𝄞", "\uffff", "é", "b", "a", "", "B"].sort(compareStrings);
    expect(sorted).toEqual(["", "B", "a", "b", "é", "\uffff", "𝄞"]);
    expect(["𝄞", "\uffff"].sort()).toEqual(["𝄞", "\uffff"]); // JavaScript's own order differs
  });

  it("typeName is short and readable", () => {
    expect(typeName(Types.map(Types.list("string")))).toBe("map of list of string");
    expect(typeName(Types.object({}))).toBe("object");
  });
});
