import { getEventListeners } from "node:events";
import { createLogger } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { fromDynamicValue, isUnknown, toDynamicValue } from "../cty/index.js";
import { defineProvider, defineResource } from "./define.js";
import { DiagnosticError } from "./diagnostics.js";
import { blockType } from "./schema.js";
import { ProviderServer } from "./server.js";

const noteSchema = {
  attributes: {
    name: { type: "string", required: true, requiresReplace: true },
    text: { type: "string", required: true },
    tags: { type: { map: "string" }, optional: true },
    length: { type: "number", computed: true },
    id: { type: "string", computed: true, useStateForUnknown: true },
  },
} as const;

const deleted: string[] = [];
const note = defineResource({
  schema: noteSchema,
  version: 2,
  create({ config }, context) {
    if (config.text === "crash") throw new Error("disk on fire");
    if (config.tags?.bad !== undefined) throw new DiagnosticError("Bad tag", { detail: "no bad tags", path: ["tags", "bad"] });
    return { id: `${(context.provider as { prefix: string }).prefix}${config.name}`, length: config.text.length };
  },
  update({ config }) {
    return { length: config.text.length };
  },
  delete({ state }) {
    deleted.push(state.name);
  },
  importState({ id }) {
    return { id, name: id, text: "" };
  },
  upgradeState({ version, state }) {
    // v1 called `text` `body`.
    if (version !== 1) throw new DiagnosticError("no upgrade path", { detail: `from ${version}` });
    const { body, ...rest } = state;
    return { ...(rest as object), text: body as string };
  },
});

const provider = defineProvider({
  name: "notes",
  schema: { attributes: { prefix: { type: "string", optional: true } } },
  configure: ({ config }) => ({ prefix: (config.prefix as string | null) ?? "" }),
  resources: { notes_note: note },
});

const type = blockType(noteSchema);
const quiet = createLogger({ write: () => {} });
const dv = (value: unknown) => toDynamicValue(value, type) as { msgpack: Uint8Array; json: Uint8Array };
const decode = (value: unknown) => fromDynamicValue(value as { msgpack: Uint8Array; json: Uint8Array }, type) as Record<string, unknown>;
const empty = new Uint8Array();
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const config = (over: Record<string, unknown> = {}) => ({ name: "a", text: "hello", tags: null, length: null, id: null, ...over });

async function configured(): Promise<ProviderServer> {
  const server = new ProviderServer(provider, quiet);
  const providerType = blockType(provider.schema);
  const response = await server.configureProvider({ terraformVersion: "1.5.7", config: toDynamicValue({ prefix: "n-" }, providerType) as never });
  expect(response.diagnostics).toEqual([]);
  return server;
}

describe("ProviderServer", () => {
  it("answers the schema with types as JSON, flags and the resource version", () => {
    const schema = new ProviderServer(provider, quiet).getProviderSchema();
    const resource = schema.resourceSchemas.notes_note!;
    expect(resource.version).toBe(2n);
    const attributes = Object.fromEntries(resource.block.attributes.map((a) => [a.name, a]));
    expect(new TextDecoder().decode(attributes.tags!.type)).toBe('["map","string"]');
    expect(attributes.length).toMatchObject({ computed: true, required: false, optional: false });
    expect(attributes.name).toMatchObject({ required: true });
    expect(schema.serverCapabilities.planDestroy).toBe(false);
  });

  it("plans a create with computed attributes unknown, then applies it", async () => {
    const server = await configured();
    const plan = await server.planResourceChange({
      typeName: "notes_note",
      priorState: dv(null),
      proposedNewState: dv(config()),
      config: dv(config()),
      priorPrivate: empty,
    });
    expect(plan.diagnostics).toEqual([]);
    const planned = decode(plan.plannedState);
    expect(isUnknown(planned.length)).toBe(true);
    expect(isUnknown(planned.id)).toBe(true);
    const applied = await server.applyResourceChange({
      typeName: "notes_note",
      priorState: dv(null),
      plannedState: plan.plannedState as never,
      config: dv(config()),
      plannedPrivate: empty,
    });
    expect(applied.diagnostics).toEqual([]);
    expect(decode(applied.newState)).toEqual({ name: "a", text: "hello", tags: null, length: 5, id: "n-a" });
  });

  it("asks for a replace when a requiresReplace attribute changes, and keeps useStateForUnknown values", async () => {
    const server = await configured();
    const prior = config({ length: 5, id: "n-a" });
    const renamed = await server.planResourceChange({
      typeName: "notes_note",
      priorState: dv(prior),
      proposedNewState: dv({ ...prior, name: "b" }),
      config: dv(config({ name: "b" })),
      priorPrivate: empty,
    });
    expect(renamed.requiresReplace).toEqual([{ steps: [{ selector: { case: "attributeName", value: "name" } }] }]);
    const edited = await server.planResourceChange({
      typeName: "notes_note",
      priorState: dv(prior),
      proposedNewState: dv({ ...prior, text: "bye" }),
      config: dv(config({ text: "bye" })),
      priorPrivate: empty,
    });
    expect(edited.requiresReplace).toEqual([]);
    const planned = decode(edited.plannedState);
    expect(isUnknown(planned.length)).toBe(true);
    expect(planned.id).toBe("n-a");
  });

  it("turns a DiagnosticError into a diagnostic with its attribute path (map key resolved from the schema)", async () => {
    const server = await configured();
    const bad = config({ tags: { bad: "x" } });
    const applied = await server.applyResourceChange({
      typeName: "notes_note",
      priorState: dv(null),
      plannedState: dv(bad),
      config: dv(bad),
      plannedPrivate: empty,
    });
    expect(applied.newState).toBeUndefined();
    expect(applied.diagnostics).toEqual([
      {
        severity: 1,
        summary: "Bad tag",
        detail: "no bad tags",
        attribute: { steps: [{ selector: { case: "attributeName", value: "tags" } }, { selector: { case: "elementKeyString", value: "bad" } }] },
      },
    ]);
  });

  it("turns any other thrown error into an error diagnostic naming the operation", async () => {
    const server = await configured();
    const crash = config({ text: "crash" });
    const applied = await server.applyResourceChange({
      typeName: "notes_note",
      priorState: dv(null),
      plannedState: dv(crash),
      config: dv(crash),
      plannedPrivate: empty,
    });
    expect(applied.diagnostics).toEqual([{ severity: 1, summary: "Unexpected error in apply notes_note", detail: "disk on fire" }]);
  });

  it("says the provider is not configured when a resource needs it before ConfigureProvider", async () => {
    const server = new ProviderServer(provider, quiet);
    const applied = await server.applyResourceChange({
      typeName: "notes_note",
      priorState: dv(null),
      plannedState: dv(config()),
      config: dv(config()),
      plannedPrivate: empty,
    });
    expect(applied.diagnostics[0]).toMatchObject({ severity: 1, summary: "Provider not configured" });
  });

  it("deletes when the planned state is null", async () => {
    const server = await configured();
    const applied = await server.applyResourceChange({
      typeName: "notes_note",
      priorState: dv(config({ name: "gone", length: 5, id: "x" })),
      plannedState: dv(null),
      config: dv(null),
      plannedPrivate: empty,
    });
    expect(applied.diagnostics).toEqual([]);
    expect(decode(applied.newState)).toBeNull();
    expect(deleted).toContain("gone");
  });

  it("upgrades state: the same version decoded as it is (removed attributes dropped), older versions through upgradeState", async () => {
    const server = new ProviderServer(provider, quiet);
    const same = await server.upgradeResourceState({
      typeName: "notes_note",
      version: 2n,
      rawState: { json: json({ name: "a", text: "t", tags: { k: "v" }, length: 1, id: "n-a", removed_attr: true }), flatmap: {} },
    });
    expect(same.diagnostics).toEqual([]);
    expect(decode(same.upgradedState)).toEqual({ name: "a", text: "t", tags: { k: "v" }, length: 1, id: "n-a" });
    const old = await server.upgradeResourceState({
      typeName: "notes_note",
      version: 1n,
      rawState: { json: json({ name: "a", body: "old", length: 3, id: "n-a" }), flatmap: {} },
    });
    expect(old.diagnostics).toEqual([]);
    expect(decode(old.upgradedState)).toEqual({ name: "a", text: "old", tags: null, length: 3, id: "n-a" });
    const newer = await server.upgradeResourceState({ typeName: "notes_note", version: 3n, rawState: { json: json({}), flatmap: {} } });
    expect(newer.diagnostics[0]).toMatchObject({ severity: 1, summary: "Resource state is newer than the provider" });
    const older = await server.upgradeResourceState({ typeName: "notes_note", version: 0n, rawState: { json: json({}), flatmap: {} } });
    expect(older.diagnostics[0]).toMatchObject({ severity: 1, summary: "no upgrade path", detail: "from 0" });
  });

  it("reads stored state losslessly: numbers beyond 2^53 survive the upgrade, with or without removed attributes", async () => {
    const server = new ProviderServer(provider, quiet);
    const raw = (text: string) => ({ json: new TextEncoder().encode(text), flatmap: {} });
    const big = "9007199254740993"; // 2^53 + 1: JSON.parse would round it
    const same = await server.upgradeResourceState({
      typeName: "notes_note",
      version: 2n,
      rawState: raw(`{"name":"a","text":"t","tags":null,"length":${big},"id":"n-a","removed_attr":{"deep":1}}`),
    });
    expect(same.diagnostics).toEqual([]);
    expect(String(decode(same.upgradedState).length)).toBe(big);
    const old = await server.upgradeResourceState({
      typeName: "notes_note",
      version: 1n,
      rawState: raw(`{"name":"a","body":"old","length":${big},"id":"n-a"}`),
    });
    expect(old.diagnostics).toEqual([]);
    expect(String(decode(old.upgradedState).length)).toBe(big);
  });

  it("imports by id, filling attributes left out with null", async () => {
    const server = await configured();
    const imported = await server.importResourceState({ typeName: "notes_note", id: "x" });
    expect(imported.diagnostics).toEqual([]);
    expect(imported.importedResources?.[0]?.typeName).toBe("notes_note");
    expect(decode(imported.importedResources?.[0]?.state)).toEqual({ name: "x", text: "", tags: null, length: null, id: "x" });
  });

  it("answers an unknown type name with a diagnostic", async () => {
    const server = await configured();
    const response = await server.readResource({ typeName: "notes_nope", currentState: dv(null), private: empty });
    expect(response.diagnostics[0]).toMatchObject({ severity: 1, summary: "Unknown resource type" });
  });

  it("refuses bad definitions with a ConfigError naming the problem", () => {
    expect(() => new ProviderServer(defineProvider({ name: "x", schema: { attributes: { a: { type: "string" } } } }), quiet)).toThrow(
      /attribute "a" must be one of required, optional or computed/,
    );
    expect(() => new ProviderServer(defineProvider({ name: "x", schema: { attributes: {} }, resources: { other_thing: note } }), quiet)).toThrow(
      /must be named "x_<name>"/,
    );
    expect(
      () => new ProviderServer(defineProvider({ name: "x", schema: { attributes: { a: { type: "string", required: true, computed: true } } } }), quiet),
    ).toThrow(/cannot also be optional or computed/);
  });

  it("plans nested blocks through the codec: computed attributes unknown inside them, nested replace paths", async () => {
    const site = defineResource({
      schema: {
        attributes: { name: { type: "string", required: true } },
        blocks: {
          owner: {
            nesting: "single",
            block: { attributes: { login: { type: "string", required: true, requiresReplace: true }, uid: { type: "number", computed: true } } },
          },
          rule: {
            nesting: "list",
            block: { attributes: { port: { type: "number", required: true, requiresReplace: true }, note: { type: "string", computed: true } } },
          },
        },
      },
      create: () => ({}),
      delete: () => {},
    });
    const server = new ProviderServer(defineProvider({ name: "web", schema: { attributes: {} }, resources: { web_site: site } }), quiet);
    const siteType = blockType(site.schema);
    const enc = (value: unknown) => toDynamicValue(value as never, siteType) as { msgpack: Uint8Array; json: Uint8Array };
    // biome-ignore lint/suspicious/noExplicitAny: decoded test values are read by shape
    const dec = (value: unknown) => fromDynamicValue(value as { msgpack: Uint8Array; json: Uint8Array }, siteType) as Record<string, any>;
    const wanted = {
      name: "s",
      owner: { login: "me", uid: null },
      rule: [
        { port: 80, note: null },
        { port: 443, note: null },
      ],
    };
    const created = await server.planResourceChange({
      typeName: "web_site",
      priorState: enc(null),
      proposedNewState: enc(wanted),
      config: enc(wanted),
      priorPrivate: empty,
    });
    expect(created.diagnostics).toEqual([]);
    const planned = dec(created.plannedState);
    expect(isUnknown(planned.owner.uid)).toBe(true);
    expect(planned.rule.map((r: Record<string, unknown>) => isUnknown(r.note))).toEqual([true, true]);
    const prior = {
      name: "s",
      owner: { login: "me", uid: 1 },
      rule: [
        { port: 80, note: "a" },
        { port: 443, note: "b" },
      ],
    };
    const changed = {
      ...prior,
      owner: { login: "you", uid: 1 },
      rule: [
        { port: 80, note: "a" },
        { port: 8443, note: "b" },
      ],
    };
    const replaced = await server.planResourceChange({
      typeName: "web_site",
      priorState: enc(prior),
      proposedNewState: enc(changed),
      config: enc(wanted),
      priorPrivate: empty,
    });
    expect(replaced.requiresReplace?.map((path) => path.steps.map((step) => step.selector.value))).toEqual([
      ["owner", "login"],
      ["rule", 1n, "port"],
    ]);
  });

  it("answers GetMetadata with its types and StopProvider by aborting the signal of provider calls", async () => {
    let seen: AbortSignal | undefined;
    const waiting = defineResource({
      schema: { attributes: { id: { type: "string", computed: true } } },
      create: (_request, context) => {
        seen = context.signal;
        return { id: "x" };
      },
      delete: () => {},
    });
    const server = new ProviderServer(defineProvider({ name: "slow", schema: { attributes: {} }, resources: { slow_thing: waiting } }), quiet);
    expect(server.getMetadata()).toMatchObject({ resources: [{ typeName: "slow_thing" }], dataSources: [] });
    await server.configureProvider({ terraformVersion: "1.5.7", config: undefined });
    const slowType = blockType(waiting.schema);
    const value = toDynamicValue({ id: null }, slowType) as { msgpack: Uint8Array; json: Uint8Array };
    await server.applyResourceChange({
      typeName: "slow_thing",
      priorState: toDynamicValue(null, slowType) as never,
      plannedState: value,
      config: value,
      plannedPrivate: empty,
    });
    expect(seen?.aborted).toBe(false);
    expect(server.stopProvider()).toEqual({ Error: "" });
    expect(seen?.aborted).toBe(true);
  });

  describe("context.signal", () => {
    // create waits for the signal and gives up the way `mode` says; read reports whether its signal was aborted.
    let mode: "reason" | "abort-error" | "other" | "diagnostic" = "reason";
    let started: () => void = () => {};
    const blocking = defineResource({
      schema: { attributes: { id: { type: "string", computed: true }, aborted: { type: "bool", computed: true } } },
      create: async (_request, context) => {
        started();
        await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve(), { once: true }));
        if (mode === "reason") context.signal.throwIfAborted();
        if (mode === "abort-error") throw new DOMException("The operation was aborted", "AbortError");
        if (mode === "diagnostic") throw new DiagnosticError("Gave up", { detail: "on purpose", path: ["id"] });
        throw new Error("something else broke");
      },
      read: ({ state }, context) => ({ ...state, aborted: context.signal.aborted }),
      delete: () => {},
    });
    const type = blockType(blocking.schema);
    const dv = (v: unknown) => toDynamicValue(v as never, type) as { msgpack: Uint8Array; json: Uint8Array };
    const newServer = async () => {
      const server = new ProviderServer(defineProvider({ name: "block", schema: { attributes: {} }, resources: { block_thing: blocking } }), quiet);
      await server.configureProvider({ terraformVersion: "1.5.7", config: undefined });
      return server;
    };
    const create = (server: ProviderServer, call?: { signal: AbortSignal }) => {
      const running = new Promise<void>((resolve) => (started = resolve));
      const result = server.applyResourceChange(
        {
          typeName: "block_thing",
          priorState: dv(null),
          plannedState: dv({ id: null, aborted: null }),
          config: dv({ id: null, aborted: null }),
          plannedPrivate: empty,
        },
        call,
      );
      return { running, result };
    };
    const read = async (server: ProviderServer) => {
      const r = await server.readResource({ typeName: "block_thing", currentState: dv({ id: "x", aborted: null }), private: empty });
      return (fromDynamicValue(r.newState as never, type) as { aborted: boolean }).aborted;
    };

    it("StopProvider ends a call waiting on it with an 'Operation cancelled' diagnostic; later calls get a fresh signal", async () => {
      const server = await newServer();
      mode = "reason";
      const { running, result } = create(server);
      await running;
      expect(server.stopProvider()).toEqual({ Error: "" });
      const stopped = await result;
      expect(stopped.newState).toBeUndefined();
      expect(stopped.diagnostics).toEqual([
        { severity: 1, summary: "Operation cancelled", detail: "Apply block_thing stopped before it finished: Terraform asked the provider to stop." },
      ]);
      expect(await read(server)).toBe(false);
    });

    it("an AbortError after the abort is a cancellation too; other errors and diagnostics stay what they are", async () => {
      const server = await newServer();
      const outcome = async (m: typeof mode) => {
        mode = m;
        const { running, result } = create(server);
        await running;
        server.stopProvider();
        return (await result).diagnostics.map((d) => d.summary);
      };
      expect(await outcome("abort-error")).toEqual(["Operation cancelled"]);
      expect(await outcome("other")).toEqual(["Unexpected error in apply block_thing"]);
      expect(await outcome("diagnostic")).toEqual(["Gave up"]);
    });

    it("follows the gRPC call's signal (client cancel, deadline) and leaves no listener on it", async () => {
      const server = await newServer();
      mode = "reason";
      const call = new AbortController();
      const { running, result } = create(server, call);
      await running;
      expect(getEventListeners(call.signal, "abort")).toHaveLength(1);
      call.abort(new Error("the client cancelled the call"));
      expect((await result).diagnostics).toEqual([
        { severity: 1, summary: "Operation cancelled", detail: "Apply block_thing stopped before it finished: the client cancelled the call." },
      ]);
      expect(getEventListeners(call.signal, "abort")).toHaveLength(0);
      // A call that ends by itself leaves none either.
      const done = new AbortController();
      await server.readResource({ typeName: "block_thing", currentState: dv({ id: "x", aborted: null }), private: empty }, done);
      expect(getEventListeners(done.signal, "abort")).toHaveLength(0);
      // A StopProvider still reaches a call that came with its own signal.
      const again = create(server, new AbortController());
      await again.running;
      server.stopProvider();
      expect((await again.result).diagnostics[0]?.detail).toMatch(/Terraform asked the provider to stop/);
    });
  });
});
