// @rpcplugin/terraform's cty codec against go-cty itself (fixtures/go-cty/cmd/ctyvectors):
// go-cty's bytes are read and written back identically, our bytes (hand-picked and seeded
// random values, refined unknowns made on our side) are read by go-cty and re-encoded to the
// same bytes, and the same holds for cty JSON.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  CtyNumber,
  type CtyType,
  type CtyValue,
  decodeJson,
  decodeMsgpack,
  encodeJson,
  encodeMsgpack,
  isUnknown,
  typeFromJson,
  typeToJson,
  Unknown,
  unknown,
  valuesEqual,
} from "../packages/terraform/src/cty/index.js";
import { createRandom, randomType, randomValue } from "../packages/terraform/src/cty/testdata/random-values.js";
import { buildGo, describeGo, runGo } from "./support/go.js";

interface Vector {
  name: string;
  type: unknown;
  msgpack: string;
  json?: string;
}

interface CheckResult {
  msgpack?: string;
  json?: string;
  jsonFromJson?: string;
  error?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const seed = Number(process.env.RPCPLUGIN_CTY_SEED ?? 4242);
const randomRuns = 300;

let bin: string;
let workDir: string;

async function goVectors(): Promise<Vector[]> {
  const r = await runGo(bin, ["vectors"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Vector[];
}

/** Has go-cty decode and re-encode each (type, msgpack, json). */
async function goCheck(requests: { type: CtyType; msgpack: Uint8Array; json?: string }[]): Promise<CheckResult[]> {
  const file = path.join(workDir, `check-${Math.random().toString(16).slice(2)}.jsonl`);
  const lines = requests.map((q) => JSON.stringify({ type: JSON.parse(typeToJson(q.type)), msgpack: hex(q.msgpack), json: q.json }));
  await writeFile(file, `${lines.join("\n")}\n`);
  const r = await runGo("/bin/sh", ["-c", `exec "$0" check < "$1"`, bin, file], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  const out = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as CheckResult);
  expect(out).toHaveLength(requests.length);
  return out;
}

/** Our decoded values for some of go-cty's vectors: what a provider author sees. */
const expectedValues: Record<string, CtyValue> = {
  "string decomposed": "é",
  "number int 9007199254740993": CtyNumber.parse("9007199254740993"),
  "number int -9223372036854775808": -(2 ** 63),
  "number uint64 max": CtyNumber.parse("18446744073709551615"),
  "number 2^63": 2 ** 63,
  "number float 0.1": 0.1,
  "number decimal 0.1": CtyNumber.parse("0.1"),
  "number decimal 1e400": CtyNumber.parse("1e400"),
  "number decimal negative fraction": CtyNumber.parse("-123456789012345678901234567890.123456789"),
  "number decimal 3.0": 3,
  "number +inf": Infinity,
  "null dynamic": null,
  "unknown dynamic": unknown(),
  "set strings": ["a", "b", "c", "é", "\uffff", "𝄞"],
  map: Object.fromEntries([
    ["b", 1],
    ["a", 2],
    ["10", 3],
    ["2", 4],
    ["__proto__", 5],
    ["é", 6],
  ]),
  "object optional attributes": { a: "x", b: null, c: ["y"] },
  "dynamic object": { type: { object: { a: { list: "string" }, b: "bool" } }, value: { a: ["x"], b: true } },
  "dynamic null string": { type: "string", value: null },
  "dynamic refined unknown string": { type: "string", value: unknown({ nullable: false, stringPrefix: "a" }) },
  "refined string prefix": unknown({ nullable: false, stringPrefix: "a" }),
  "refined number bounds": unknown({ numberLower: { value: 0, inclusive: true }, numberUpper: { value: 10, inclusive: false } }),
  "refined number fractional bounds": unknown({
    nullable: false,
    numberLower: { value: CtyNumber.parse("0.1"), inclusive: false },
    numberUpper: { value: 2.5, inclusive: true },
  }),
  "refined list length": unknown({ lengthLower: 1, lengthUpper: 3 }),
  "refined map length upper": unknown({ lengthUpper: 4 }),
  "refined inside object": {
    name: unknown({ nullable: false, stringPrefix: "n-" }),
    age: unknown(),
    tags: unknown({ lengthLower: 1 }),
  },
};

describeGo("cty codec against go-cty v1.19.0", () => {
  let vectors: Vector[];

  beforeAll(async () => {
    bin = await buildGo("ctyvectors", "./cmd/ctyvectors", { module: "fixtures/go-cty" });
    workDir = await mkdtemp(path.join(os.tmpdir(), "cty-interop-"));
    vectors = await goVectors();
  });
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("reads every go-cty vector and writes it back byte for byte (msgpack) and text for text (JSON)", () => {
    expect(vectors.length).toBeGreaterThan(80);
    for (const v of vectors) {
      const type = typeFromJson(JSON.stringify(v.type));
      expect(typeToJson(type), `${v.name}: type`).toBe(JSON.stringify(v.type));
      const value = decodeMsgpack(fromHex(v.msgpack), type);
      expect(hex(encodeMsgpack(value, type)), `${v.name}: msgpack`).toBe(v.msgpack);
      if (v.json !== undefined) {
        const fromJson = decodeJson(v.json, type);
        expect(encodeJson(fromJson, type), `${v.name}: JSON`).toBe(v.json);
      }
    }
  });

  it("decodes go-cty's vectors to the documented JavaScript values", () => {
    const byName = new Map(vectors.map((v) => [v.name, v]));
    for (const [name, expected] of Object.entries(expectedValues)) {
      const v = byName.get(name);
      expect(v, `vector ${name}`).toBeDefined();
      const type = typeFromJson(JSON.stringify(v!.type));
      const value = decodeMsgpack(fromHex(v!.msgpack), type);
      expect(valuesEqual(value, expected, type), `${name}: got ${JSON.stringify(value)}`).toBe(true);
    }
    const plain = decodeMsgpack(fromHex(byName.get("unknown string")!.msgpack), "string");
    expect(plain).toBe(Unknown.plain);
    const longPrefix = decodeMsgpack(fromHex(byName.get("refined string long prefix")!.msgpack), "string");
    expect(isUnknown(longPrefix) && Buffer.byteLength(longPrefix.refinements.stringPrefix ?? "")).toBeLessThanOrEqual(255);
  });

  it("go-cty reads what we write and writes the same bytes back: hand-picked values and refinements made here", async () => {
    const cases: { type: CtyType; value: CtyValue }[] = [
      ...Object.entries(expectedValues).map(([name, value]) => ({ type: typeFromJson(JSON.stringify(vectors.find((v) => v.name === name)!.type)), value })),
      { type: "string", value: unknown({ nullable: false, stringPrefix: "ab" }) },
      { type: "string", value: unknown({ stringPrefix: "日本" }) },
      { type: "string", value: unknown({ stringPrefix: "é".repeat(200) }) },
      { type: "number", value: unknown({ numberLower: { value: -5, inclusive: true } }) },
      { type: "number", value: unknown({ nullable: false, numberUpper: { value: CtyNumber.parse("1e400"), inclusive: false } }) },
      { type: "number", value: unknown({ numberLower: { value: 2 ** 63, inclusive: false }, numberUpper: { value: 2 ** 64, inclusive: true } }) },
      { type: { set: "number" }, value: unknown({ nullable: false, lengthLower: 2 }) },
      { type: { map: "bool" }, value: unknown({ lengthLower: 1, lengthUpper: 9 }) },
      { type: { list: "string" }, value: unknown({ nullable: false }) },
      { type: "number", value: 2n ** 63n - 1n },
      { type: "number", value: 2 ** 64 },
      { type: "number", value: Number.MIN_VALUE },
      { type: "number", value: CtyNumber.parse("-0.000000000000000000000000000001") },
      { type: { set: "number" }, value: [3, CtyNumber.parse("3.0"), 1, -1.5, CtyNumber.parse("1e30")] },
      { type: { set: "string" }, value: ["𝄞", "\uffff", "b", "a", "b", "e\u0301"] },
      {
        type: { map: "string" },
        value: new Map([
          ["z", "1"],
          ["10", "2"],
          ["2", "3"],
        ]),
      },
    ];
    const results = await goCheck(cases.map((c) => ({ type: c.type, msgpack: encodeMsgpack(c.value, c.type) })));
    cases.forEach((c, i) => {
      const ours = hex(encodeMsgpack(c.value, c.type));
      expect(results[i]!.error, `case ${i} ${typeToJson(c.type)}`).toBeUndefined();
      expect(results[i]!.msgpack, `case ${i} ${typeToJson(c.type)} ${ours}`).toBe(ours);
    });
  });

  it(`go-cty reads ${randomRuns} seeded random values (seed ${seed}) as we wrote them, msgpack and JSON`, async () => {
    const r = createRandom(seed);
    const cases = Array.from({ length: randomRuns }, () => {
      const type = randomType(r, 3, false);
      return { type, value: randomValue(r, type, { unknowns: true, infinities: true, goPrecision: true }) };
    });
    const jsonCases = Array.from({ length: randomRuns }, () => {
      const type = randomType(r, 3, false);
      return { type, value: randomValue(r, type, { unknowns: false, infinities: false, jsonNumbers: true, goPrecision: true }) };
    });
    const requests: { type: CtyType; msgpack: Uint8Array; json?: string }[] = [
      ...cases.map((c) => ({ type: c.type, msgpack: encodeMsgpack(c.value, c.type) })),
      ...jsonCases.map((c) => ({ type: c.type, msgpack: encodeMsgpack(c.value, c.type), json: encodeJson(c.value, c.type) })),
    ];
    const results = await goCheck(requests);
    requests.forEach((q, i) => {
      const context = `random case ${i} (seed ${seed}, RPCPLUGIN_CTY_SEED=${seed}), type ${typeToJson(q.type)}, ours ${hex(q.msgpack)}`;
      const res = results[i]!;
      expect(res.error, context).toBeUndefined();
      // go-cty orders sets of non-primitive elements by hash: compare those as values.
      const back = decodeMsgpack(fromHex(res.msgpack!), q.type);
      expect(valuesEqual(back, decodeMsgpack(q.msgpack, q.type), q.type), context).toBe(true);
      const complexSet = hasComplexSet(decodeMsgpack(q.msgpack, q.type), q.type);
      if (!complexSet) expect(res.msgpack, context).toBe(hex(q.msgpack));
      if (q.json !== undefined) {
        expect(valuesEqual(decodeJson(res.jsonFromJson!, q.type), decodeJson(q.json, q.type), q.type), `${context} JSON ${q.json}`).toBe(true);
        if (!complexSet) expect(res.jsonFromJson, context).toBe(q.json);
      }
    });
  });
});

/** Whether the value holds a set of non-primitive elements (go-cty orders those by hash), dynamic parts included. */
function hasComplexSet(value: CtyValue, type: CtyType): boolean {
  if (value === null || isUnknown(value)) return false;
  if (type === "dynamic") {
    const d = value as { type: CtyType; value: CtyValue };
    return hasComplexSet(d.value, d.type);
  }
  if (typeof type === "string") return false;
  if ("set" in type) return typeof type.set !== "string";
  const items = value as readonly CtyValue[];
  if ("list" in type) return items.some((v) => hasComplexSet(v, type.list));
  if ("tuple" in type) return items.some((v, i) => hasComplexSet(v, type.tuple[i]!));
  const entries = Object.entries(value as Record<string, CtyValue>);
  if ("map" in type) return entries.some(([, v]) => hasComplexSet(v, type.map));
  return entries.some(([k, v]) => hasComplexSet(v, type.object[k]!));
}
