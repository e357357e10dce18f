// Fuzzing the cty decoders Terraform's bytes reach (test/fuzz/support.ts says how): type JSON
// (schemas, dynamic values' type tags), msgpack values (unknowns and their refinements as
// extension 0 and 12, dynamic values as [type JSON, value]), JSON values, and DynamicValue.
import { Encoder, ExtData } from "@msgpack/msgpack";
import {
  CtyError,
  type CtyType,
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  fromDynamicValue,
  Types,
  typeFromJson,
  typeToJson,
  valuesEqual,
} from "@rpcplugin/terraform";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzzParameters, protocolText, valueOrTypedError } from "./support.js";

const attributeName = fc.oneof(fc.constantFrom("id", "name", "__proto__", "constructor", "", "\u0001x"), fc.string({ maxLength: 6 }));

/** Random cty types, a few levels deep. */
const { type: ctyType } = fc.letrec<{ type: CtyType }>((tie) => ({
  type: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<CtyType>("string", "number", "bool", "dynamic"),
    tie("type").map((t) => Types.list(t)),
    tie("type").map((t) => Types.set(t)),
    tie("type").map((t) => Types.map(t)),
    fc.dictionary(attributeName, tie("type"), { maxKeys: 4 }).map((attrs) => Types.object(Object.fromEntries(Object.entries(attrs)))),
    fc.array(tie("type"), { maxLength: 3 }).map((elements) => Types.tuple(elements)),
  ),
}));

/** Trees @msgpack/msgpack can encode: what a peer could send, unknowns (extensions) included. */
const { tree: wireTree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, "", "x", "1e400", "NaN"),
    fc.string({ maxLength: 8 }),
    fc.double(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.uint8Array({ maxLength: 8 }),
    fc.constant(new ExtData(0, new Uint8Array(0))),
    fc.uint8Array({ maxLength: 24 }).map((data) => new ExtData(12, data)),
    fc.tuple(fc.integer({ min: -128, max: 127 }), fc.uint8Array({ maxLength: 8 })).map(([type, data]) => new ExtData(type, data)),
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(attributeName, tie("tree"), { maxKeys: 4 }).map((entries) => new Map(Object.entries(entries))),
    // A dynamic value: [type JSON as bytes, value]
    fc.tuple(ctyType, tie("tree")).map(([type, value]) => [new TextEncoder().encode(typeToJson(type)), value]),
  ),
}));

const encoder = new Encoder({ useBigInt64: true });
const msgpackBytes = fc.oneof(
  wireTree.map((tree) => encoder.encode(tree)),
  fc.uint8Array({ maxLength: 64 }),
  // Refinements payloads (extension 12 holding a msgpack map of refinement keys), well-formed or not.
  fc
    .dictionary(fc.constantFrom("1", "2", "3", "4", "5", "6", "x"), wireTree, { maxKeys: 4 })
    .map((entries) => encoder.encode(new ExtData(12, encoder.encode(new Map(Object.entries(entries).map(([k, v]) => [Number(k) || k, v])))))),
);

describe("fuzz: cty", () => {
  it("type JSON: a type that formats back to itself, or a CtyError", () => {
    const typeJson = fc.oneof(
      ctyType.map((t) => typeToJson(t)),
      fc.json(),
      protocolText,
      fc.constantFrom('["object",{"__proto__":"string"}]', '["list"]', '["tuple",{}]', '"any"'),
    );
    fc.assert(
      fc.property(typeJson, (json) => {
        const result = valueOrTypedError(() => typeFromJson(json), CtyError);
        if ("value" in result) expect(typeFromJson(typeToJson(result.value))).toEqual(result.value);
      }),
      fuzzParameters(),
    );
  });

  it("msgpack of any shape against any type: a value that encodes and decodes back to itself, or a CtyError", () => {
    fc.assert(
      fc.property(msgpackBytes, ctyType, (bytes, type) => {
        const result = valueOrTypedError(() => decodeMsgpack(bytes, type), CtyError);
        if ("value" in result) {
          const again = decodeMsgpack(encodeMsgpack(result.value, type), type);
          expect(valuesEqual(again, result.value, type)).toBe(true);
        }
      }),
      fuzzParameters(),
    );
  });

  it("msgpack of a valid value, truncated or with bytes flipped: a value or a CtyError", () => {
    const valid = encodeMsgpack({ id: "a", tags: ["x", "y"], size: 3 }, Types.object({ id: "string", tags: Types.list("string"), size: "number" }));
    const type = Types.object({ id: "string", tags: Types.list("string"), size: "number" });
    fc.assert(
      fc.property(
        fc.nat({ max: valid.length }),
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (cut, flips) => {
          const bytes = Uint8Array.from(valid.subarray(0, cut));
          for (const [at, byte] of flips) if (at < bytes.length) bytes[at] = byte;
          valueOrTypedError(() => decodeMsgpack(bytes, type), CtyError);
        },
      ),
      fuzzParameters(),
    );
  });

  it("JSON values against any type: a value or a CtyError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), protocolText, fc.constantFrom("1e400", "-0", '{"__proto__":1}', "[1,", '"\\ud800"')), ctyType, (json, type) => {
        valueOrTypedError(() => decodeJson(json, type), CtyError);
      }),
      fuzzParameters(),
    );
  });

  it("DynamicValue with msgpack, JSON, both or neither: a value or a CtyError", () => {
    const jsonBytes = fc.oneof(fc.json(), protocolText).map((text) => new TextEncoder().encode(text));
    const message = fc.record(
      { msgpack: fc.oneof(msgpackBytes, fc.constant(new Uint8Array(0))), json: fc.oneof(jsonBytes, fc.constant(new Uint8Array(0))) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.option(message, { nil: undefined }), ctyType, (dv, type) => {
        valueOrTypedError(() => fromDynamicValue(dv, type), CtyError);
      }),
      fuzzParameters(),
    );
  });
});
