/**
 * Acceptance tests of a provider against the real terraform (or tofu) binary, as
 * terraform-plugin-testing runs them: the provider is served in this process through reattach
 * (no build, no install, breakpoints work), each step writes a configuration and runs real
 * commands in a fresh working directory, and whatever was created is destroyed at the end.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigError, createLogger } from "@rpcplugin/runtime";
import type { Provider } from "../provider/define.js";
import { serveProviderDebug } from "../serve.js";
import { findTerraform, TERRAFORM_PATH_ENV } from "./binary.js";
import { type CommandResult, runCommand } from "./command.js";
import { planActions, readPlannedState, readState, showJson, type TestState } from "./state.js";

/** A planned action of one resource, as a step expects it. */
export type PlannedAction = "create" | "update" | "replace" | "delete" | "read" | "no-op";

/** A step that writes a configuration and plans (and, unless `planOnly`, applies) it. */
export interface ConfigStep {
  /** HCL: resources, data sources, outputs and the provider block. The harness adds the required_providers entry. */
  readonly config: string;
  /** Plan only; the plan must have no changes unless `expectNonEmptyPlan`. */
  readonly planOnly?: boolean;
  /** The plan's action for these addresses (others are not checked). */
  readonly expectChanges?: Readonly<Record<string, PlannedAction>>;
  /** The plan or apply must fail with output matching this. */
  readonly expectError?: RegExp;
  /** The plan's output must match this (a warning diagnostic the step expects, such as a deprecation). */
  readonly expectWarning?: RegExp;
  /** After the apply, a plan may still show changes (by default it must be empty). */
  readonly expectNonEmptyPlan?: boolean;
  /** Checks the state after the apply (throw, or use your test framework's assertions, to fail). */
  check?(state: TestState): void | Promise<void>;
}

/** A step that imports an existing object into a separate state and compares it with the real one. */
export interface ImportStep {
  /**
   * What to import: by `id` the step runs `terraform import <address> <id>`; by `identity`
   * (Terraform/OpenTofu ≥ 1.12, a resource with an identity) it plans an `import` block with that
   * identity against an empty state instead, and checks the plan imports `address` (nothing is
   * applied; `verify` and `check` see the planned values and identity).
   */
  readonly import: { readonly address: string; readonly id: string } | { readonly address: string; readonly identity: Readonly<Record<string, unknown>> };
  /** The configuration to import with (default: the last configuration applied). */
  readonly config?: string;
  /** Compare the imported attributes with the state's for the same address, except `ignore`. */
  readonly verify?: boolean | { readonly ignore?: readonly string[] };
  /** The import must fail with output matching this. */
  readonly expectError?: RegExp;
  /** Checks the imported state. */
  check?(imported: TestState): void | Promise<void>;
}

export type TestStep = ConfigStep | ImportStep;

/** An acceptance test: a provider, a binary, steps. */
export interface AcceptanceTest {
  readonly provider: Provider;
  /** The provider's source address (default `registry.terraform.io/hashicorp/<name>`). */
  readonly address?: string;
  /** The binary: default TF_ACC_TERRAFORM_PATH, else `terraform`, else `tofu` on PATH. */
  readonly terraform?: string;
  /** The protocol the provider serves (default 6). */
  readonly protocol?: 5 | 6;
  readonly steps: readonly TestStep[];
  /** Environment variables for every command, over this process's (e.g. `TF_LOG: "debug"`). */
  readonly env?: Readonly<Record<string, string>>;
  /** After the final destroy, with the working directory's last state (e.g. to check remote objects are gone). */
  checkDestroy?(): void | Promise<void>;
  /** Keep the working directory (also: TF_ACC_KEEP_WORKDIR=1); its path is in failure messages. */
  readonly keepWorkDir?: boolean;
  /** Limit of each terraform command (default 5 minutes). */
  readonly commandTimeoutMs?: number;
}

/** A failed acceptance test: which step, which command, and the output to read. */
export class AcceptanceTestError extends Error {
  override name = "AcceptanceTestError";
  constructor(
    message: string,
    /** 1-based; 0 for the set-up and the final destroy. */
    readonly step: number,
    readonly result?: CommandResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const HARNESS_FILE = "rpcplugin_acceptance_providers.tf";
const IMPORT_FILE = "rpcplugin_acceptance_import.tf";

/** `value` as an HCL expression (strings keep `${` and `%{` literal). */
function hcl(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value)
      .replace(/\$\{/g, () => "$${")
      .replace(/%\{/g, "%%{");
  if (Array.isArray(value)) return `[${value.map(hcl).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k} = ${hcl(v)}`)
      .join(", ")} }`;
  return JSON.stringify(value);
}

const isImport = (step: TestStep): step is ImportStep => "import" in step;

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? ["…", ...all.slice(-lines)] : all).join("\n");
}

function actionOf(actions: readonly string[]): PlannedAction | string {
  const key = actions.join(",");
  if (key === "delete,create" || key === "create,delete") return "replace";
  return key;
}

/**
 * Runs `test`: serves the provider, runs every step in order, then destroys
 * what the steps created. Rejects with an {@link AcceptanceTestError} naming the
 * step and the command at the first failure; the provider stops and the
 * working directory goes (unless kept) whatever happens.
 */
export async function runAcceptanceTest(test: AcceptanceTest): Promise<void> {
  const binary = findTerraform(test.terraform, process.env);
  if (!binary) {
    throw new ConfigError(`no terraform binary: set ${TERRAFORM_PATH_ENV} to the terraform or tofu to test with, or put one on PATH`);
  }
  if (test.steps.length === 0) throw new ConfigError("an acceptance test needs at least one step");
  const address = test.address ?? `registry.terraform.io/hashicorp/${test.provider.name}`;
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => void logLines.push(line.trimEnd()) });
  const served = await serveProviderDebug(test.provider, { address, debugProtocolVersion: test.protocol ?? 6, logger });
  const work = await mkdtemp(path.join(os.tmpdir(), "rpcplugin-acc-"));
  const keep = test.keepWorkDir === true || process.env.TF_ACC_KEEP_WORKDIR === "1";
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    ...test.env,
    TF_REATTACH_PROVIDERS: served.reattachProviders,
  };
  const timeoutMs = test.commandTimeoutMs ?? 300_000;
  let lastApplied: string | undefined;
  let step = 0;
  let phase: "set-up" | "steps" | "final destroy" = "set-up";

  const fail = (message: string, result?: CommandResult, cause?: unknown): never => {
    const parts = [`${phase === "steps" ? `step ${step}` : phase}: ${message}`];
    if (result)
      parts.push(
        `command: ${result.command} (exit ${result.code}${result.timedOut ? ", timed out" : ""})`,
        `output:\n${tail(`${result.stdout}\n${result.stderr}`)}`,
      );
    if (logLines.length > 0) parts.push(`provider log (last lines):\n${logLines.slice(-20).join("\n")}`);
    parts.push(`working directory: ${work}${keep ? "" : " (removed; TF_ACC_KEEP_WORKDIR=1 keeps it)"}`);
    throw new AcceptanceTestError(parts.join("\n"), step, result, cause === undefined ? undefined : { cause });
  };
  const run = (args: string[]) => runCommand(binary, [...args], { cwd: work, env, timeoutMs });
  const runOk = async (args: string[], what: string): Promise<CommandResult> => {
    const result = await run(args);
    if (result.code !== 0) fail(`${what} failed`, result);
    return result;
  };
  /** `show -json` of the state (or of `file`), read. */
  const show = async (what: string, file?: string): Promise<{ result: CommandResult; state: TestState }> => {
    const result = await runOk(["show", "-json", "-no-color", ...(file ? [file] : [])], what);
    try {
      return { result, state: readState(result.stdout) };
    } catch (error) {
      return fail(`${what} printed no JSON document: ${(error as Error).message}`, result, error);
    }
  };
  const writeConfig = async (config: string) => {
    await writeFile(
      path.join(work, HARNESS_FILE),
      `terraform {\n  required_providers {\n    ${test.provider.name} = { source = ${JSON.stringify(address)} }\n  }\n}\n`,
    );
    await writeFile(path.join(work, "main.tf"), config);
  };
  const userCheck = async (check: () => void | Promise<void>, what: string) => {
    try {
      await check();
    } catch (error) {
      fail(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, error);
    }
  };

  // The first failure is what the test reports; a failed final destroy after it is added to its message, not put in its place.
  let failure: unknown;
  try {
    const first = test.steps.find((s): s is ConfigStep => !isImport(s));
    await writeConfig(first?.config ?? test.steps.find(isImport)?.config ?? "");
    await runOk(["init", "-input=false", "-no-color"], "terraform init");
    for (const current of test.steps) {
      step++;
      phase = "steps";
      if (isImport(current)) await importStep(current);
      else await configStep(current);
    }
  } catch (error) {
    failure = error;
  }
  step = 0;
  phase = "final destroy";
  try {
    if (lastApplied !== undefined) {
      await writeConfig(lastApplied);
      await runOk(["destroy", "-auto-approve", "-input=false", "-no-color"], "terraform destroy (objects may be left behind)");
      if (test.checkDestroy && failure === undefined) await userCheck(() => test.checkDestroy?.(), "checkDestroy");
    }
  } catch (error) {
    if (failure === undefined) failure = error;
    else if (failure instanceof Error) failure.message += `\n\nThen the final destroy failed too:\n${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await served.stop();
    if (!keep) await rm(work, { recursive: true, force: true });
  }
  if (failure !== undefined) throw failure;

  async function configStep(current: ConfigStep): Promise<void> {
    await writeConfig(current.config);
    const planFile = path.join(work, "step.tfplan");
    const plan = await run(["plan", "-input=false", "-no-color", "-detailed-exitcode", `-out=${planFile}`]);
    if (plan.code === 1) {
      if (current.expectError) return expectFailure(plan, current.expectError);
      fail("terraform plan failed", plan);
    }
    if (plan.code !== 0 && plan.code !== 2) fail("terraform plan failed", plan);
    if (current.expectWarning && !matches(plan, current.expectWarning)) fail(`the plan's output does not match ${current.expectWarning}`, plan);
    if (current.expectChanges) {
      const shown = await runOk(["show", "-json", "-no-color", planFile], "terraform show of the plan");
      let actions: Record<string, string[]> = {};
      try {
        actions = planActions(shown.stdout);
      } catch (error) {
        fail(`terraform show of the plan printed no JSON document: ${(error as Error).message}`, shown, error);
      }
      for (const [resource, expected] of Object.entries(current.expectChanges)) {
        const actual = actions[resource];
        if (!actual) fail(`the plan has no change for ${resource} (it plans ${Object.keys(actions).join(", ") || "nothing"}); expected ${expected}`, plan);
        else if (actionOf(actual) !== expected) fail(`the plan would ${actionOf(actual)} ${resource}; expected ${expected}`, plan);
      }
    }
    if (current.planOnly) {
      if (current.expectError) fail(`the plan succeeded; expected an error matching ${current.expectError}`, plan);
      if (plan.code === 2 && !current.expectNonEmptyPlan) fail("the plan has changes; expected none (set expectNonEmptyPlan if they are expected)", plan);
      return;
    }
    const apply = await run(["apply", "-input=false", "-no-color", planFile]);
    if (apply.code !== 0) {
      if (current.expectError) {
        lastApplied = current.config; // an apply that failed part way may have created objects
        return expectFailure(apply, current.expectError);
      }
      lastApplied = current.config;
      fail("terraform apply failed", apply);
    }
    lastApplied = current.config;
    if (current.expectError) fail(`the apply succeeded; expected an error matching ${current.expectError}`, apply);
    const { state } = await show("terraform show");
    if (current.check) await userCheck(() => current.check?.(state), "the step's check");
    if (!current.expectNonEmptyPlan) {
      const again = await run(["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
      if (again.code === 2)
        fail("after apply, a plan still has changes (the provider's plan and apply disagree); set expectNonEmptyPlan if that is expected", again);
      if (again.code !== 0) fail("the plan after apply failed", again);
    }
  }

  async function importStep(current: ImportStep): Promise<void> {
    const config = current.config ?? lastApplied;
    if (config === undefined) fail("an import step needs a configuration: give it `config`, or put it after a step that applied one");
    await writeConfig(config as string);
    const imported = path.join(work, "import.tfstate");
    await rm(imported, { force: true });
    const target = current.import;
    const byIdentity = "identity" in target;
    const planFile = path.join(work, "import.tfplan");
    if (byIdentity) await writeFile(path.join(work, IMPORT_FILE), `import {\n  to       = ${target.address}\n  identity = ${hcl(target.identity)}\n}\n`);
    const result = byIdentity
      ? await run(["plan", "-input=false", "-no-color", `-state=${imported}`, `-out=${planFile}`])
      : await run(["import", "-input=false", "-no-color", `-state=${imported}`, `-state-out=${imported}`, target.address, target.id]);
    if (byIdentity) await rm(path.join(work, IMPORT_FILE), { force: true });
    if (result.code !== 0) {
      if (current.expectError) return expectFailure(result, current.expectError);
      fail(`terraform ${byIdentity ? "plan of the import block" : "import"} of ${target.address} failed`, result);
    }
    if (current.expectError) fail(`the import succeeded; expected an error matching ${current.expectError}`, result);
    let importedState: TestState;
    if (byIdentity) {
      const shown = await runOk(["show", "-json", "-no-color", planFile], "terraform show of the import plan");
      await rm(planFile, { force: true });
      try {
        const changes = (showJson(shown.stdout) as { resource_changes?: { address: string; change: { importing?: unknown } }[] }).resource_changes ?? [];
        if (!changes.some((change) => change.address === target.address && change.change.importing)) {
          fail(`the plan of the import block does not import ${target.address}`, result);
        }
        importedState = readPlannedState(shown.stdout);
      } catch (error) {
        if (error instanceof AcceptanceTestError) throw error;
        return fail(`terraform show of the import plan printed no JSON document: ${(error as Error).message}`, shown, error);
      }
    } else importedState = (await show("terraform show of the imported state", imported)).state;
    if (current.verify) {
      const ignore = new Set(typeof current.verify === "object" ? (current.verify.ignore ?? []) : []);
      const main = existsSync(path.join(work, "terraform.tfstate")) ? (await show("terraform show")).state : undefined;
      const expected = main?.resources[target.address];
      const actual = importedState.resources[target.address];
      if (!expected) fail(`verify: ${target.address} is not in the state to compare with`);
      if (!actual) fail(`verify: the import did not produce ${target.address}`);
      const differences = Object.keys({ ...expected?.values, ...actual?.values })
        .filter((name) => !ignore.has(name))
        .filter((name) => JSON.stringify(expected?.values[name]) !== JSON.stringify(actual?.values[name]))
        .map((name) => `${name}: state ${JSON.stringify(expected?.values[name])}, imported ${JSON.stringify(actual?.values[name])}`);
      if (differences.length > 0) fail(`verify: the imported ${target.address} differs from the state:\n  ${differences.join("\n  ")}`, result);
    }
    if (current.check) await userCheck(() => current.check?.(importedState), "the import step's check");
    await rm(imported, { force: true });
    await rm(`${imported}.backup`, { force: true });
  }

  function expectFailure(result: CommandResult, pattern: RegExp): void {
    if (!matches(result, pattern)) fail(`the command failed, but not with an error matching ${pattern}`, result);
  }

  function matches(result: CommandResult, pattern: RegExp): boolean {
    const output = `${result.stdout}\n${result.stderr}`;
    // Terraform wraps long lines: match the text with its line breaks and box-drawing margins folded into spaces.
    const folded = output.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ");
    return pattern.test(output) || pattern.test(folded);
  }
}
