import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, expectTypeOf, it } from "vitest";
import { fromDynamicValue, isUnknown, toDynamicValue, typeToJson, unknown } from "../cty/index.js";
import { needsProtocol6, serveProviderDebug } from "../serve.js";
import { defineProvider, defineResource } from "./define.js";
import { providerDocs } from "./docs.js";
import { blockType, nestedAttribute, type ObjectOf } from "./schema.js";
import { ProviderServer } from "./server.js";
import { toWireSchema } from "./wire-schema.js";

const schema = {
  attributes: {
    name: { type: "string", required: true },
    rules: nestedAttribute(
      "list",
      { port: { type: "number", required: true }, id: { type: "string", computed: true } },
      { optional: true, description: "Rules." },
    ),
    owner: nestedAttribute("single", { email: { type: "string", optional: true } }, { optional: true }),
  },
} as const;

const firewall = defineResource({
  schema,
  create: ({ config }) => ({ rules: config.rules?.map((r) => ({ port: r.port, id: `r${r.port}` })) ?? null }),
  delete() {},
});
const provider = defineProvider({ name: "fw", schema: { attributes: {} }, resources: { fw_firewall: firewall } });
const type = blockType(schema);
const quiet = createLogger({ write: () => {} });
const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };

describe("nested attributes (protocol 6)", () => {
  it("type their values from the inner attributes", () => {
    type Value = ObjectOf<typeof schema>;
    expectTypeOf<NonNullable<Value["rules"]>[number]["port"]>().toEqualTypeOf<number | import("../cty/index.js").CtyNumber | null>();
    expect(typeToJson(schema.attributes.rules.type)).toBe('["list",["object",{"id":"string","port":"number"}]]');
  });

  it("are nested_type in the wire schema, with no type", () => {
    const rules = toWireSchema(schema).block.attributes.find((a) => a.name === "rules")!;
    expect(rules.type).toEqual(new Uint8Array());
    expect(rules.nestedType?.nesting).toBe(2);
    expect(rules.nestedType?.attributes.map((a) => [a.name, a.required, a.computed])).toEqual([
      ["id", false, true],
      ["port", true, false],
    ]);
  });

  it("plan their computed inner attributes unknown, and apply fills them", async () => {
    const server = new ProviderServer(provider, quiet);
    const config = {
      name: "a",
      rules: [
        { port: 22, id: null },
        { port: 443, id: null },
      ],
      owner: null,
    };
    const plan = await server.planResourceChange({
      typeName: "fw_firewall",
      priorState: dv(null),
      proposedNewState: dv(config),
      config: dv(config),
      priorPrivate: new Uint8Array(),
    });
    const planned = fromDynamicValue(plan.plannedState!, type) as { rules: { port: number; id: unknown }[] };
    expect(planned.rules.map((r) => r.port)).toEqual([22, 443]);
    expect(planned.rules.every((r) => isUnknown(r.id))).toBe(true);
    const apply = await server.applyResourceChange({
      typeName: "fw_firewall",
      priorState: dv(null),
      plannedState: plan.plannedState,
      config: dv(config),
      plannedPrivate: new Uint8Array(),
    });
    expect((fromDynamicValue(apply.newState!, type) as { rules: unknown }).rules).toEqual([
      { port: 22, id: "r22" },
      { port: 443, id: "r443" },
    ]);
  });

  it("plan a list element that is unknown as a whole (`[var.x, { … }]`) as unknown, and the known ones beside it as usual", async () => {
    const config = { name: "a", rules: [unknown(), { port: 443, id: null }], owner: null };
    const plan = await new ProviderServer(provider, quiet).planResourceChange({
      typeName: "fw_firewall",
      priorState: dv(null),
      proposedNewState: dv(config),
      config: dv(config),
      priorPrivate: new Uint8Array(),
    });
    expect(plan.diagnostics).toEqual([]);
    const [first, second] = (fromDynamicValue(plan.plannedState!, type) as { rules: { port: number; id: unknown }[] }).rules;
    expect(isUnknown(first)).toBe(true);
    expect(second?.port).toBe(443);
    expect(isUnknown(second?.id)).toBe(true);
  });

  it("make the provider protocol 6 only: debug mode over 5 is refused", async () => {
    expect(needsProtocol6(provider)).toBe(true);
    await expect(serveProviderDebug(provider, { debugProtocolVersion: 5, logger: quiet })).rejects.toThrow(/nested attributes, which protocol 5 cannot carry/);
  });

  it("are documented in their own nested schema sections", () => {
    const page = providerDocs(provider)["resources/firewall.md"] as string;
    expect(page).toContain('- <a id="rules"></a>`rules` (Attributes List) Rules. (see [below for nested schema](#nestedatt--rules))');
    expect(page).toContain('<a id="nestedatt--rules"></a>\n### Nested Schema for `rules`\n\nRequired:\n\n- <a id="rules--port"></a>`port` (Number)');
  });
});
