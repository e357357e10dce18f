import { ConfigError, createLogger } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue, isUnknown, toDynamicValue, unknown } from "../cty/index.js";
import { defineProvider, defineResource } from "./define.js";
import { type Block, blockType, nestedAttribute } from "./schema.js";
import { ProviderServer } from "./server.js";
import { withoutWriteOnly } from "./write-only.js";

const quiet = createLogger({ write: () => {} });
const steps = (d: { attribute?: { steps: { selector: { value?: unknown } }[] } }) => d.attribute?.steps.map((s) => s.selector.value);

describe("validators inside nested attributes", () => {
  const refuse = (ok: (v: string) => boolean, message: string) => (value: unknown) => (ok(String(value)) ? undefined : message);
  const schema = {
    attributes: {
      name: { type: "string", required: true },
      owner: nestedAttribute(
        "single",
        { email: { type: "string", optional: true, validate: refuse((v) => v.includes("@"), "is not an email") } },
        { optional: true },
      ),
      rules: nestedAttribute(
        "list",
        {
          cidr: { type: "string", required: true, validate: refuse((v) => v.includes("/"), "is not a CIDR") },
          labels: nestedAttribute("map", { text: { type: "string", required: true, validate: refuse((v) => v !== "", "is empty") } }, { optional: true }),
        },
        { optional: true },
      ),
      ports: nestedAttribute(
        "set",
        { port: { type: "number", required: true, validate: (v: unknown) => (Number(v) < 65536 ? undefined : "is not a port") } },
        { optional: true },
      ),
      tags: nestedAttribute(
        "map",
        { value: { type: "string", required: true, validate: refuse((v) => v === v.toLowerCase(), "is not lowercase") } },
        { optional: true },
      ),
    },
  } as const;
  const provider = defineProvider({
    name: "net",
    schema: { attributes: {} },
    resources: { net_policy: defineResource({ schema, create: () => ({}), delete() {} }) },
  });
  const type = blockType(schema);
  const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
  const config = (over: Record<string, unknown>) => ({ name: "p", owner: null, rules: null, ports: null, tags: null, ...over });
  const validate = async (over: Record<string, unknown>) => {
    const { diagnostics } = await new ProviderServer(provider, quiet).validateResourceConfig({ typeName: "net_policy", config: dv(config(over)) });
    return diagnostics.map((d) => [d.summary, d.detail, steps(d)]);
  };

  it("refuse a bad value with an error on its path: single, list index, map key, a set stops at the attribute, nested in each other", async () => {
    expect(
      await validate({
        owner: { email: "nobody" },
        rules: [
          { cidr: "10.0.0.0/8", labels: null },
          { cidr: "nope", labels: { a: { text: "fine" }, b: { text: "" } } },
        ],
        ports: [{ port: 22 }, { port: 70000 }],
        tags: { env: { value: "prod" }, team: { value: "Ops" } },
      }),
    ).toEqual([
      ["Invalid attribute value", "is not an email", ["owner", "email"]],
      ["Invalid attribute value", "is not a CIDR", ["rules", 1n, "cidr"]],
      ["Invalid attribute value", "is empty", ["rules", 1n, "labels", "b", "text"]],
      ["Invalid attribute value", "is not a port", ["ports", "port"]],
      ["Invalid attribute value", "is not lowercase", ["tags", "team", "value"]],
    ]);
  });

  it("accept good values", async () => {
    expect(
      await validate({
        owner: { email: "a@b.c" },
        rules: [{ cidr: "10.0.0.0/8", labels: { a: { text: "x" } } }],
        ports: [{ port: 22 }, { port: 443 }],
        tags: { env: { value: "prod" } },
      }),
    ).toEqual([]);
  });

  it("skip unknown nested values, unknown elements and unknown inner values, and still check the known ones beside them", async () => {
    expect(await validate({ owner: unknown(), rules: unknown(), ports: unknown(), tags: unknown() })).toEqual([]);
    expect(
      await validate({
        owner: { email: unknown() },
        rules: [unknown(), { cidr: "nope", labels: null }],
        ports: [unknown()],
        tags: { env: unknown(), team: { value: "Ops" } },
      }),
    ).toEqual([
      ["Invalid attribute value", "is not a CIDR", ["rules", 1n, "cidr"]],
      ["Invalid attribute value", "is not lowercase", ["tags", "team", "value"]],
    ]);
  });
});

describe("write-only attributes inside nested attributes", () => {
  const schema = {
    attributes: {
      name: { type: "string", required: true },
      login: nestedAttribute(
        "single",
        { user: { type: "string", required: true }, password_wo: { type: "string", optional: true, writeOnly: true } },
        { optional: true },
      ),
      keys: nestedAttribute(
        "list",
        { id: { type: "string", required: true }, secret_wo: { type: "string", optional: true, writeOnly: true } },
        { optional: true },
      ),
      tokens: nestedAttribute(
        "map",
        { scope: { type: "string", required: true }, token_wo: { type: "string", optional: true, writeOnly: true } },
        { optional: true },
      ),
    },
  } as const;
  const seen: unknown[] = [];
  const account = defineResource({
    schema,
    create({ config }) {
      seen.push(config);
      // Handing the configuration back, secrets included, must not put them in state.
      return { login: config.login, keys: config.keys, tokens: config.tokens };
    },
    delete() {},
  });
  const provider = defineProvider({ name: "iam", schema: { attributes: {} }, resources: { iam_account: account } });
  const type = blockType(schema);
  const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
  const decode = (value: unknown) => fromDynamicValue(value as { msgpack: Uint8Array; json: Uint8Array }, type) as Record<string, unknown>;
  const config = {
    name: "svc",
    login: { user: "admin", password_wo: "hunter2" },
    keys: [
      { id: "a", secret_wo: "s1" },
      { id: "b", secret_wo: null },
    ],
    tokens: { ci: { scope: "read", token_wo: "t0k" } },
  };
  const scrubbed = {
    name: "svc",
    login: { user: "admin", password_wo: null },
    keys: [
      { id: "a", secret_wo: null },
      { id: "b", secret_wo: null },
    ],
    tokens: { ci: { scope: "read", token_wo: null } },
  };

  it("are null in the planned and the new state whatever the provider returned; create sees them in config", async () => {
    seen.length = 0;
    const server = new ProviderServer(provider, quiet);
    const plan = await server.planResourceChange({
      typeName: "iam_account",
      priorState: dv(null),
      proposedNewState: dv(config),
      config: dv(config),
      priorPrivate: new Uint8Array(),
    });
    expect(plan.diagnostics).toEqual([]);
    expect(decode(plan.plannedState)).toEqual(scrubbed);
    const apply = await server.applyResourceChange({
      typeName: "iam_account",
      priorState: dv(null),
      plannedState: plan.plannedState,
      config: dv(config),
      plannedPrivate: new Uint8Array(),
    });
    expect(apply.diagnostics).toEqual([]);
    expect(decode(apply.newState)).toEqual(scrubbed);
    expect(seen).toMatchObject([{ login: { password_wo: "hunter2" }, keys: [{ secret_wo: "s1" }, {}], tokens: { ci: { token_wo: "t0k" } } }]);
  });

  it("nulling leaves unknown nested values and unknown elements as they are", () => {
    const planned = withoutWriteOnly(schema, { ...config, login: unknown(), keys: [unknown(), { id: "b", secret_wo: "s2" }], tokens: { ci: unknown() } });
    expect(isUnknown(planned.login)).toBe(true);
    const [first, second] = planned.keys as unknown[];
    expect(isUnknown(first)).toBe(true);
    expect(second).toEqual({ id: "b", secret_wo: null });
    expect(isUnknown((planned.tokens as Record<string, unknown>).ci)).toBe(true);
  });

  it("validation without the client capability refuses a configuration that sets one, naming its path; unset or capable is fine", async () => {
    const server = new ProviderServer(provider, quiet);
    const detail = async (over: Record<string, unknown>, writeOnlyAttributesAllowed = false) => {
      const { diagnostics } = await server.validateResourceConfig({
        typeName: "iam_account",
        config: dv({ ...scrubbed, ...over }),
        clientCapabilities: { writeOnlyAttributesAllowed },
      });
      expect(diagnostics.map((d) => d.summary)).toEqual(diagnostics.length ? ["Write-only attribute not supported"] : []);
      return diagnostics.map((d) => [d.detail?.split(" is write-only")[0], steps(d)]);
    };
    expect(await detail({ login: { user: "admin", password_wo: "x" } })).toEqual([["login.password_wo", ["login", "password_wo"]]]);
    expect(
      await detail({
        keys: [
          { id: "a", secret_wo: null },
          { id: "b", secret_wo: unknown() },
        ],
      }),
    ).toEqual([["keys[1].secret_wo", ["keys", 1n, "secret_wo"]]]);
    expect(await detail({ tokens: { ci: { scope: "read", token_wo: "t" } } })).toEqual([['tokens["ci"].token_wo', ["tokens", "ci", "token_wo"]]]);
    expect(await detail({})).toEqual([]);
    expect(await detail({ keys: unknown(), tokens: { ci: unknown() } })).toEqual([]);
    expect(await detail(config, true)).toEqual([]);
  });

  it("a write-only attribute inside a set (nested attribute or block) is refused when the provider is served", () => {
    const inSet = (schema: Block) => () =>
      new ProviderServer(
        defineProvider({ name: "iam", schema: { attributes: {} }, resources: { iam_x: defineResource({ schema, create: () => ({}), delete() {} }) } }),
        quiet,
      );
    const key = { host: { type: "string", required: true }, key_wo: { type: "string", optional: true, writeOnly: true } } as const;
    expect(inSet({ attributes: { certs: nestedAttribute("set", key, { optional: true }) } })).toThrow(
      new ConfigError(
        'resource "iam_x".certs: attribute "key_wo": a writeOnly attribute cannot be inside a set (its elements would differ only in configuration)',
      ),
    );
    expect(inSet({ attributes: {}, blocks: { cert: { nesting: "set", block: { attributes: key } } } })).toThrow(
      /cert: attribute "key_wo": a writeOnly attribute cannot be inside a set/,
    );
    expect(inSet({ attributes: { certs: nestedAttribute("list", key, { optional: true }) } })).not.toThrow();
  });
});
