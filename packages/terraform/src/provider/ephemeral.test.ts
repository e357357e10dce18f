import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue, isUnknown, toDynamicValue, unknown } from "../cty/index.js";
import { defineEphemeralResource, defineProvider } from "./define.js";
import { DiagnosticError } from "./diagnostics.js";
import { blockType } from "./schema.js";
import { ProviderServer } from "./server.js";

const leaseSchema = {
  attributes: {
    name: { type: "string", required: true },
    ttl: { type: "number", optional: true },
    token: { type: "string", computed: true, sensitive: true },
  },
} as const;

const events: string[] = [];
const lease = defineEphemeralResource({
  schema: leaseSchema,
  open({ config }, context) {
    if (config.name === "refused") throw new DiagnosticError("No lease", { detail: "the vault said no", path: ["name"] });
    events.push(`open ${config.name} for ${(context.provider as { owner: string }).owner}`);
    return { result: { token: `token-${config.name}` }, renewAt: new Date(Date.UTC(2030, 0, 1)), private: { lease: `L-${config.name}`, renewals: 0 } };
  },
  renew({ private: data }) {
    const { lease: id, renewals } = data as { lease: string; renewals: number };
    events.push(`renew ${id}`);
    return { renewAt: new Date(Date.UTC(2030, 0, 2)), private: { lease: id, renewals: renewals + 1 } };
  },
  close({ private: data }) {
    events.push(`close ${JSON.stringify(data)}`);
  },
  validate({ config }) {
    if (typeof config.ttl === "number" && config.ttl <= 0) throw new DiagnosticError("Bad ttl", { path: ["ttl"] });
  },
});

const provider = defineProvider({
  name: "vault",
  schema: { attributes: { owner: { type: "string", required: true } } },
  configure: ({ config }) => ({ owner: config.owner as string }),
  ephemeralResources: { vault_lease: lease, vault_plain: defineEphemeralResource({ schema: leaseSchema, open: () => ({ result: { token: "t" } }) }) },
});

const type = blockType(leaseSchema);
const quiet = createLogger({ write: () => {} });
const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
const providerConfig = toDynamicValue({ owner: "ops" }, blockType(provider.schema)) as { msgpack: Uint8Array; json: Uint8Array };

async function configured(): Promise<ProviderServer> {
  const server = new ProviderServer(provider, quiet);
  expect((await server.configureProvider({ config: providerConfig, terraformVersion: "1.11.4" })).diagnostics).toEqual([]);
  return server;
}

describe("ephemeral resources", () => {
  it("are listed in GetProviderSchema and GetMetadata", async () => {
    const server = await configured();
    expect(Object.keys(server.getProviderSchema().ephemeralResourceSchemas)).toEqual(["vault_lease", "vault_plain"]);
    expect(server.getMetadata().ephemeralResources).toEqual([{ typeName: "vault_lease" }, { typeName: "vault_plain" }]);
  });

  it("open → renew → close: the result completed from the config, renew_at, and private data handed back each time", async () => {
    events.length = 0;
    const server = await configured();
    const opened = await server.openEphemeralResource({ typeName: "vault_lease", config: dv({ name: "db", ttl: 60, token: null }) });
    expect(opened.diagnostics).toEqual([]);
    expect(fromDynamicValue(opened.result!, type)).toEqual({ name: "db", ttl: 60, token: "token-db" });
    expect(timestampDate(opened.renewAt as never).toISOString()).toBe("2030-01-01T00:00:00.000Z");
    const renewed = await server.renewEphemeralResource({ typeName: "vault_lease", private: opened.private });
    expect(renewed.diagnostics).toEqual([]);
    expect(timestampDate(renewed.renewAt as never).toISOString()).toBe("2030-01-02T00:00:00.000Z");
    expect((await server.closeEphemeralResource({ typeName: "vault_lease", private: renewed.private })).diagnostics).toEqual([]);
    expect(events).toEqual(["open db for ops", "renew L-db", 'close {"lease":"L-db","renewals":1}']);
  });

  it("without renew_at or private, neither is sent; renew and close without handlers answer nothing", async () => {
    const server = await configured();
    const opened = await server.openEphemeralResource({ typeName: "vault_plain", config: dv({ name: "x", ttl: null, token: null }) });
    expect(opened.renewAt).toBeUndefined();
    expect(opened.private).toBeUndefined();
    expect(await server.renewEphemeralResource({ typeName: "vault_plain" })).toEqual({ diagnostics: [] });
    expect(await server.closeEphemeralResource({ typeName: "vault_plain" })).toEqual({ diagnostics: [] });
  });

  it("a configuration with unknowns gives an unknown result without opening", async () => {
    events.length = 0;
    const server = await configured();
    const opened = await server.openEphemeralResource({ typeName: "vault_lease", config: dv({ name: unknown(), ttl: null, token: null }) });
    expect(isUnknown(fromDynamicValue(opened.result!, type))).toBe(true);
    expect(events).toEqual([]);
  });

  it("failures are diagnostics: the provider's own, validation, unknown type, private data that is not ours", async () => {
    const server = await configured();
    const refused = await server.openEphemeralResource({ typeName: "vault_lease", config: dv({ name: "refused", ttl: null, token: null }) });
    expect(refused.result).toBeUndefined();
    expect(refused.diagnostics).toMatchObject([{ summary: "No lease", detail: "the vault said no" }]);
    const invalid = await server.validateEphemeralResourceConfig({ typeName: "vault_lease", config: dv({ name: "a", ttl: 0, token: null }) });
    expect(invalid.diagnostics).toMatchObject([{ summary: "Bad ttl" }]);
    expect((await server.openEphemeralResource({ typeName: "vault_nope" })).diagnostics).toMatchObject([{ summary: "Unknown ephemeral resource type" }]);
    const foreign = await server.renewEphemeralResource({ typeName: "vault_lease", private: new TextEncoder().encode("not json") });
    expect(foreign.diagnostics).toMatchObject([{ summary: "Invalid private data" }]);
  });

  it("names must carry the provider's prefix", () => {
    expect(() => new ProviderServer({ ...provider, ephemeralResources: { lease } }, quiet)).toThrow(/ephemeral resource "lease" must be named "vault_<name>"/);
  });
});
