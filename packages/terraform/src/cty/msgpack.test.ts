import { describe, expect, it } from "vitest";
import { CtyError } from "./errors.js";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
import { CtyNumber } from "./number.js";
import type { CtyType } from "./types.js";
import { isUnknown, Unknown, unknown } from "./unknown.js";
import { dynamic } from "./values.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));

describe("msgpack numbers", () => {
  // Expected bytes are go-cty's (vmihailenco/msgpack with compact ints): smallest int form,
  // positive values in uint forms, float64 for fractions, decimal text otherwise.
  const cases: [number | bigint | CtyNumber, string][] = [
    [0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [65535, "cdffff"],
    [65536, "ce00010000"],
    [2 ** 32, "cf0000000100000000"],
    [-1, "ff"],
    [-32, "e0"],
    [-33, "d0df"],
    [-129, "d1ff7f"],
    [-(2 ** 31) - 1, "d3ffffffff7fffffff"],
    [2n ** 63n - 1n, "cf7fffffffffffffff"],
    [-(2n ** 63n), "d38000000000000000"],
    [0.5, "cb3fe0000000000000"],
    [0.1, "cb3fb999999999999a"],
    [2n ** 63n, `b3${Buffer.from("9223372036854775808").toString("hex")}`],
    [CtyNumber.parse("0.1"), `a3${Buffer.from("0.1").toString("hex")}`],
    [Infinity, "cb7ff0000000000000"],
    [-Infinity, "cbfff0000000000000"],
  ];
  for (const [value, expected] of cases) {
    it(`writes ${String(value)} as ${expected}`, () => {
      expect(hex(encodeMsgpack(value, "number"))).toBe(expected);
    });
  }

  it("reads every int width, float32 and decimal text without rounding", () => {
    expect(decodeMsgpack(bytes("d0df"), "number")).toBe(-33);
    expect(decodeMsgpack(bytes("cc80"), "number")).toBe(128);
    expect(decodeMsgpack(bytes("d20000ffff"), "number")).toBe(65535);
    expect(decodeMsgpack(bytes("ca3fc00000"), "number")).toBe(1.5); // float32
    expect(decodeMsgpack(bytes("cf7fffffffffffffff"), "number")).toEqual(CtyNumber.parse("9223372036854775807"));
    expect(decodeMsgpack(bytes("cf0020000000000000"), "number")).toBe(2 ** 53); // exactly a double
    const big = decodeMsgpack(encodeMsgpack(CtyNumber.parse("1e400"), "number"), "number");
    expect(big).toBeInstanceOf(CtyNumber);
    expect((big as CtyNumber).toString()).toBe(`1${"0".repeat(400)}`);
    expect(decodeMsgpack(bytes(`a3${Buffer.from("0.1").toString("hex")}`), "number")).toEqual(CtyNumber.parse("0.1"));
    expect(decodeMsgpack(bytes(`a3${Buffer.from("2.5").toString("hex")}`), "number")).toBe(2.5);
  });

  it("refuses a number that is not one", () => {
    expect(() => decodeMsgpack(bytes("a3616263"), "number")).toThrow(/a number is required, got string "abc"/);
    expect(() => encodeMsgpack(Number.NaN, "number")).toThrow(CtyError);
  });
});

describe("msgpack objects and collections", () => {
  const type: CtyType = {
    object: { name: "string", tags: { map: "string" }, ports: { list: "number" }, zones: { set: "string" }, extra: "bool" },
  };

  it("writes one entry per attribute, sorted, absent ones as nil", () => {
    const encoded = encodeMsgpack({ name: "a", tags: { b: "2", "10": "x", a: "1" }, ports: [80], zones: ["b", "a", "b"] }, type);
    const expected =
      "85" +
      "a5657874726" +
      "1c0" + // extra: nil
      "a46e616d65a161" + // name: "a"
      "a5706f7274739150" + // ports: [80]
      "a47461677383a23130a178a161a131a162a132" + // tags: {"10": "x", a: "1", b: "2"} in byte order
      "a57a6f6e657392a161a162"; // zones: set ["a", "b"], deduplicated and sorted
    expect(hex(encoded)).toBe(expected);
  });

  it("round-trips with null-prototype objects, any key included", () => {
    const tags = Object.fromEntries([
      ["__proto__", "p"],
      ["constructor", "c"],
    ]);
    const value = { name: null, tags, ports: [], zones: null, extra: true };
    const decoded = decodeMsgpack(encodeMsgpack(value, type), type) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.keys(decoded.tags as object).sort()).toEqual(["__proto__", "constructor"]);
    expect(decoded).toEqual({ name: null, tags, ports: [], zones: null, extra: true });
  });

  it("names the path and what was expected", () => {
    expect(() => encodeMsgpack({ tags: { a: 1 } }, type)).toThrow(/^\.tags\["a"\]: a string is required, got number 1$/);
    expect(() => encodeMsgpack({ ports: [80, "x"] }, type)).toThrow(/^\.ports\[1\]: a number is required/);
    expect(() => encodeMsgpack({ nmae: "typo" }, type)).toThrow(/unsupported attribute "nmae"/);
    const wrongCount = bytes("81a46e616d65a161");
    expect(() => decodeMsgpack(wrongCount, type)).toThrow(/an object with 5 attributes is required \(1 given\)/);
    const unknownAttr = bytes("81a3666f6fa161");
    expect(() => decodeMsgpack(unknownAttr, { object: { name: "string" } })).toThrow(/^\.foo: unsupported attribute$/);
  });

  it("rejects malformed msgpack and trailing bytes", () => {
    expect(() => decodeMsgpack(bytes("92a161"), { list: "string" })).toThrow(/malformed msgpack/);
    expect(() => decodeMsgpack(bytes("a161a161"), "string")).toThrow(/malformed msgpack/);
  });
});

describe("msgpack unknowns", () => {
  it("writes a plain unknown as fixext1 d4 00 00 and reads any extension as unknown", () => {
    expect(hex(encodeMsgpack(unknown(), "string"))).toBe("d40000");
    expect(decodeMsgpack(bytes("d40000"), "string")).toBe(Unknown.plain);
    expect(decodeMsgpack(bytes("d40500"), { list: "string" })).toBe(Unknown.plain);
    expect(decodeMsgpack(bytes("d6ff00000000"), "string")).toBe(Unknown.plain); // msgpack timestamp
  });

  it("writes refinements as go-cty does (extension 12, integer keys) and reads them back", () => {
    const refined = unknown({ nullable: false, stringPrefix: "ab" });
    const encoded = encodeMsgpack(refined, "string");
    expect(hex(encoded)).toBe("c7070c8201c202a26162");
    const decoded = decodeMsgpack(encoded, "string");
    expect(isUnknown(decoded) && decoded.refinements).toEqual({ nullable: false, stringPrefix: "ab" });
    expect(hex(encodeMsgpack(decoded, "string"))).toBe(hex(encoded));

    const bounded = unknown({ numberLower: { value: 1, inclusive: true }, numberUpper: { value: CtyNumber.parse("0.1"), inclusive: false } });
    const b = decodeMsgpack(encodeMsgpack(bounded, "number"), "number") as Unknown;
    expect(b.refinements.numberLower).toEqual({ value: 1, inclusive: true });
    expect(b.refinements.numberUpper).toEqual({ value: CtyNumber.parse("0.1"), inclusive: false });

    const sized = encodeMsgpack(unknown({ lengthLower: 1, lengthUpper: 3 }), { set: "string" });
    expect(hex(sized)).toBe("c7050c82050106" + "03");
  });

  it("keeps refinement bytes it does not understand when re-encoding", () => {
    // {1: false, 99: "future"}: an unknown key is ignored but kept.
    const payload = "8201c2" + "63a6667574757265";
    const ext = bytes(`c70b0c${payload}`);
    const decoded = decodeMsgpack(ext, "string") as Unknown;
    expect(decoded.refinements).toEqual({ nullable: false });
    expect(hex(encodeMsgpack(decoded, "string"))).toBe(hex(ext));
  });

  it("refuses oversize refinements and refinements of the wrong kind", () => {
    const big = new Uint8Array(4 + 1027);
    big.set([0xc8, 0x04, 0x03, 0x0c]); // ext16, 1027 bytes
    expect(() => decodeMsgpack(big, "string")).toThrow(/oversize unknown value refinement/);
    expect(() => encodeMsgpack(unknown({ stringPrefix: "x" }), "number")).toThrow(/string prefix refinement needs a string type/);
    expect(() => decodeMsgpack(bytes("c7040c8102a161"), "number")).toThrow(/string prefix refinement for non-string type/);
  });

  it("a dynamic unknown is plain even when refined", () => {
    expect(hex(encodeMsgpack(unknown({ nullable: false }), "dynamic"))).toBe("d40000");
  });
});

describe("msgpack dynamic values", () => {
  it("writes [type JSON as bin, value]", () => {
    const encoded = encodeMsgpack(dynamic({ list: "string" }, ["a"]), "dynamic");
    const typeJson = Buffer.from('["list","string"]');
    expect(hex(encoded)).toBe(`92c4${typeJson.length.toString(16)}${typeJson.toString("hex")}91a161`);
    expect(decodeMsgpack(encoded, "dynamic")).toEqual({ type: { list: "string" }, value: ["a"] });
  });

  it("null and unknown of dynamic type stay bare", () => {
    expect(hex(encodeMsgpack(null, "dynamic"))).toBe("c0");
    expect(decodeMsgpack(bytes("c0"), "dynamic")).toBeNull();
    expect(decodeMsgpack(bytes("d40000"), "dynamic")).toBe(Unknown.plain);
  });

  it("refuses a value without its type", () => {
    expect(() => encodeMsgpack("x", "dynamic")).toThrow(/a dynamic value \{ type, value \} is required/);
    expect(() => decodeMsgpack(bytes("93c0c0c0"), "dynamic")).toThrow(/2-element array/);
  });
});

describe("msgpack map keys", () => {
  it("keeps keys that look like the escape and refuses non-string keys", () => {
    const type = { map: "string" } as const;
    const tags = Object.fromEntries([
      ["__proto__", "a"],
      ["\u0001x", "b"],
      ["\u0001__proto__", "c"],
      ["1", "d"],
    ]);
    const decoded = decodeMsgpack(encodeMsgpack(tags, type), type);
    expect(decoded).toEqual(tags);
    expect(Object.keys(decoded as object).sort()).toEqual(Object.keys(tags).sort());
    expect(() => decodeMsgpack(bytes("8101a161"), type)).toThrow(/malformed msgpack: map keys must be strings, got number 1/);
  });

  it("a long key and many distinct short keys decode correctly (key cache)", () => {
    const type = { map: "number" } as const;
    const value = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i % 7}-${i}`, i]).concat([["x".repeat(100), -1]]));
    expect(decodeMsgpack(encodeMsgpack(value, type), type)).toEqual(value);
  });
});
