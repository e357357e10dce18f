import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue, toDynamicValue } from "../cty/index.js";
import { defineProvider, defineResource } from "./define.js";
import { blockType } from "./schema.js";
import { ProviderServer } from "./server.js";
import { toWireSchema } from "./wire-schema.js";

const secretSchema = {
  attributes: {
    name: { type: "string", required: true, requiresReplace: true },
    password_wo: { type: "string", required: true, writeOnly: true, sensitive: true },
    password_wo_version: { type: "number", optional: true },
    fingerprint: { type: "string", computed: true },
  },
  blocks: { extra: { nesting: "list", block: { attributes: { token_wo: { type: "string", optional: true, writeOnly: true } } } } },
} as const;

const seen: unknown[] = [];
const secret = defineResource({
  schema: secretSchema,
  create({ config }) {
    seen.push(config.password_wo);
    // Returning the write-only value must not put it in state.
    return { fingerprint: `fp-${String(config.password_wo).length}`, password_wo: config.password_wo };
  },
  update({ config }) {
    seen.push(config.password_wo);
    return { fingerprint: `fp-${String(config.password_wo).length}` };
  },
  read({ state }) {
    return { ...state, password_wo: "leaked?" };
  },
  delete() {},
});

const provider = defineProvider({ name: "vault", schema: { attributes: {} }, resources: { vault_secret: secret } });
const type = blockType(secretSchema);
const quiet = createLogger({ write: () => {} });
const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
const decode = (value: unknown) => fromDynamicValue(value as { msgpack: Uint8Array; json: Uint8Array }, type) as Record<string, unknown>;
const config = { name: "db", password_wo: "hunter2", password_wo_version: 1, fingerprint: null, extra: [{ token_wo: "t0k" }] };

describe("write-only attributes", () => {
  it("are marked write_only in the wire schema", () => {
    const wire = toWireSchema(secretSchema);
    expect(wire.block.attributes.find((a) => a.name === "password_wo")?.writeOnly).toBe(true);
    expect(wire.block.attributes.find((a) => a.name === "name")?.writeOnly).toBe(false);
    expect(wire.block.blockTypes[0]?.block.attributes[0]?.writeOnly).toBe(true);
  });

  it("validation refuses a configuration that sets one unless Terraform says it can handle them, naming the attribute", async () => {
    const server = new ProviderServer(provider, quiet);
    const old = await server.validateResourceConfig({ typeName: "vault_secret", config: dv(config) });
    expect(old.diagnostics).toMatchObject([{ summary: "Write-only attribute not supported" }]);
    expect(old.diagnostics[0]?.detail).toMatch(/^password_wo is write-only.*Terraform 1\.11 or OpenTofu 1\.11/);
    const nested = await server.validateResourceConfig({ typeName: "vault_secret", config: dv({ ...config, password_wo: null }) });
    expect(nested.diagnostics[0]?.detail).toMatch(/^extra\[0\]\.token_wo is write-only/);
    const unset = await server.validateResourceConfig({ typeName: "vault_secret", config: dv({ ...config, password_wo: null, extra: [] }) });
    expect(unset.diagnostics).toEqual([]);
    const capable = await server.validateResourceConfig({
      typeName: "vault_secret",
      config: dv(config),
      clientCapabilities: { writeOnlyAttributesAllowed: true },
    });
    expect(capable.diagnostics).toEqual([]);
  });

  it("create and update get the value in config; plan, the new state and read keep null whatever the provider returned", async () => {
    seen.length = 0;
    const server = new ProviderServer(provider, quiet);
    const plan = await server.planResourceChange({
      typeName: "vault_secret",
      priorState: dv(null),
      proposedNewState: dv(config),
      config: dv(config),
      priorPrivate: new Uint8Array(),
    });
    const planned = decode(plan.plannedState);
    expect(planned.password_wo).toBeNull();
    expect(planned.extra).toEqual([{ token_wo: null }]);
    const apply = await server.applyResourceChange({
      typeName: "vault_secret",
      priorState: dv(null),
      plannedState: plan.plannedState,
      config: dv(config),
      plannedPrivate: new Uint8Array(),
    });
    expect(apply.diagnostics).toEqual([]);
    const state = decode(apply.newState);
    expect(state).toMatchObject({ name: "db", password_wo: null, fingerprint: "fp-7", extra: [{ token_wo: null }] });
    const read = await server.readResource({ typeName: "vault_secret", currentState: apply.newState, private: new Uint8Array() });
    expect(decode(read.newState).password_wo).toBeNull();
    const next = { ...config, password_wo: "longer secret", password_wo_version: 2 };
    const update = await server.applyResourceChange({
      typeName: "vault_secret",
      priorState: apply.newState,
      plannedState: dv({ ...state, password_wo_version: 2 }),
      config: dv(next),
      plannedPrivate: new Uint8Array(),
    });
    expect(decode(update.newState)).toMatchObject({ password_wo: null, fingerprint: "fp-13" });
    expect(seen).toEqual(["hunter2", "longer secret"]);
  });

  it("the schema is checked: not computed, not requiresReplace, resources only", () => {
    const make =
      (attribute: object, where: "resource" | "data" = "resource") =>
      () =>
        new ProviderServer(
          where === "resource"
            ? { name: "p", schema: { attributes: {} }, resources: { p_r: { schema: { attributes: { x: attribute } }, create: () => ({}), delete() {} } } }
            : { name: "p", schema: { attributes: {} }, dataSources: { p_d: { schema: { attributes: { x: attribute } }, read: () => ({}) } } },
          quiet,
        );
    expect(make({ type: "string", optional: true, computed: true, writeOnly: true })).toThrow(/writeOnly attribute cannot be computed/);
    expect(make({ type: "string", optional: true, requiresReplace: true, writeOnly: true })).toThrow(/writeOnly attribute cannot be requiresReplace/);
    expect(make({ type: "string", optional: true, writeOnly: true }, "data")).toThrow(/writeOnly only applies to resource schemas/);
  });
});
