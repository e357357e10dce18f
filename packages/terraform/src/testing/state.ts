/** The state (or a plan) as `terraform show -json` prints it, read for checks. */

/** One resource instance in state. */
export interface StateResource {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly values: Readonly<Record<string, unknown>>;
  /** The resource identity Terraform stores beside the state (Terraform/OpenTofu ≥ 1.12, a resource with an identity), else undefined. */
  readonly identity?: Readonly<Record<string, unknown>>;
}

/** What a step's `check` gets after its apply. */
export interface TestState {
  /** Resources and data sources of every module, by address (`files_file.hello`, `data.files_file.motd`, `module.m.files_file.x`). */
  readonly resources: Readonly<Record<string, StateResource>>;
  /** Root module outputs, by name. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The attribute `name` of the resource at `address`; throws, naming what is there, when either is missing. */
  attribute(address: string, name: string): unknown;
  /** The whole `terraform show -json` document. */
  readonly json: unknown;
}

interface ShowModule {
  resources?: { address: string; mode: "managed" | "data"; type: string; values: Record<string, unknown>; identity?: Record<string, unknown> }[];
  child_modules?: ShowModule[];
}

function collect(module: ShowModule | undefined, into: Record<string, StateResource>): void {
  for (const r of module?.resources ?? []) {
    into[r.address] = { address: r.address, mode: r.mode, type: r.type, values: r.values ?? {}, ...(r.identity ? { identity: r.identity } : {}) };
  }
  for (const child of module?.child_modules ?? []) collect(child, into);
}

/**
 * The JSON document of `show -json` output. OpenTofu prints CLI-configuration
 * warnings ahead of it on stdout, so the document starts at the first line that opens an object.
 */
export function showJson(text: string): unknown {
  const start = text.startsWith("{") ? 0 : text.indexOf("\n{") + 1;
  if (start === 0 && !text.startsWith("{")) throw new SyntaxError(`no JSON document in the output: ${JSON.stringify(text.slice(0, 200))}`);
  return JSON.parse(text.slice(start));
}

type ShowValues = { root_module?: ShowModule; outputs?: Record<string, { value: unknown }> };

/** A TestState from the text of `terraform show -json` of a state. */
export function readState(text: string): TestState {
  const json = showJson(text) as { values?: ShowValues };
  return stateOf(json.values, json);
}

/** A TestState of what a saved plan would make (`planned_values` of `terraform show -json <plan>`). */
export function readPlannedState(text: string): TestState {
  const json = showJson(text) as { planned_values?: ShowValues };
  return stateOf(json.planned_values, json);
}

function stateOf(values: ShowValues | undefined, json: unknown): TestState {
  const resources: Record<string, StateResource> = {};
  collect(values?.root_module, resources);
  const outputs = Object.fromEntries(Object.entries(values?.outputs ?? {}).map(([name, output]) => [name, output.value]));
  return {
    resources,
    outputs,
    json,
    attribute(address, name) {
      const resource = resources[address];
      if (!resource) throw new Error(`no ${address} in the state (it has ${Object.keys(resources).join(", ") || "nothing"})`);
      if (!Object.hasOwn(resource.values, name)) throw new Error(`${address} has no attribute ${name} (it has ${Object.keys(resource.values).join(", ")})`);
      return resource.values[name];
    },
  };
}

/** The actions a saved plan has for each resource address (`["create"]`, `["delete", "create"]`, `["no-op"]`, …). */
export function planActions(text: string): Record<string, string[]> {
  const json = showJson(text) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
  return Object.fromEntries((json.resource_changes ?? []).map((change) => [change.address, change.change.actions]));
}
