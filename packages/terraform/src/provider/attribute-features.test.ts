import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue, isUnknown, toDynamicValue } from "../cty/index.js";
import { defineProvider, defineResource } from "./define.js";
import { blockType } from "./schema.js";
import { ProviderServer } from "./server.js";

const schema = {
  attributes: {
    name: { type: "string", required: true, validate: (value: unknown) => (/^[a-z]+$/.test(value as string) ? undefined : "must be lowercase letters") },
    port: { type: "number", optional: true, computed: true, default: 8080 },
    mode: {
      type: "string",
      optional: true,
      computed: true,
      default: "tcp",
      validate: (value: unknown) => (["tcp", "udp"].includes(value as string) ? undefined : `"${value}" is not tcp or udp`),
    },
    id: { type: "string", computed: true },
  },
  blocks: {
    rule: {
      nesting: "list",
      block: {
        attributes: { cidr: { type: "string", required: true, validate: (v: unknown) => ((v as string).includes("/") ? undefined : "is not a CIDR") } },
      },
    },
  },
} as const;

const resource = defineResource({ schema, create: () => ({ id: "x" }), delete() {} });
const provider = defineProvider({ name: "svc", schema: { attributes: {} }, resources: { svc_listener: resource } });
const type = blockType(schema);
const quiet = createLogger({ write: () => {} });
const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
const decode = (value: unknown) => fromDynamicValue(value as { msgpack: Uint8Array; json: Uint8Array }, type) as Record<string, unknown>;
const config = (over: Record<string, unknown> = {}) => ({ name: "web", port: null, mode: null, id: null, rule: [], ...over });

describe("attribute defaults", () => {
  it("plan an optional+computed attribute the configuration leaves null at its default; a configured value wins; others stay unknown", async () => {
    const server = new ProviderServer(provider, quiet);
    const plan = await server.planResourceChange({
      typeName: "svc_listener",
      priorState: dv(null),
      proposedNewState: dv(config({ mode: "udp" })),
      config: dv(config({ mode: "udp" })),
      priorPrivate: new Uint8Array(),
    });
    const planned = decode(plan.plannedState);
    expect(planned.port).toBe(8080);
    expect(planned.mode).toBe("udp");
    expect(isUnknown(planned.id)).toBe(true);
  });

  it("are checked when served: optional and computed only, a value of the type", () => {
    const make = (attribute: object) => () =>
      new ProviderServer(
        { name: "p", schema: { attributes: {} }, resources: { p_r: { schema: { attributes: { x: attribute } }, create: () => ({}), delete() {} } } },
        quiet,
      );
    expect(make({ type: "number", optional: true, default: 1 })).toThrow(/a default applies to optional and computed attributes/);
    expect(make({ type: "number", optional: true, computed: true, default: "one" })).toThrow(/the default is not a value of its type/);
    expect(make({ type: "number", optional: true, computed: true, default: 1 })).not.toThrow();
  });
});

describe("attribute validators", () => {
  it("refuse known values with an error on the attribute's path, nested blocks included; unknown and null values are not checked", async () => {
    const server = new ProviderServer(provider, quiet);
    const bad = await server.validateResourceConfig({
      typeName: "svc_listener",
      config: dv(config({ name: "Web", mode: "sctp", rule: [{ cidr: "10.0.0.0/8" }, { cidr: "nope" }] })),
    });
    expect(bad.diagnostics.map((d) => [d.summary, d.detail, d.attribute?.steps.map((s) => s.selector.value)])).toEqual([
      ["Invalid attribute value", "must be lowercase letters", ["name"]],
      ["Invalid attribute value", '"sctp" is not tcp or udp', ["mode"]],
      ["Invalid attribute value", "is not a CIDR", ["rule", 1n, "cidr"]],
    ]);
    const { unknown } = await import("../cty/index.js");
    const fine = await server.validateResourceConfig({ typeName: "svc_listener", config: dv(config({ name: unknown(), rule: [{ cidr: "10.0.0.0/8" }] })) });
    expect(fine.diagnostics).toEqual([]);
  });
});

describe("deprecated attributes and blocks", () => {
  const old = defineResource({
    schema: {
      attributes: {
        name: { type: "string", required: true },
        proto: { type: "string", optional: true, deprecated: "set mode instead" },
        legacy: { type: "bool", optional: true, deprecated: true },
      },
      blocks: {
        hook: { nesting: "list", block: { deprecated: "use hooks", attributes: { url: { type: "string", required: true } } } },
        rule: { nesting: "list", block: { attributes: { old_cidr: { type: "string", optional: true, deprecated: "use cidr" } } } },
      },
    },
    create: () => ({}),
    delete() {},
  });
  const server = new ProviderServer(defineProvider({ name: "svc", schema: { attributes: {} }, resources: { svc_old: old } }), quiet);
  const oldType = blockType(old.schema);
  const validate = async (over: Record<string, unknown>) =>
    (
      await server.validateResourceConfig({
        typeName: "svc_old",
        config: toDynamicValue({ name: "a", proto: null, legacy: null, hook: [], rule: [], ...over }, oldType) as { msgpack: Uint8Array; json: Uint8Array },
      })
    ).diagnostics.map((d) => [d.severity, d.summary, d.detail, d.attribute?.steps.map((s) => s.selector.value)]);

  it("warn, naming the attribute and the provider's message, only when the configuration sets them (Terraform leaves it to the provider)", async () => {
    expect(await validate({})).toEqual([]);
    const { unknown } = await import("../cty/index.js");
    expect(await validate({ proto: "tcp", legacy: unknown(), hook: [{ url: "u" }], rule: [{ old_cidr: null }, { old_cidr: "10.0.0.0/8" }] })).toEqual([
      [2, "Attribute Deprecated", "set mode instead", ["proto"]],
      [2, "Attribute Deprecated", "legacy is deprecated.", ["legacy"]],
      [2, "Block Deprecated", "use hooks", ["hook"]],
      [2, "Attribute Deprecated", "use cidr", ["rule", 1n, "old_cidr"]],
    ]);
  });
});

describe("private state", () => {
  const seen: unknown[] = [];
  const tracked = defineResource({
    schema: { attributes: { name: { type: "string", required: true }, id: { type: "string", computed: true } } },
    plan(_request, context) {
      seen.push(["plan", context.private]);
      context.setPrivate({ planned: true, ...(context.private as object) });
      return undefined;
    },
    create(_request, context) {
      seen.push(["create", context.private]);
      context.setPrivate({ etag: "v1" });
      return { id: "i" };
    },
    read({ state }, context) {
      seen.push(["read", context.private]);
      return state;
    },
    delete() {},
    validate(_request, context) {
      context.setPrivate("x");
    },
  });
  const p = defineProvider({ name: "pv", schema: { attributes: {} }, resources: { pv_thing: tracked } });
  const t = blockType(tracked.schema);
  const enc = (value: unknown) => toDynamicValue(value, t) as { msgpack: Uint8Array; json: Uint8Array };

  it("plan, apply and read see what was stored last and may replace it; Terraform's bytes pass through otherwise", async () => {
    const server = new ProviderServer(p, quiet);
    const cfg = { name: "a", id: null };
    const plan = await server.planResourceChange({
      typeName: "pv_thing",
      priorState: enc(null),
      proposedNewState: enc(cfg),
      config: enc(cfg),
      priorPrivate: new Uint8Array(),
    });
    expect(JSON.parse(new TextDecoder().decode(plan.plannedPrivate))).toEqual({ planned: true });
    const apply = await server.applyResourceChange({
      typeName: "pv_thing",
      priorState: enc(null),
      plannedState: plan.plannedState,
      config: enc(cfg),
      plannedPrivate: plan.plannedPrivate!,
    });
    expect(JSON.parse(new TextDecoder().decode(apply.private))).toEqual({ etag: "v1" });
    const read = await server.readResource({ typeName: "pv_thing", currentState: apply.newState, private: apply.private! });
    expect(read.private).toEqual(apply.private);
    expect(seen).toEqual([
      ["plan", undefined],
      ["create", { planned: true }],
      ["read", { etag: "v1" }],
    ]);
  });

  it("private data the provider did not write is a diagnostic only when read; setPrivate outside resource operations is refused", async () => {
    const server = new ProviderServer(p, quiet);
    const foreign = await server.readResource({
      typeName: "pv_thing",
      currentState: enc({ name: "a", id: "i" }),
      private: new TextEncoder().encode("\u0001binary"),
    });
    expect(foreign.diagnostics).toMatchObject([{ summary: "Invalid private data" }]);
    const validate = await server.validateResourceConfig({ typeName: "pv_thing", config: enc({ name: "a", id: null }) });
    expect(validate.diagnostics).toMatchObject([{ summary: "Private data not available here" }]);
  });
});
