import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue } from "../cty/index.js";
import { defineProvider, defineResource } from "./define.js";
import { blockType } from "./schema.js";
import { ProviderServer } from "./server.js";

const targetSchema = {
  attributes: { name: { type: "string", required: true }, size: { type: "number", optional: true }, note: { type: "string", optional: true } },
} as const;
const seen: unknown[] = [];
const target = defineResource({
  schema: targetSchema,
  create: () => ({}),
  delete() {},
  moveState(request) {
    seen.push(request);
    if (request.sourceTypeName !== "old_thing") return undefined;
    return { name: request.state.title as string, size: (request.state.bytes as number) / 1024 };
  },
});
const plain = defineResource({ schema: targetSchema, create: () => ({}), delete() {} });
const provider = defineProvider({ name: "new", schema: { attributes: {} }, resources: { new_thing: target, new_plain: plain } });
const quiet = createLogger({ write: () => {} });
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const request = (over: Record<string, unknown> = {}) => ({
  sourceProviderAddress: "registry.terraform.io/acme/old",
  sourceTypeName: "old_thing",
  sourceSchemaVersion: 3n,
  sourceState: { json: json({ title: "t", bytes: 2048 }), flatmap: {} },
  targetTypeName: "new_thing",
  sourcePrivate: new Uint8Array(),
  ...over,
});

describe("MoveResourceState", () => {
  it("announces the capability only when a resource has moveState", () => {
    expect(new ProviderServer(provider, quiet).getProviderSchema().serverCapabilities.moveResourceState).toBe(true);
    const without = defineProvider({ name: "new", schema: { attributes: {} }, resources: { new_plain: plain } });
    expect(new ProviderServer(without, quiet).getMetadata().serverCapabilities.moveResourceState).toBe(false);
  });

  it("moves: the source as stored, its type, address and version in; the target state out (attributes left out are null)", async () => {
    seen.length = 0;
    const r = await new ProviderServer(provider, quiet).moveResourceState(request());
    expect(r.diagnostics).toEqual([]);
    expect(fromDynamicValue(r.targetState!, blockType(targetSchema))).toEqual({ name: "t", size: 2, note: null });
    expect(seen).toEqual([
      {
        sourceTypeName: "old_thing",
        sourceProviderAddress: "registry.terraform.io/acme/old",
        sourceVersion: 3,
        state: { title: "t", bytes: 2048 },
        sourceIdentity: null,
      },
    ]);
    seen.length = 0;
    await new ProviderServer(provider, quiet).moveResourceState(request({ sourceIdentity: { json: json({ title: "t" }) } }));
    expect(seen).toMatchObject([{ sourceIdentity: { title: "t" } }]);
  });

  it("a source it does not move from, a target without moveState, an unknown target, legacy flatmap state: diagnostics", async () => {
    const server = new ProviderServer(provider, quiet);
    expect((await server.moveResourceState(request({ sourceTypeName: "other" }))).diagnostics[0]?.detail).toMatch(
      /new_thing does not move from other \(registry\.terraform\.io\/acme\/old\)/,
    );
    expect((await server.moveResourceState(request({ targetTypeName: "new_plain" }))).diagnostics[0]?.detail).toMatch(
      /new_plain cannot be the target of a moved block/,
    );
    expect((await server.moveResourceState(request({ targetTypeName: "new_nope" }))).diagnostics).toMatchObject([{ summary: "Unknown resource type" }]);
    expect((await server.moveResourceState(request({ sourceState: { json: new Uint8Array(), flatmap: { a: "b" } } }))).diagnostics[0]?.detail).toMatch(
      /legacy flatmap/,
    );
  });
});
