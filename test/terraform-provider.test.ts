// The TypeScript `files` provider (examples/terraform-provider-files) launched
// through its real `terraform-provider-files` launcher by our TypeScript host
// as Terraform launches it (Terraform's cookie, protocol versions 5 and 6,
// AutoMTLS on) and driven through the generated tfplugin6 and tfplugin5
// clients: schema, configure, plan/apply of create, update and replace,
// data source, state upgrade, import, delete, diagnostics with attribute
// paths, and a crash. No terraform binary is involved (test/terraform*.test.ts
// run the real ones).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  type CallOptions,
  Code,
  createLogger,
  type LogRecord,
  type PluginClient,
  type PluginSet,
  parseReattachProviders,
  reattachPlugin,
  startPlugin,
} from "@rpcplugin/runtime";
import { blockType, fromDynamicValue, isUnknown, serveProviderDebug, TERRAFORM_HANDSHAKE, toDynamicValue } from "@rpcplugin/terraform";
import * as tfplugin5 from "@rpcplugin/terraform/tfplugin5";
import * as tfplugin6 from "@rpcplugin/terraform/tfplugin6";
import { afterEach, describe, expect, it } from "vitest";
import { fileDataSource, fileResource, filesProvider } from "../examples/terraform-provider-files/src/provider.js";
import { tempDir, waitProcessGone } from "./fixture.js";

const launcher = path.resolve(import.meta.dirname, "../examples/terraform-provider-files/terraform-provider-files");
const resourceType = blockType(fileResource.schema);
const dataType = blockType(fileDataSource.schema);
const providerType = blockType(filesProvider.schema);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

type DV = { msgpack: Uint8Array; json: Uint8Array };
const encode = (value: unknown, type = resourceType) => toDynamicValue(value, type) as DV;
const decode = (value: DV | undefined, type = resourceType) => fromDynamicValue(value as DV, type) as Record<string, unknown> | null;
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const pathOf = (attribute: { steps: { selector: { case?: string | undefined; value?: unknown } }[] } | undefined) =>
  attribute?.steps.map((step) => step.selector.value);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The calls both protocols share, under one set of names. */
interface Calls {
  schema(): Promise<{
    provider?: { block?: { attributes: { name: string }[] } | undefined } | undefined;
    resourceSchemas: Record<string, { block?: { attributes: { name: string; writeOnly: boolean }[] } | undefined }>;
    dataSourceSchemas: Record<string, unknown>;
    ephemeralResourceSchemas: Record<string, unknown>;
    functions: Record<string, unknown>;
  }>;
  configure(config: unknown): Promise<{ diagnostics: Diag[] }>;
  validateResource(config: unknown): Promise<{ diagnostics: Diag[] }>;
  plan(
    prior: unknown,
    proposed: unknown,
    config: unknown,
  ): Promise<{ plannedState?: DV | undefined; requiresReplace: { steps: { selector: { value?: unknown } }[] }[]; diagnostics: Diag[] }>;
  apply(prior: unknown, planned: DV, config: unknown): Promise<{ newState?: DV | undefined; diagnostics: Diag[] }>;
  read(state: unknown): Promise<{ newState?: DV | undefined; diagnostics: Diag[] }>;
  readData(config: unknown): Promise<{ state?: DV | undefined; diagnostics: Diag[] }>;
  upgrade(version: number, state: unknown): Promise<{ upgradedState?: DV | undefined; diagnostics: Diag[] }>;
  importState(id: string): Promise<{ importedResources: { typeName: string; state?: DV | undefined }[]; diagnostics: Diag[] }>;
}

interface Diag {
  severity: number;
  summary: string;
  detail: string;
  attribute?: { steps: { selector: { case?: string | undefined; value?: unknown } }[] } | undefined;
}

/** The dispensed provider client of either protocol (both have CallFunction with the same shapes). */
const dispensedOf = (client: { dispense(name: "provider"): unknown }) => client.dispense("provider") as tfplugin6.ProviderClient;

function v6Calls(client: tfplugin6.ProviderClient): Calls {
  const typeName = "files_file";
  return {
    schema: () => client.getProviderSchema({}),
    configure: (config) => client.configureProvider({ terraformVersion: "1.5.7", config: encode(config, providerType) }),
    validateResource: (config) => client.validateResourceConfig({ typeName, config: encode(config) }),
    plan: (prior, proposed, config) =>
      client.planResourceChange({ typeName, priorState: encode(prior), proposedNewState: encode(proposed), config: encode(config) }),
    apply: (prior, planned, config) => client.applyResourceChange({ typeName, priorState: encode(prior), plannedState: planned, config: encode(config) }),
    read: (state) => client.readResource({ typeName, currentState: encode(state) }),
    readData: (config) => client.readDataSource({ typeName, config: encode(config, dataType) }),
    upgrade: (version, state) => client.upgradeResourceState({ typeName, version: BigInt(version), rawState: { json: json(state) } }),
    importState: (id) => client.importResourceState({ typeName, id }),
  };
}

function v5Calls(client: tfplugin5.ProviderClient): Calls {
  const typeName = "files_file";
  return {
    schema: () => client.getSchema({}),
    configure: async (config) => {
      const prepared = await client.prepareProviderConfig({ config: encode(config, providerType) });
      expect(decode(prepared.preparedConfig, providerType)).toEqual(config);
      return client.configure({ terraformVersion: "1.5.7", config: encode(config, providerType) });
    },
    validateResource: (config) => client.validateResourceTypeConfig({ typeName, config: encode(config) }),
    plan: (prior, proposed, config) =>
      client.planResourceChange({ typeName, priorState: encode(prior), proposedNewState: encode(proposed), config: encode(config) }),
    apply: (prior, planned, config) => client.applyResourceChange({ typeName, priorState: encode(prior), plannedState: planned, config: encode(config) }),
    read: (state) => client.readResource({ typeName, currentState: encode(state) }),
    readData: (config) => client.readDataSource({ typeName, config: encode(config, dataType) }),
    upgrade: (version, state) => client.upgradeResourceState({ typeName, version: BigInt(version), rawState: { json: json(state) } }),
    importState: (id) => client.importResourceState({ typeName, id }),
  };
}

/** Starts the provider (the files provider's launcher unless `command` says) as Terraform does: cookie, AutoMTLS, only `version` offered. */
async function launch(version: 5 | 6, env: Record<string, string> = {}, command = launcher) {
  const logs: LogRecord[] = [];
  const plugins: Record<number, PluginSet> = version === 6 ? { 6: { provider: tfplugin6.ProviderPlugin } } : { 5: { provider: tfplugin5.ProviderPlugin } };
  const client: PluginClient<PluginSet> = await startPlugin({
    command,
    handshake: TERRAFORM_HANDSHAKE,
    versionedPlugins: plugins,
    autoMTLS: true,
    env,
    onLog: (record) => logs.push(record),
  });
  cleanups.push(() => client.close());
  const dispensed = client.dispense("provider");
  const calls = version === 6 ? v6Calls(dispensed as tfplugin6.ProviderClient) : v5Calls(dispensed as tfplugin5.ProviderClient);
  return { client, calls, logs };
}

const fileConfig = (over: Record<string, unknown> = {}) => ({ path: "dir/hello.txt", content: "hello", sha256: null, id: null, ...over });

describe.each([6, 5] as const)("the files provider over tfplugin%i with AutoMTLS", (version) => {
  it("serves its schema, creates, updates in place, plans a replace, reads, imports, upgrades and deletes", async () => {
    const dir = tempDir("tf-files-");
    cleanups.push(dir.cleanup);
    const { client, calls, logs } = await launch(version);
    expect(client.protocolVersion).toBe(version);
    expect(client.tls).toBe(true);

    const schema = await calls.schema();
    expect(Object.keys(schema.resourceSchemas)).toEqual(["files_file", "files_secret_file"]);
    expect(Object.keys(schema.dataSourceSchemas)).toEqual(["files_file"]);
    expect(Object.keys(schema.ephemeralResourceSchemas)).toEqual(["files_file"]);
    expect(Object.keys(schema.functions)).toEqual(["path_join", "sha256"]);
    expect(schema.resourceSchemas.files_secret_file?.block?.attributes.find((a) => a.name === "content_wo")?.writeOnly).toBe(true);
    // A function over the wire, through the generated client: the variadic arguments, and an error naming its argument.
    const str = (value: string) => toDynamicValue(value, "string");
    const joined = await dispensedOf(client).callFunction({ name: "path_join", arguments: [str("a"), str("b.txt")] });
    expect(fromDynamicValue(joined.result!, "string")).toBe("a/b.txt");
    const refused = await dispensedOf(client).callFunction({ name: "path_join", arguments: [str("a"), str("/abs")] });
    expect(refused.error).toMatchObject({ functionArgument: 1n });
    expect(schema.provider?.block?.attributes.map((a) => a.name)).toEqual(["directory"]);
    expect((await calls.configure({ directory: dir.path })).diagnostics).toEqual([]);

    // Create: sha256 and id unknown in the plan, known after apply, file on disk.
    const plan = await calls.plan(null, fileConfig(), fileConfig());
    expect(plan.diagnostics).toEqual([]);
    const planned = decode(plan.plannedState)!;
    expect(planned.path).toBe("dir/hello.txt");
    expect(isUnknown(planned.sha256)).toBe(true);
    expect(isUnknown(planned.id)).toBe(true);
    const created = await calls.apply(null, plan.plannedState!, fileConfig());
    expect(created.diagnostics).toEqual([]);
    const state = decode(created.newState)!;
    expect(state).toEqual({ path: "dir/hello.txt", content: "hello", sha256: sha256("hello"), id: "dir/hello.txt" });
    expect(readFileSync(path.join(dir.path, "dir/hello.txt"), "utf8")).toBe("hello");
    expect(logs.some((r) => r.message === "created file" && r.module === "provider.files" && r.level === "info")).toBe(true);

    // Nothing changed: the plan is the state.
    const noop = await calls.plan(state, state, fileConfig());
    expect(decode(noop.plannedState)).toEqual(state);

    // Content: in place, sha256 unknown again, id kept.
    const edited = { ...state, content: "bye" };
    const update = await calls.plan(state, edited, fileConfig({ content: "bye" }));
    expect(update.requiresReplace).toEqual([]);
    const updatePlan = decode(update.plannedState)!;
    expect(isUnknown(updatePlan.sha256)).toBe(true);
    expect(updatePlan.id).toBe("dir/hello.txt");
    const updated = await calls.apply(state, update.plannedState!, fileConfig({ content: "bye" }));
    expect(decode(updated.newState)).toEqual({ ...state, content: "bye", sha256: sha256("bye") });
    expect(readFileSync(path.join(dir.path, "dir/hello.txt"), "utf8")).toBe("bye");
    const current = decode(updated.newState)!;

    // Path: requires replace.
    const moved = await calls.plan(current, { ...current, path: "other.txt" }, fileConfig({ path: "other.txt", content: "bye" }));
    expect(moved.requiresReplace.map(pathOf)).toEqual([["path"]]);

    // Refresh sees an edit made outside Terraform; a deleted file leaves state.
    writeFileSync(path.join(dir.path, "dir/hello.txt"), "edited by hand");
    expect(decode((await calls.read(current)).newState)).toEqual({ ...current, content: "edited by hand", sha256: sha256("edited by hand") });

    // Data source.
    const data = await calls.readData({ path: "dir/hello.txt", content: null, sha256: null });
    expect(data.diagnostics).toEqual([]);
    expect(decode(data.state, dataType)).toEqual({ path: "dir/hello.txt", content: "edited by hand", sha256: sha256("edited by hand") });

    // State upgrade from stored JSON: the current version, and version 0 (`filename`).
    const same = await calls.upgrade(1, current);
    expect(decode(same.upgradedState)).toEqual(current);
    const old = await calls.upgrade(0, { filename: "dir/hello.txt", content: "bye", sha256: sha256("bye"), id: "dir/hello.txt" });
    expect(old.diagnostics).toEqual([]);
    expect(decode(old.upgradedState)).toEqual(current);

    // Import by path, then the read Terraform does next fills the rest.
    const imported = await calls.importState("dir/hello.txt");
    expect(imported.diagnostics).toEqual([]);
    expect(imported.importedResources[0]?.typeName).toBe("files_file");
    const importedState = decode(imported.importedResources[0]?.state)!;
    expect(importedState).toEqual({ path: "dir/hello.txt", content: null, sha256: null, id: "dir/hello.txt" });
    expect(decode((await calls.read(importedState)).newState)).toEqual({
      path: "dir/hello.txt",
      content: "edited by hand",
      sha256: sha256("edited by hand"),
      id: "dir/hello.txt",
    });

    // Delete.
    const destroy = await calls.apply(current, encode(null), null);
    expect(destroy.diagnostics).toEqual([]);
    expect(decode(destroy.newState)).toBeNull();
    expect(existsSync(path.join(dir.path, "dir/hello.txt"))).toBe(false);
    expect(decode((await calls.read(current)).newState)).toBeNull();

    const pid = client.pid;
    await client.close();
    expect(await waitProcessGone(pid)).toBe(true);
  });

  it("reports provider errors as diagnostics with the attribute path", async () => {
    const dir = tempDir("tf-files-");
    cleanups.push(dir.cleanup);
    const { calls } = await launch(version);
    expect((await calls.configure({ directory: dir.path })).diagnostics).toEqual([]);

    const invalid = await calls.validateResource(fileConfig({ path: "../escape.txt" }));
    expect(invalid.diagnostics).toHaveLength(1);
    expect(invalid.diagnostics[0]).toMatchObject({ severity: 1, summary: "Invalid file path" });
    expect(pathOf(invalid.diagnostics[0]?.attribute)).toEqual(["path"]);

    writeFileSync(path.join(dir.path, "taken.txt"), "already here");
    const plan = await calls.plan(null, fileConfig({ path: "taken.txt" }), fileConfig({ path: "taken.txt" }));
    const failed = await calls.apply(null, plan.plannedState!, fileConfig({ path: "taken.txt" }));
    expect(failed.newState === undefined || decode(failed.newState) === null).toBe(true);
    expect(failed.diagnostics[0]).toMatchObject({ severity: 1, summary: "File already exists" });
    expect(failed.diagnostics[0]?.detail).toContain("terraform import");
    expect(pathOf(failed.diagnostics[0]?.attribute)).toEqual(["path"]);
    expect(readFileSync(path.join(dir.path, "taken.txt"), "utf8")).toBe("already here");

    const missing = await calls.readData({ path: "nope.txt", content: null, sha256: null });
    expect(missing.diagnostics[0]).toMatchObject({ severity: 1, summary: "File not found" });
    expect(pathOf(missing.diagnostics[0]?.attribute)).toEqual(["path"]);
  });

  it("crashes like a Go panic when provider code throws outside a request: exit 2, stack on stderr, no process left", async () => {
    const dir = tempDir("tf-files-");
    cleanups.push(dir.cleanup);
    const { client, calls, logs } = await launch(version, { FILES_PROVIDER_CRASH_ON_CREATE: "1" });
    expect((await calls.configure({ directory: dir.path })).diagnostics).toEqual([]);
    const plan = await calls.plan(null, fileConfig(), fileConfig());
    const pid = client.pid;
    await expect(calls.apply(null, plan.plannedState!, fileConfig())).rejects.toThrow(/plugin exited with exit code 2 during the call/);
    expect(await waitProcessGone(pid)).toBe(true);
    const panic = logs.findIndex((record) => record.raw.startsWith("panic: files provider crashed on purpose"));
    expect(panic).toBeGreaterThanOrEqual(0);
    expect(logs.slice(panic).some((record) => /at .*provider\.js/.test(record.raw))).toBe(true);
  });
});

// fixtures/ts-plugin/stall-provider.mjs: operations that block until their context.signal aborts.
const stallLauncher = path.resolve(import.meta.dirname, "../fixtures/ts-plugin/stall-provider.mjs");
const stallThingType = blockType({
  attributes: {
    name: { type: "string", required: true },
    wait: { type: "bool", optional: true },
    id: { type: "string", computed: true },
    signal_aborted: { type: "bool", computed: true },
  },
});
const stallWaitType = blockType({ attributes: { name: { type: "string", required: true }, waited: { type: "string", computed: true } } });
const STOP_DEADLINE_MS = 15_000;

/** The stall provider's calls under one set of names (StopProvider is tfplugin5's `Stop`). */
interface StallCalls {
  configure(): Promise<{ diagnostics: Diag[] }>;
  /** ApplyResourceChange creating a stall_thing (blocking when `wait`). */
  create(name: string, wait: boolean, options?: CallOptions): Promise<{ newState?: DV | undefined; diagnostics: Diag[] }>;
  /** ReadDataSource of a stall_wait (always blocking). */
  readData(name: string): Promise<{ state?: DV | undefined; diagnostics: Diag[] }>;
  stop(): Promise<{ Error: string }>;
}

function stallCalls(version: 5 | 6, dispensed: unknown): StallCalls {
  const v6 = dispensed as tfplugin6.ProviderClient;
  const v5 = dispensed as tfplugin5.ProviderClient;
  const empty = encode({}, blockType({ attributes: {} }));
  const thing = (name: string, wait: boolean) => encode({ name, wait, id: null, signal_aborted: null }, stallThingType);
  return {
    configure: () =>
      version === 6 ? v6.configureProvider({ terraformVersion: "1.5.7", config: empty }) : v5.configure({ terraformVersion: "1.5.7", config: empty }),
    create: (name, wait, options) => {
      const request = { typeName: "stall_thing", priorState: encode(null, stallThingType), plannedState: thing(name, wait), config: thing(name, wait) };
      return version === 6 ? v6.applyResourceChange(request, options) : v5.applyResourceChange(request, options);
    },
    readData: (name) => {
      const request = { typeName: "stall_wait", config: encode({ name, waited: null }, stallWaitType) };
      return version === 6 ? v6.readDataSource(request) : v5.readDataSource(request);
    },
    stop: () => (version === 6 ? v6.stopProvider({}) : v5.stop({})),
  };
}

/** Resolves when `logs` has a record matching `match` (checked every 20 ms); rejects after `ms`. */
async function logged(logs: LogRecord[], match: (record: LogRecord) => boolean, what: string, ms = STOP_DEADLINE_MS): Promise<LogRecord> {
  const until = Date.now() + ms;
  for (;;) {
    const found = logs.find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no log record ${what} within ${ms} ms; records: ${logs.map((r) => r.raw).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `promise`'s outcome, or an error naming `what` if it takes over `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still running ${ms} ms later`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const waiting = (name: string) => (record: LogRecord) => record.message === "waiting for the signal" && record.fields.name === name;
const aborted = (name: string) => (record: LogRecord) => record.message === "signal aborted" && record.fields.name === name;

describe.each([6, 5] as const)("StopProvider over tfplugin%i, through a provider process", (version) => {
  const stopName = version === 6 ? "StopProvider" : "Stop";

  it(`${version === 6 ? "StopProvider" : "Stop"} on the same connection ends the ApplyResourceChange and ReadDataSource blocked on their signal with an "Operation cancelled" diagnostic, answers with no error, and the provider serves on`, async () => {
    const { client, logs } = await launch(version, {}, stallLauncher);
    expect(client.protocolVersion).toBe(version);
    const calls = stallCalls(version, client.dispense("provider"));
    expect((await calls.configure()).diagnostics).toEqual([]);

    // Both calls in flight at once, each blocked in provider code on context.signal.
    const settled: string[] = [];
    const apply = calls.create("blocked", true).finally(() => settled.push("apply"));
    const data = calls.readData("reader").finally(() => settled.push("data"));
    await logged(logs, waiting("blocked"), `"waiting for the signal" from create`);
    await logged(logs, waiting("reader"), `"waiting for the signal" from the data source`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled, "nothing ends the blocked calls but the stop").toEqual([]);
    expect(logs.filter((record) => record.message === "signal aborted")).toEqual([]);

    const before = Date.now();
    const stopped = await within(calls.stop(), STOP_DEADLINE_MS, stopName);
    expect(stopped.Error).toBe("");
    const [applied, read] = await within(Promise.all([apply, data]), STOP_DEADLINE_MS, `the blocked calls after ${stopName}`);
    const elapsed = Date.now() - before;
    expect(elapsed, `ms from ${stopName} to both blocked calls answering`).toBeLessThan(STOP_DEADLINE_MS);

    // The framework's contract: a function that gives up on its aborted signal (its reason, or
    // an AbortError) answers an "Operation cancelled" error diagnostic and no state.
    expect(applied.diagnostics.map((d) => ({ severity: d.severity, summary: d.summary, detail: d.detail }))).toEqual([
      { severity: 1, summary: "Operation cancelled", detail: "Apply stall_thing stopped before it finished: Terraform asked the provider to stop." },
    ]);
    expect(applied.newState === undefined || decode(applied.newState, stallThingType) === null).toBe(true);
    expect(read.diagnostics.map((d) => ({ severity: d.severity, summary: d.summary, detail: d.detail }))).toEqual([
      { severity: 1, summary: "Operation cancelled", detail: "Read data stall_wait stopped before it finished: Terraform asked the provider to stop." },
    ]);
    expect(read.state === undefined || decode(read.state, stallWaitType) === null).toBe(true);
    for (const name of ["blocked", "reader"]) {
      expect((await logged(logs, aborted(name), `"signal aborted" from ${name}`)).fields.reason).toBe("Terraform asked the provider to stop");
    }
    expect(logs.some((record) => record.message === "stop requested: cancelling provider operations")).toBe(true);

    // A call after the stop gets a fresh signal (a debug server Terraform stopped once serves the next command).
    const later = await within(calls.create("later", false), STOP_DEADLINE_MS, "a create after the stop");
    expect(later.diagnostics).toEqual([]);
    expect(decode(later.newState, stallThingType)).toEqual({ name: "later", wait: false, id: "later", signal_aborted: false });

    const { pid, address } = client;
    await client.close();
    expect(await waitProcessGone(pid)).toBe(true);
    expect(address.network === "unix" && existsSync(address.address)).toBe(false);
  }, 60_000);

  it("a blocked call the host cancels or lets time out aborts its context.signal in the provider; the provider serves on", async () => {
    const { client, logs } = await launch(version, {}, stallLauncher);
    const calls = stallCalls(version, client.dispense("provider"));
    expect((await calls.configure()).diagnostics).toEqual([]);

    const cancel = new AbortController();
    const cancelled = calls.create("cancelled", true, { signal: cancel.signal });
    await logged(logs, waiting("cancelled"), `"waiting for the signal" from the call to cancel`);
    cancel.abort();
    await expect(within(cancelled, STOP_DEADLINE_MS, "the cancelled call")).rejects.toMatchObject({ code: Code.CANCELLED });
    expect((await logged(logs, aborted("cancelled"), `"signal aborted" from the cancelled call`)).fields.reason).toMatch(/the client cancelled the call/);

    const late = calls.create("late", true, { timeoutMs: 1_500 });
    await expect(within(late, STOP_DEADLINE_MS, "the call with a deadline")).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    expect((await logged(logs, aborted("late"), `"signal aborted" from the call past its deadline`)).fields.reason).toMatch(
      /the deadline of the call has passed/,
    );

    const after = await calls.create("after", false);
    expect(decode(after.newState, stallThingType)).toMatchObject({ id: "after", signal_aborted: false });
    const { pid, address } = client;
    await client.close();
    expect(await waitProcessGone(pid)).toBe(true);
    expect(address.network === "unix" && existsSync(address.address)).toBe(false);
  }, 60_000);
});

describe("large values", () => {
  it("passes a 6 MiB file content both ways (grpc-js's 4 MiB default is raised, as Terraform needs)", async () => {
    const dir = tempDir("tf-files-");
    cleanups.push(dir.cleanup);
    const { calls } = await launch(6);
    expect((await calls.configure({ directory: dir.path })).diagnostics).toEqual([]);
    const content = "0123456789abcdef".repeat(6 * 65536);
    const wanted = fileConfig({ path: "big.txt", content });
    const plan = await calls.plan(null, wanted, wanted);
    const created = await calls.apply(null, plan.plannedState!, wanted);
    expect(created.diagnostics).toEqual([]);
    expect(decode(created.newState)?.sha256).toBe(sha256(content));
    expect(readFileSync(path.join(dir.path, "big.txt"), "utf8").length).toBe(6 * 1024 * 1024);
  });
});

describe("protocol negotiation", () => {
  it.each(["5,6", "6,5", "6", "5"])("answers PLUGIN_PROTOCOL_VERSIONS=%s with the highest common version", async (versions) => {
    const child = spawn(launcher, [], {
      env: { ...process.env, [TERRAFORM_HANDSHAKE.magicCookieKey]: TERRAFORM_HANDSHAKE.magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: versions },
      stdio: ["ignore", "pipe", "ignore"],
    });
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await waitProcessGone(child.pid);
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const end = buffered.indexOf("\n");
        if (end >= 0) resolve(buffered.slice(0, end));
      });
      child.on("exit", (code) => reject(new Error(`provider exited with ${code} before its handshake`)));
    });
    const expected = versions.includes("6") ? 6 : 5;
    const [core, app, network, address, protocol, cert] = line.split("|");
    expect({ core, app, network, protocol, cert: cert ?? "" }).toEqual({ core: "1", app: String(expected), network: "unix", protocol: "grpc", cert: "" });
    cleanups.push(() => rmSync(address!, { force: true }));
  });
});

describe("debug mode (TF_REATTACH_PROVIDERS)", () => {
  it("the launcher with --debug prints the reattach config, serves many hosts in turn over plaintext, and stops on SIGINT", async () => {
    const dir = tempDir("tf-files-");
    cleanups.push(dir.cleanup);
    const child = spawn(launcher, ["--debug"], { stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await waitProcessGone(child.pid);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const printed = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /TF_REATTACH_PROVIDERS='(.*)'/.exec(out);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`provider exited with ${code} before printing its reattach config`)));
    });
    const configs = parseReattachProviders(printed);
    expect(Object.keys(configs)).toEqual(["example.com/rpcplugin/files"]);
    const config = configs["example.com/rpcplugin/files"]!;
    expect(config).toMatchObject({ protocol: "grpc", protocolVersion: 6, pid: child.pid, test: true, address: { network: "unix" } });

    // Terraform connects once per command, never stopping the provider.
    for (const round of [1, 2, 3]) {
      const host = await reattachPlugin(config, { versionedPlugins: { 6: { provider: tfplugin6.ProviderPlugin } } });
      expect(host.tls).toBe(false);
      const calls = v6Calls(host.dispense("provider") as tfplugin6.ProviderClient);
      expect(Object.keys((await calls.schema()).resourceSchemas)).toEqual(["files_file", "files_secret_file"]);
      expect((await calls.configure({ directory: dir.path })).diagnostics).toEqual([]);
      const content = `round ${round}`;
      const plan = await calls.plan(null, fileConfig({ path: `r${round}.txt`, content }), fileConfig({ path: `r${round}.txt`, content }));
      expect((await calls.apply(null, plan.plannedState!, fileConfig({ path: `r${round}.txt`, content }))).diagnostics).toEqual([]);
      expect(readFileSync(path.join(dir.path, `r${round}.txt`), "utf8")).toBe(content);
      await host.close();
    }

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(existsSync(config.address.address)).toBe(false);
  });

  it("serveProviderDebug serves in-process until stopped, over tfplugin5 too", async () => {
    const dir = tempDir("tf-files-");
    cleanups.push(dir.cleanup);
    const served = await serveProviderDebug(filesProvider, {
      address: "example.com/rpcplugin/files",
      debugProtocolVersion: 5,
      logger: createLogger({ write: () => {} }),
    });
    cleanups.push(() => served.stop());
    const config = parseReattachProviders(served.reattachProviders)["example.com/rpcplugin/files"]!;
    expect(config).toMatchObject({ protocolVersion: 5, pid: process.pid, test: true });
    const host = await reattachPlugin(config, { versionedPlugins: { 5: { provider: tfplugin5.ProviderPlugin } } });
    const calls = v5Calls(host.dispense("provider") as tfplugin5.ProviderClient);
    expect((await calls.configure({ directory: dir.path })).diagnostics).toEqual([]);
    const data = await calls.readData({ path: "missing.txt", content: null, sha256: null });
    expect(pathOf(data.diagnostics[0]?.attribute)).toEqual(["path"]);
    await host.close();
    await served.stop();
    expect(existsSync(config.address.address)).toBe(false);
  });
});
