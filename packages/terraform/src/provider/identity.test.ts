// Resource identity: the schema on the wire, the identity through plan, apply, read and import, its upgrade, and the
// rule that a stored identity does not change — through ProviderServer, and over gRPC in both protocols.
import { ConfigError, createLogger, reattachPlugin } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue, toDynamicValue } from "../cty/index.js";
import { ProviderPlugin as ProviderPluginV5 } from "../gen/tfplugin5/tfplugin5_rpcplugin.js";
import { ProviderPlugin as ProviderPluginV6 } from "../gen/tfplugin6/tfplugin6_rpcplugin.js";
import { serveProviderDebug } from "../serve.js";
import { defineProvider, defineResource, type Resource } from "./define.js";
import { identityType } from "./identity.js";
import { blockType } from "./schema.js";
import { ProviderServer } from "./server.js";

const bucketSchema = {
  attributes: {
    name: { type: "string", required: true, requiresReplace: true },
    size: { type: "number", optional: true },
    region: { type: "string", computed: true },
  },
} as const;
const identityAttributes = {
  name: { type: "string", requiredForImport: true, description: "The bucket's name." },
  region: { type: "string", optionalForImport: true },
  zones: { type: { list: "string" }, optionalForImport: true },
} as const;

const calls: unknown[] = [];
/** `zone` decides the region the provider reports: a test changes it to move the object (as an outside change would). */
let region = "eu-1";
// biome-ignore lint/suspicious/noExplicitAny: the provider data of these resources is unused
type Bucket = Resource<typeof bucketSchema, any, typeof identityAttributes>;
const bucket = (over: Partial<Bucket> = {}): Bucket =>
  defineResource({
    schema: bucketSchema,
    identity: {
      attributes: identityAttributes,
      version: 2,
      of: ({ state }) => ({ name: state.name, region: state.region, zones: state.region === null ? null : [`${state.region}a`] }),
      upgrade({ version, identity }) {
        calls.push({ upgrade: { version, identity } });
        // v1 called the name `bucket`.
        return { name: identity.bucket as string, region: identity.region as string };
      },
    },
    create: () => ({ region }),
    update: () => ({ region }),
    read: ({ state }) => ({ ...state, region }),
    delete() {},
    importState(request) {
      calls.push({ importState: request });
      return { name: request.identity?.name ?? request.id };
    },
    ...over,
  });
const plain = defineResource({ schema: bucketSchema, create: () => ({ region: "x" }), delete() {} });
const providerWith = (resource: Bucket) =>
  defineProvider({ name: "acme", schema: { attributes: {} }, resources: { acme_bucket: resource, acme_plain: plain } });

const quiet = createLogger({ write: () => {} });
const type = blockType(bucketSchema);
const idType = identityType(identityAttributes);
const dv = (value: unknown) => toDynamicValue(value, type);
const id = (value: unknown) => ({ identityData: toDynamicValue(value, idType) });
const readId = (wire: { identityData?: { msgpack: Uint8Array; json: Uint8Array } | undefined } | undefined) =>
  wire?.identityData === undefined ? undefined : fromDynamicValue(wire.identityData, idType);
const state = (over: Record<string, unknown> = {}) => ({ name: "logs", size: null, region: "eu-1", ...over });
const identity = (over: Record<string, unknown> = {}) => ({ name: "logs", region: "eu-1", zones: ["eu-1a"], ...over });
const empty = new Uint8Array();
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("resource identity schemas", () => {
  it("GetResourceIdentitySchemas: each resource with an identity, attributes sorted, cty type JSON, import flags, version", () => {
    const response = new ProviderServer(providerWith(bucket()), quiet).getResourceIdentitySchemas();
    expect(Object.keys(response.identitySchemas)).toEqual(["acme_bucket"]);
    const schema = response.identitySchemas.acme_bucket!;
    expect(schema.version).toBe(2n);
    expect(schema.identityAttributes.map((a) => ({ ...a, type: new TextDecoder().decode(a.type) }))).toEqual([
      { name: "name", type: '"string"', requiredForImport: true, optionalForImport: false, description: "The bucket's name." },
      { name: "region", type: '"string"', requiredForImport: false, optionalForImport: true, description: "" },
      { name: "zones", type: '["list","string"]', requiredForImport: false, optionalForImport: true, description: "" },
    ]);
  });

  it("refuses identity definitions Terraform could not use, with a ConfigError naming the resource and attribute", () => {
    const refuse = (identity: unknown) => {
      const resource = { ...plain, identity } as unknown as Resource<typeof bucketSchema>;
      return () => new ProviderServer(defineProvider({ name: "acme", schema: { attributes: {} }, resources: { acme_bucket: resource } }), quiet);
    };
    const of = () => ({});
    expect(refuse({ attributes: {}, of })).toThrow(new ConfigError('resource "acme_bucket": identity needs at least one attribute'));
    expect(refuse({ attributes: { tags: { type: { map: "string" } } }, of })).toThrow(
      /identity attribute "tags": type must be "string", "number", "bool" or a list/,
    );
    expect(refuse({ attributes: { nested: { type: { list: { list: "string" } } } }, of })).toThrow(/identity attribute "nested": type must be/);
    expect(refuse({ attributes: { a: { type: "string", requiredForImport: true, optionalForImport: true } }, of })).toThrow(
      /identity attribute "a" cannot be both requiredForImport and optionalForImport/,
    );
    expect(refuse({ attributes: { Bad: { type: "string" } }, of })).toThrow(/identity attribute "Bad": names must be lowercase/);
    expect(refuse({ attributes: { a: { type: "string" } }, of, version: -1 })).toThrow(/identity: version must be a non-negative integer, got -1/);
    expect(refuse({ attributes: { a: { type: "string" } } })).toThrow(/identity needs an `of` function/);
  });
});

describe("identity through plan, apply and read", () => {
  const server = () => new ProviderServer(providerWith(bucket()), quiet);
  const plan = (s: ProviderServer, prior: unknown, planned: unknown, priorIdentity?: unknown) =>
    s.planResourceChange({
      typeName: "acme_bucket",
      priorState: dv(prior),
      proposedNewState: dv(planned),
      config: dv(planned === null ? null : { ...(planned as object), region: null }),
      priorPrivate: empty,
      ...(priorIdentity === undefined ? {} : { priorIdentity: id(priorIdentity) }),
    });

  it("plans the stored identity on update (mutable too), none on create, on destroy or when none is stored", async () => {
    const s = server();
    const create = await plan(s, null, state({ region: null }));
    expect(create.diagnostics).toEqual([]);
    expect(create.plannedIdentity).toBeUndefined();
    const update = await plan(s, state(), state({ size: 3 }), identity());
    expect(readId(update.plannedIdentity)).toEqual(identity());
    const mutable = new ProviderServer(providerWith(bucket({ identity: { ...bucket().identity!, mutable: true } })), quiet);
    expect(readId((await plan(mutable, state(), state({ size: 3 }), identity())).plannedIdentity)).toEqual(identity());
    expect((await plan(s, state(), null, identity())).plannedIdentity).toBeUndefined();
    // A stored identity that names nothing (all null) is none.
    expect((await plan(s, state(), state({ size: 3 }), { name: null, region: null, zones: null })).plannedIdentity).toBeUndefined();
    // A resource without an identity answers none.
    const other = await s.planResourceChange({
      typeName: "acme_plain",
      priorState: dv(null),
      proposedNewState: dv(state()),
      config: dv(state()),
      priorPrivate: empty,
    });
    expect(other.plannedIdentity).toBeUndefined();
  });

  const apply = (s: ProviderServer, prior: unknown, planned: unknown, plannedIdentity?: unknown) =>
    s.applyResourceChange({
      typeName: "acme_bucket",
      priorState: dv(prior),
      plannedState: dv(planned),
      config: dv(planned === null ? null : { ...(planned as object), region: null }),
      plannedPrivate: empty,
      ...(plannedIdentity === undefined ? {} : { plannedIdentity: id(plannedIdentity) }),
    });

  it("apply answers identity.of of the new state after create and update, none after delete", async () => {
    region = "eu-1";
    const s = server();
    const created = await apply(s, null, state({ region: null }));
    expect(created.diagnostics).toEqual([]);
    expect(readId(created.newIdentity)).toEqual(identity());
    const updated = await apply(s, state(), state({ size: 3 }), identity());
    expect(readId(updated.newIdentity)).toEqual(identity());
    expect((await apply(s, state(), null, identity())).newIdentity).toBeUndefined();
  });

  it("an update that changes the stored identity is an error naming the attribute, and the new state is still answered", async () => {
    region = "us-2";
    try {
      const r = await apply(server(), state(), state({ size: 3 }), identity());
      expect(r.diagnostics).toMatchObject([
        { severity: 1, summary: "Unexpected identity change", detail: expect.stringContaining('identity attribute region changed from "eu-1" to "us-2"') },
      ]);
      expect(fromDynamicValue(r.newState!, type)).toEqual(state({ size: 3, region: "us-2" }));
      expect(r.newIdentity).toBeUndefined();
      // With mutable, the same change is fine.
      const mutable = new ProviderServer(providerWith(bucket({ identity: { ...bucket().identity!, mutable: true } })), quiet);
      const allowed = await apply(mutable, state(), state({ size: 3 }), identity());
      expect(allowed.diagnostics).toEqual([]);
      expect(readId(allowed.newIdentity)).toEqual(identity({ region: "us-2", zones: ["us-2a"] }));
    } finally {
      region = "eu-1";
    }
  });

  it("identity.of that names nothing, adds attributes or returns the wrong type: errors after create, the created state kept", async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: null, region: null, zones: null }, /returned no value for any identity attribute \(name, region, zones\)/],
      [{ name: "logs", colour: "red" }, /the identity has no attribute "colour" \(it has name, region, zones\)/],
      [{ name: 42 }, /Invalid resource identity|string/],
    ];
    for (const [returned, detail] of cases) {
      const s = new ProviderServer(providerWith(bucket({ identity: { ...bucket().identity!, of: () => returned as never } })), quiet);
      const r = await apply(s, null, state({ region: null }));
      expect(r.diagnostics).toHaveLength(1);
      expect(`${r.diagnostics[0]!.summary}: ${r.diagnostics[0]!.detail}`).toMatch(detail);
      expect(fromDynamicValue(r.newState!, type)).toEqual(state());
    }
  });

  const read = (s: ProviderServer, current: unknown, currentIdentity?: unknown) =>
    s.readResource({
      typeName: "acme_bucket",
      currentState: dv(current),
      private: empty,
      ...(currentIdentity === undefined ? {} : { currentIdentity: id(currentIdentity) }),
    });

  it("read answers the identity of the fresh state; a stored identity's nulls may be filled in, its values may not change", async () => {
    const s = server();
    expect(readId((await read(s, state())).newIdentity)).toEqual(identity());
    // After an import by a partial identity: the read completes it.
    const partial = await read(s, state(), { name: "logs", region: null, zones: null });
    expect(partial.diagnostics).toEqual([]);
    expect(readId(partial.newIdentity)).toEqual(identity());
    const changed = await read(s, state(), identity({ name: "other" }));
    expect(changed.diagnostics).toMatchObject([
      { summary: "Unexpected identity change", detail: expect.stringContaining('name changed from "other" to "logs"') },
    ]);
    const gone = await new ProviderServer(providerWith(bucket({ read: () => null })), quiet).readResource({
      typeName: "acme_bucket",
      currentState: dv(state()),
      private: empty,
      currentIdentity: id(identity()),
    });
    expect(gone.newIdentity).toBeUndefined();
    expect(fromDynamicValue(gone.newState!, type)).toBeNull();
  });
});

describe("import by identity", () => {
  it("hands an import block's identity to importState (id empty) and answers it as the imported identity", async () => {
    calls.length = 0;
    const s = new ProviderServer(providerWith(bucket()), quiet);
    const byIdentity = await s.importResourceState({ typeName: "acme_bucket", id: "", identity: id({ name: "logs", region: null, zones: null }) });
    expect(byIdentity.diagnostics).toEqual([]);
    expect(calls).toEqual([{ importState: { id: "", identity: { name: "logs", region: null, zones: null } } }]);
    const [imported] = byIdentity.importedResources!;
    expect(fromDynamicValue(imported!.state, type)).toEqual(state({ region: null }));
    expect(readId(imported!.identity)).toEqual({ name: "logs", region: null, zones: null });

    calls.length = 0;
    const byId = await s.importResourceState({ typeName: "acme_bucket", id: "logs" });
    expect(calls).toEqual([{ importState: { id: "logs", identity: null } }]);
    expect(byId.importedResources![0]!.identity).toBeUndefined();
  });
});

describe("UpgradeResourceIdentity", () => {
  const upgrade = (s: ProviderServer, version: bigint, raw: unknown, typeName = "acme_bucket") =>
    s.upgradeResourceIdentity({ typeName, version, rawIdentity: { json: json(raw) } });

  it("at the current version, re-encodes the stored identity (attributes the schema no longer has dropped)", async () => {
    const r = await upgrade(new ProviderServer(providerWith(bucket()), quiet), 2n, { ...identity(), retired: "x" });
    expect(r.diagnostics).toEqual([]);
    expect(readId(r.upgradedIdentity)).toEqual(identity());
  });

  it("from an older version, through identity.upgrade with the identity as stored", async () => {
    calls.length = 0;
    const r = await upgrade(new ProviderServer(providerWith(bucket()), quiet), 1n, { bucket: "logs", region: "eu-1" });
    expect(calls).toEqual([{ upgrade: { version: 1, identity: { bucket: "logs", region: "eu-1" } } }]);
    expect(readId(r.upgradedIdentity)).toEqual({ name: "logs", region: "eu-1", zones: null });
  });

  it("a newer version, an older one without upgrade, a resource without identity: error diagnostics saying what to do", async () => {
    const s = new ProviderServer(providerWith(bucket()), quiet);
    expect((await upgrade(s, 3n, identity())).diagnostics).toMatchObject([
      { summary: "Resource identity is newer than the provider", detail: expect.stringContaining("Use a newer provider") },
    ]);
    const noUpgrade = new ProviderServer(providerWith(bucket({ identity: { attributes: identityAttributes, version: 2, of: bucket().identity!.of } })), quiet);
    expect((await upgrade(noUpgrade, 0n, identity())).diagnostics).toMatchObject([
      { summary: "Unable to upgrade resource identity", detail: expect.stringContaining("identity version 0, the provider's is 2") },
    ]);
    expect((await upgrade(s, 0n, identity(), "acme_plain")).diagnostics).toMatchObject([{ summary: "Resource has no identity" }]);
    expect((await upgrade(s, 0n, identity(), "acme_nope")).diagnostics).toMatchObject([{ summary: "Unknown resource type" }]);
  });
});

describe("identity over gRPC", () => {
  for (const protocol of [5, 6] as const) {
    it(`tfplugin${protocol}: GetResourceIdentitySchemas, and identity data in ReadResource and ImportResourceState`, async () => {
      await using served = await serveProviderDebug(providerWith(bucket()), { debugProtocolVersion: protocol, logger: quiet });
      const host = await reattachPlugin(served.plugin.reattachConfig, {
        versionedPlugins: protocol === 5 ? { 5: { provider: ProviderPluginV5 } } : { 6: { provider: ProviderPluginV6 } },
      });
      try {
        const client = host.dispense("provider");
        const schemas = await client.getResourceIdentitySchemas({});
        expect(Object.keys(schemas.identitySchemas)).toEqual(["acme_bucket"]);
        expect(schemas.identitySchemas.acme_bucket?.identityAttributes.map((a) => a.name)).toEqual(["name", "region", "zones"]);
        const readResponse = await client.readResource({ typeName: "acme_bucket", currentState: dv(state()), currentIdentity: id(identity()) });
        expect(readResponse.diagnostics).toEqual([]);
        expect(readId(readResponse.newIdentity)).toEqual(identity());
        const imported = await client.importResourceState({ typeName: "acme_bucket", identity: id(identity()) });
        expect(readId(imported.importedResources[0]?.identity)).toEqual(identity());
        const upgraded = await client.upgradeResourceIdentity({ typeName: "acme_bucket", version: 2n, rawIdentity: { json: json(identity()) } });
        expect(readId(upgraded.upgradedIdentity)).toEqual(identity());
      } finally {
        await host.close();
      }
    });
  }
});
