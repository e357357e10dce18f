import { describe, expect, it } from "vitest";
import { CtyError } from "./errors.js";
import { decodeJson, encodeJson } from "./json.js";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";
import { createRandom, randomType, randomValue } from "./testdata/random-values.js";
import { typeEquals, typeFromJson, typeToJson } from "./types.js";
import { valuesEqual } from "./values.js";

// Seeded: a failure names its seed, and RPCPLUGIN_CTY_SEED=<seed> replays exactly that run.
const baseSeed = Number(process.env.RPCPLUGIN_CTY_SEED ?? 20261122);
const runs = Number(process.env.RPCPLUGIN_CTY_RUNS ?? 400);

function roundTrip(seed: number, json: boolean): void {
  const r = createRandom(seed);
  const type = randomType(r);
  const value = randomValue(r, type, { unknowns: !json, infinities: !json, jsonNumbers: json });
  const context = `seed ${seed} (RPCPLUGIN_CTY_SEED=${seed} RPCPLUGIN_CTY_RUNS=1), type ${typeToJson(type)}`;
  expect(typeEquals(typeFromJson(typeToJson(type)), type), `${context}: type`).toBe(true);
  if (json) {
    const text = encodeJson(value, type);
    const back = decodeJson(text, type);
    expect(valuesEqual(back, value, type), `${context}: JSON ${text}`).toBe(true);
    expect(encodeJson(back, type), context).toBe(text);
  } else {
    const bytes = encodeMsgpack(value, type);
    const back = decodeMsgpack(bytes, type);
    expect(valuesEqual(back, value, type), `${context}: msgpack ${Buffer.from(bytes).toString("hex")}`).toBe(true);
    expect(Buffer.from(encodeMsgpack(back, type)).toString("hex"), context).toBe(Buffer.from(bytes).toString("hex"));
  }
}

describe("seeded random round trips", () => {
  it(`msgpack: ${runs} random types and values from seed ${baseSeed} come back equal, byte for byte`, () => {
    for (let i = 0; i < runs; i++) roundTrip(baseSeed + i, false);
  });

  it(`JSON: ${runs} random types and values from seed ${baseSeed} come back equal, text for text`, () => {
    for (let i = 0; i < runs; i++) roundTrip(baseSeed + i, true);
  });

  it("the comparison can fail: a changed value is noticed", () => {
    const r = createRandom(baseSeed);
    const value = randomValue(r, { list: "string" }, { unknowns: false, infinities: false });
    const changed = [...((value as string[] | null) ?? []), "extra"];
    expect(valuesEqual(decodeMsgpack(encodeMsgpack(value, { list: "string" }), { list: "string" }), changed, { list: "string" })).toBe(false);
  });
});

describe("hostile input", () => {
  it("random and mutated bytes either decode or throw a CtyError, never anything else", () => {
    const r = createRandom(baseSeed);
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const type = randomType(r);
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = encodeMsgpack(randomValue(r, type, { unknowns: true, infinities: true }), type);
        const mutated = new Uint8Array(bytes);
        for (let j = 0; j < 1 + r.int(3); j++) mutated[r.int(mutated.length)] = r.int(256);
        bytes = r.chance(0.2) ? mutated.subarray(0, r.int(mutated.length + 1)) : mutated;
      } else {
        bytes = Uint8Array.from({ length: r.int(40) }, () => r.int(256));
      }
      try {
        decodeMsgpack(bytes, type);
      } catch (error) {
        expect(error, `seed ${baseSeed}, case ${i}: ${Buffer.from(bytes).toString("hex")} as ${typeToJson(type)}`).toBeInstanceOf(CtyError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(500);
  });

  it("mutated JSON either decodes or throws a CtyError", () => {
    const r = createRandom(baseSeed + 1);
    for (let i = 0; i < 1000; i++) {
      const type = randomType(r);
      const text = encodeJson(randomValue(r, type, { unknowns: false, infinities: false }), type);
      const chars = [...text];
      for (let j = 0; j < 1 + r.int(3); j++) chars[r.int(chars.length)] = r.pick(['"', "{", "}", "[", "]", ",", ":", "1", "e", "-", "n", " ", "\\"]);
      const mutated = chars.join("").slice(0, r.chance(0.2) ? r.int(text.length) : undefined);
      try {
        decodeJson(mutated, type);
      } catch (error) {
        expect(error, `seed ${baseSeed + 1}, case ${i}: ${mutated} as ${typeToJson(type)}`).toBeInstanceOf(CtyError);
      }
    }
  });

  it("deeply nested JSON and type constraints are refused, not a stack overflow", () => {
    expect(() => decodeJson(`${"[".repeat(100_000)}${"]".repeat(100_000)}`, "dynamic")).toThrow(CtyError);
    expect(() => typeFromJson(`${'["list",'.repeat(100_000)}"string"${"]".repeat(100_000)}`)).toThrow(/nested deeper/);
    const deepType = `${'["list",'.repeat(2000)}"string"${"]".repeat(2000)}`;
    const msgpack = new Uint8Array([0x92, 0xc5, deepType.length >> 8, deepType.length & 0xff, ...new TextEncoder().encode(deepType), 0xc0]);
    expect(() => decodeMsgpack(msgpack, "dynamic")).toThrow(CtyError);
  });
});
