/**
 * Provider-defined functions (Terraform ≥ 1.8, OpenTofu ≥ 1.7): called in
 * configuration as `provider::<provider>::<name>(…)`, served over
 * GetFunctions/CallFunction and listed in GetProviderSchema and GetMetadata.
 *
 * A function is pure: Terraform calls it during validate, plan and apply,
 * without configuring the provider first, so it gets no provider data. Its
 * arguments arrive decoded by each parameter's cty type; its result is
 * encoded by the return type. A failure is a {@link FunctionError} (optionally
 * naming the argument at fault, which Terraform points at in the
 * configuration), never a diagnostic.
 */
import { ConfigError, type Logger } from "@rpcplugin/runtime";
import { CtyError, type CtyType, fromDynamicValue, toDynamicValue, typeToJson, type Unknown } from "../cty/index.js";
import { DiagnosticError } from "./diagnostics.js";
import type { ValueOf } from "./schema.js";

/** One parameter of a function. */
export interface FunctionParameter<T extends CtyType = CtyType> {
  /** Shown in documentation and in Terraform's errors about this argument. */
  readonly name: string;
  /** The argument's cty type (`"dynamic"` takes any value: it arrives as `{ type, value }`). */
  readonly type: T;
  readonly description?: string;
  /** Pass a null argument to the function; otherwise Terraform refuses one before calling. */
  readonly allowNull?: boolean;
  /**
   * Pass arguments that are (or hold) unknown values, as {@link Unknown};
   * otherwise Terraform does not call the function until the value is
   * known and takes the result as unknown meanwhile.
   */
  readonly allowUnknown?: boolean;
}

/** An argument's value as the function receives it. */
export type ArgumentValue<P> =
  P extends FunctionParameter<infer T>
    ? ValueOf<T> | (P extends { readonly allowNull: true } ? null : never) | (P extends { readonly allowUnknown: true } ? Unknown : never)
    : never;

/** The arguments of a function: the positional parameters' values, then the variadic ones. */
export type ArgumentsOf<Ps extends readonly FunctionParameter[], V> = [
  ...{ -readonly [K in keyof Ps]: ArgumentValue<Ps[K]> },
  ...(V extends FunctionParameter ? ArgumentValue<V>[] : []),
];

/** What a function gets besides its arguments. */
export interface FunctionContext {
  /** The plugin's hclog logger (Terraform shows it under TF_LOG). */
  readonly logger: Logger;
  /** Aborted when Terraform stops the provider or cancels the call. */
  readonly signal: AbortSignal;
}

/** A provider-defined function. */
export interface ProviderFunction<
  Ps extends readonly FunctionParameter[] = readonly FunctionParameter[],
  V extends FunctionParameter | undefined = FunctionParameter | undefined,
  R extends CtyType = CtyType,
> {
  /** One line for documentation and language servers. */
  readonly summary?: string;
  readonly description?: string;
  /** Set when the function is deprecated: what to use instead. */
  readonly deprecated?: string;
  /** The positional parameters, in order. */
  readonly parameters: Ps;
  /** A last parameter taking zero or more arguments of its type. */
  readonly variadic?: V;
  /** The result's cty type. */
  readonly returns: R;
  /** Computes the result; throw a {@link FunctionError} to fail the call. */
  run(args: NoInfer<ArgumentsOf<Ps, V>>, context: FunctionContext): Promise<ValueOf<R> | Unknown> | ValueOf<R> | Unknown;
}

/** Declares a function with its arguments typed from the parameters (an identity function that keeps the literal types). */
export function defineFunction<const Ps extends readonly FunctionParameter[], const V extends FunctionParameter | undefined, const R extends CtyType>(
  definition: ProviderFunction<Ps, V, R>,
): ProviderFunction<Ps, V, R> {
  return definition;
}

/** A function's failure, as Terraform shows it: the text, and the index of the argument at fault if there is one. */
export class FunctionError extends Error {
  override name = "FunctionError";
  /** The 0-based position of the argument at fault (variadic arguments continue the count). */
  readonly argument: number | undefined;

  constructor(text: string, options: { argument?: number; cause?: unknown } = {}) {
    super(text, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.argument !== undefined && (!Number.isInteger(options.argument) || options.argument < 0)) {
      throw new RangeError(`FunctionError argument must be a non-negative integer, got ${options.argument}`);
    }
    this.argument = options.argument;
  }
}

/** tfplugin5/6 Function, as an init shape both protocols accept. */
export interface WireFunction {
  parameters: WireParameter[];
  variadicParameter?: WireParameter;
  return: { type: Uint8Array };
  summary: string;
  description: string;
  descriptionKind: 0;
  deprecationMessage: string;
}

interface WireParameter {
  name: string;
  type: Uint8Array;
  allowNullValue: boolean;
  allowUnknownValues: boolean;
  description: string;
  descriptionKind: 0;
}

const encoder = new TextEncoder();

function wireParameter(parameter: FunctionParameter): WireParameter {
  return {
    name: parameter.name,
    type: encoder.encode(typeToJson(parameter.type)),
    allowNullValue: parameter.allowNull ?? false,
    allowUnknownValues: parameter.allowUnknown ?? false,
    description: parameter.description ?? "",
    descriptionKind: 0,
  };
}

/** The wire definition of `fn`. */
export function toWireFunction(fn: ProviderFunction): WireFunction {
  return {
    parameters: fn.parameters.map(wireParameter),
    ...(fn.variadic ? { variadicParameter: wireParameter(fn.variadic) } : {}),
    return: { type: encoder.encode(typeToJson(fn.returns)) },
    summary: fn.summary ?? "",
    description: fn.description ?? "",
    descriptionKind: 0,
    deprecationMessage: fn.deprecated ?? "",
  };
}

/** Checks a function definition when the provider is served; throws ConfigError naming what is wrong. */
export function checkFunction(name: string, fn: ProviderFunction): void {
  const at = `function ${JSON.stringify(name)}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new ConfigError(`${at}: names must be lowercase letters, digits and underscores, starting with a letter or underscore`);
  if (typeof fn.run !== "function") throw new ConfigError(`${at} has no run function`);
  const names = new Set<string>();
  const all = fn.variadic ? [...fn.parameters, fn.variadic] : [...fn.parameters];
  for (const [index, parameter] of all.entries()) {
    const where = `${at}: parameter ${index + 1}${parameter === fn.variadic ? " (variadic)" : ""}`;
    if (typeof parameter.name !== "string" || !/^[a-z_][a-z0-9_]*$/.test(parameter.name)) {
      throw new ConfigError(`${where}: a name of lowercase letters, digits and underscores is required, got ${JSON.stringify(parameter.name)}`);
    }
    if (names.has(parameter.name)) throw new ConfigError(`${where}: ${JSON.stringify(parameter.name)} is the name of another parameter`);
    names.add(parameter.name);
    checkType(parameter.type, `${where} ${JSON.stringify(parameter.name)}`);
  }
  checkType(fn.returns, `${at}: return type`);
}

function checkType(type: CtyType, where: string): void {
  try {
    typeToJson(type);
  } catch (error) {
    throw new ConfigError(`${where}: ${(error as Error).message}`);
  }
}

/** CallFunction's response fields (both protocols). */
export interface CallFunctionResult {
  result?: { msgpack: Uint8Array; json: Uint8Array };
  error?: { text: string; functionArgument?: bigint };
}

/**
 * Decodes the arguments of a call, runs `fn` and encodes its result; every
 * failure becomes the response's `error`. `name` is for messages.
 */
export async function runFunction(
  name: string,
  fn: ProviderFunction,
  args: readonly ({ msgpack: Uint8Array; json: Uint8Array } | undefined)[],
  context: FunctionContext,
): Promise<CallFunctionResult> {
  const positional = fn.parameters.length;
  if (args.length < positional || (!fn.variadic && args.length > positional)) {
    const expected = fn.variadic ? `at least ${positional}` : `${positional}`;
    return { error: { text: `Function ${name} takes ${expected} argument${positional === 1 && !fn.variadic ? "" : "s"}, but ${args.length} were given.` } };
  }
  const values: unknown[] = [];
  for (const [index, arg] of args.entries()) {
    const parameter = (index < positional ? fn.parameters[index] : fn.variadic) as FunctionParameter;
    try {
      values.push(arg === undefined || (arg.msgpack.length === 0 && arg.json.length === 0) ? null : fromDynamicValue(arg, parameter.type));
    } catch (error) {
      return failure(`Invalid value for "${parameter.name}" parameter: ${(error as Error).message}`, index);
    }
  }
  let result: unknown;
  try {
    result = await fn.run(values as never, context);
  } catch (error) {
    if (error instanceof FunctionError) return failure(error.message, error.argument);
    if (context.signal.aborted && (error === context.signal.reason || (error instanceof Error && error.name === "AbortError"))) {
      const reason = context.signal.reason;
      return failure(`Operation cancelled: ${reason instanceof Error ? reason.message : String(reason)}.`);
    }
    if (error instanceof DiagnosticError) {
      const { summary, detail } = error.diagnostic;
      return failure(detail ? `${summary}: ${detail}` : summary);
    }
    context.logger.error(`function ${name} failed`, { error: (error as Error)?.stack ?? String(error) });
    return failure(`Unexpected error in function ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (result === undefined) return failure(`Function ${name} returned nothing: it must return a value of its return type (null is allowed).`);
  try {
    return { result: toDynamicValue(result, fn.returns) };
  } catch (error) {
    const detail = error instanceof CtyError ? error.message : String(error);
    return failure(`Function ${name} returned a value that is not of its return type ${typeToJson(fn.returns)}: ${detail}`);
  }
}

function failure(text: string, argument?: number): CallFunctionResult {
  return { error: argument === undefined ? { text } : { text, functionArgument: BigInt(argument) } };
}
