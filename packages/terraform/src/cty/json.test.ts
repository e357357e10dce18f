import { describe, expect, it } from "vitest";
import { CtyError } from "./errors.js";
import { decodeJson, decodeJsonUntyped, encodeJson } from "./json.js";
import { CtyNumber } from "./number.js";
import type { CtyType } from "./types.js";
import { unknown } from "./unknown.js";
import { dynamic } from "./values.js";

describe("cty JSON", () => {
  const type: CtyType = { object: { id: "string", size: "number", tags: { map: "string" }, ok: "bool", any: "dynamic" } };

  it("reads numbers without going through a double", () => {
    const v = decodeJson('{"id":"a","size":123456789012345678901234567890.5,"tags":null,"ok":true,"any":null}', type) as Record<string, unknown>;
    expect(v.size).toEqual(CtyNumber.parse("123456789012345678901234567890.5"));
    expect(decodeJson("9007199254740993", "number")).toEqual(CtyNumber.parse("9007199254740993"));
    expect(decodeJson("0.1", "number")).toEqual(CtyNumber.parse("0.1"));
    expect(decodeJson("0.5", "number")).toBe(0.5);
    expect(decodeJson("1e400", "number")).toEqual(CtyNumber.parse("1e400"));
  });

  it("writes like go-cty: keys sorted, HTML characters escaped, numbers in plain notation", () => {
    const text = encodeJson(
      { id: "<a&b>", size: 1e21, tags: { b: "1", "10": "x", a: "2" }, ok: false, any: dynamic({ list: "number" }, [0.1, 2n ** 64n]) },
      type,
    );
    expect(text).toBe(
      '{"any":{"value":[0.1,18446744073709551616],"type":["list","number"]},"id":"\\u003ca\\u0026b\\u003e","ok":false,"size":1000000000000000000000,"tags":{"10":"x","a":"2","b":"1"}}',
    );
  });

  it("fills absent attributes with null and keeps any map key", () => {
    const v = decodeJson('{"tags":{"__proto__":"p","constructor":"c"}}', type) as Record<string, unknown>;
    expect(v).toEqual({
      id: null,
      size: null,
      tags: Object.fromEntries([
        ["__proto__", "p"],
        ["constructor", "c"],
      ]),
      ok: null,
      any: null,
    });
    expect(Object.getPrototypeOf(v.tags)).toBeNull();
  });

  it("converts primitives the way go-cty does", () => {
    expect(decodeJson("12", "string")).toBe("12");
    expect(decodeJson("true", "string")).toBe("true");
    expect(decodeJson('"false"', "bool")).toBe(false);
    expect(decodeJson('"42"', "number")).toBe(42);
  });

  it("reads dynamic values as {value, type} in either order", () => {
    expect(decodeJson('{"type":"string","value":"x"}', "dynamic")).toEqual({ type: "string", value: "x" });
    expect(() => decodeJson('{"value":1}', "dynamic")).toThrow(/missing type/);
    expect(() => decodeJson('{"type":"string"}', "dynamic")).toThrow(/missing value/);
    expect(() => decodeJson('{"type":"string","value":"x","extra":1}', "dynamic")).toThrow(/invalid key "extra"/);
  });

  it("reports bad JSON and mismatches with the path", () => {
    expect(() => decodeJson('{"id":"a",}', type)).toThrow(/malformed JSON at offset 10/);
    expect(() => decodeJson('{"id":"a","id":"b"}', type)).toThrow(/duplicate object key "id"/);
    expect(() => decodeJson('{"nope":1}', type)).toThrow(/unsupported attribute "nope"/);
    expect(() => decodeJson('{"tags":{"a":[1]}}', type)).toThrow(/^\.tags\["a"\]: a string is required, got an array$/);
    expect(() => decodeJson('"1" 2', "string")).toThrow(/unexpected text after the value/);
    expect(() => decodeJson('["a"', { list: "string" })).toThrow(CtyError);
    expect(() => decodeJson("[1,2]", { tuple: ["number"] })).toThrow(/a tuple of 1 elements is required, got 2/);
  });

  it("has no form for unknown values or infinities", () => {
    expect(() => encodeJson({ id: unknown() }, type)).toThrow(/^\.id: value is not known/);
    expect(() => encodeJson(Infinity, "number")).toThrow(/Infinity has no JSON form/);
  });

  it("refuses a collection of dynamic values with different types", () => {
    expect(() => encodeJson([dynamic("string", "a"), dynamic("number", 1)], { list: "dynamic" })).toThrow(
      /all elements of a dynamic collection must have one type: \[1\] is "number" but \[0\] is "string"/,
    );
  });
});

describe("state JSON helpers", () => {
  it("ignoreUndefinedAttributes skips attributes the schema no longer has, at every depth", () => {
    const type: CtyType = { object: { id: "string", rule: { list: { object: { port: "number" } } } } };
    const text = '{"id":"a","removed":{"x":1},"rule":[{"port":443,"gone":true}]}';
    expect(() => decodeJson(text, type)).toThrow(/unsupported attribute "removed"/);
    expect(decodeJson(text, type, { ignoreUndefinedAttributes: true })).toEqual({ id: "a", rule: [{ port: 443 }] });
  });

  it("decodeJsonUntyped reads any JSON with lossless numbers and every key", () => {
    const v = decodeJsonUntyped('{"n":18446744073709551617,"f":0.5,"__proto__":[true,null,"s"]}') as Record<string, unknown>;
    expect(v.n).toEqual(CtyNumber.parse("18446744073709551617"));
    expect(v.f).toBe(0.5);
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.hasOwn(v, "__proto__")).toBe(true);
    // biome-ignore lint/suspicious/noProto: the test is that "__proto__" decodes as an ordinary key
    expect(v.__proto__).toEqual([true, null, "s"]);
  });
});

describe("strings JSON and msgpack agree on", () => {
  it("lone surrogates (U+FFFD, as UTF-8 carries them) and NFC", async () => {
    const { decodeMsgpack, encodeMsgpack } = await import("./msgpack.js");
    const cases: [string, string][] = [
      ["a\ud800b", "a\ufffdb"],
      ["\udc00", "\ufffd"],
      ["e\u0301", "\u00e9"],
      ["ok 𝄞", "ok 𝄞"],
    ];
    for (const [given, held] of cases) {
      expect(decodeJson(encodeJson(given, "string"), "string"), JSON.stringify(given)).toBe(held);
      expect(decodeMsgpack(encodeMsgpack(given, "string"), "string"), JSON.stringify(given)).toBe(held);
    }
  });
});
