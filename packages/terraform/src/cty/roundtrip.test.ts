import { describe, expect, it } from "vitest";
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
