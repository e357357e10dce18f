/**
 * Diagnostics: how a provider tells Terraform about problems. Terraform shows
 * each as "Error: <summary>" (or "Warning:") with the detail below and, when
 * an attribute path is given, the configuration line of that attribute.
 *
 * Provider code either adds diagnostics to the request's collector or throws
 * a {@link DiagnosticError}; any other thrown error becomes an error
 * diagnostic too (see the framework's handler wrapper). User problems must
 * never be gRPC errors: Terraform shows those as a failed plugin call.
 */
import type { CtyType } from "../cty/index.js";

/** One step of an attribute path: an attribute name, a map key (string) or a list index (number). */
export type PathStep = string | number | { readonly key: string };

/**
 * A path to an attribute, as a list of steps: `["tags", { key: "env" }]` is
 * `tags["env"]`, `["rule", 0, "port"]` is `rule[0].port`. A bare string step
 * after the first is taken as an attribute name; use `{ key }` for map keys.
 */
export type AttributePath = readonly PathStep[];

/** How bad a diagnostic is. */
export type Severity = "error" | "warning";

/** One diagnostic. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly summary: string;
  readonly detail?: string;
  readonly path?: AttributePath;
}

/** A diagnostic as the tfplugin5/6 `Diagnostic` init shape (severity 1 ERROR, 2 WARNING). */
export interface WireDiagnostic {
  severity: number;
  summary: string;
  detail: string;
  attribute?: WireAttributePath;
}

/** The tfplugin5/6 `AttributePath` init shape. */
export interface WireAttributePath {
  steps: { selector: { case: "attributeName" | "elementKeyString"; value: string } | { case: "elementKeyInt"; value: bigint } }[];
}

/** Thrown by provider code: becomes one diagnostic (error by default) in the RPC's response. */
export class DiagnosticError extends Error {
  override readonly name = "DiagnosticError";
  readonly diagnostic: Diagnostic;

  constructor(summary: string, options: { detail?: string; path?: AttributePath; severity?: Severity; cause?: unknown } = {}) {
    super(options.detail ? `${summary}: ${options.detail}` : summary, options.cause === undefined ? undefined : { cause: options.cause });
    this.diagnostic = {
      severity: options.severity ?? "error",
      summary,
      ...(options.detail !== undefined ? { detail: options.detail } : {}),
      ...(options.path !== undefined ? { path: options.path } : {}),
    };
  }
}

/** The diagnostics of one request. */
export class Diagnostics {
  readonly #list: Diagnostic[] = [];

  /** Adds an error. */
  error(summary: string, detail?: string, path?: AttributePath): void {
    this.add({ severity: "error", summary, ...(detail !== undefined ? { detail } : {}), ...(path !== undefined ? { path } : {}) });
  }

  /** Adds a warning. */
  warning(summary: string, detail?: string, path?: AttributePath): void {
    this.add({ severity: "warning", summary, ...(detail !== undefined ? { detail } : {}), ...(path !== undefined ? { path } : {}) });
  }

  add(diagnostic: Diagnostic): void {
    this.#list.push(diagnostic);
  }

  /** Whether any error was added (the framework then stops and answers with the diagnostics). */
  get hasErrors(): boolean {
    return this.#list.some((diagnostic) => diagnostic.severity === "error");
  }

  get all(): readonly Diagnostic[] {
    return this.#list;
  }

  /** The wire form, for a response's `diagnostics`; paths are resolved against `type` (see {@link attributePath}). */
  toWire(type?: CtyType): WireDiagnostic[] {
    return this.#list.map((diagnostic) => toWireDiagnostic(diagnostic, type));
  }
}

/** A diagnostic in its wire form. */
export function toWireDiagnostic(diagnostic: Diagnostic, type?: CtyType): WireDiagnostic {
  const wire: WireDiagnostic = {
    severity: diagnostic.severity === "error" ? 1 : 2,
    summary: diagnostic.summary,
    detail: diagnostic.detail ?? "",
  };
  if (diagnostic.path && diagnostic.path.length > 0) wire.attribute = attributePath(diagnostic.path, type);
  return wire;
}

/**
 * The wire AttributePath of a path: `attributePath(["tags", "a"], type)`.
 * The first step is always an attribute name; numbers are list/tuple
 * indexes; `{ key }` is always a map key. A later string step is resolved
 * against `type` (the cty type of the value the path starts in, e.g. a
 * resource's {@link blockType}): inside a map it is a key, inside an object
 * an attribute name. Without `type`, string steps are attribute names.
 */
export function attributePath(path: AttributePath, type?: CtyType): WireAttributePath {
  let current: CtyType | undefined = type;
  return {
    steps: path.map((step, index) => {
      if (typeof step === "number") {
        if (index === 0 || !Number.isInteger(step)) {
          throw new TypeError(`attribute path ${formatPath(path)}: step ${index} must be an attribute name or map key, not ${step}`);
        }
        current = elementType(current, step);
        return { selector: { case: "elementKeyInt" as const, value: BigInt(step) } };
      }
      const isKey = typeof step !== "string" || (index > 0 && current !== undefined && typeof current === "object" && "map" in current);
      const name = typeof step === "string" ? step : step.key;
      current = isKey ? elementType(current, name) : attributeType(current, name);
      return isKey ? { selector: { case: "elementKeyString" as const, value: name } } : { selector: { case: "attributeName" as const, value: name } };
    }),
  };
}

function attributeType(type: CtyType | undefined, name: string): CtyType | undefined {
  return type !== undefined && typeof type === "object" && "object" in type ? type.object[name] : undefined;
}

function elementType(type: CtyType | undefined, key: string | number): CtyType | undefined {
  if (type === undefined || typeof type !== "object") return undefined;
  if ("map" in type) return type.map;
  if ("list" in type) return type.list;
  if ("tuple" in type && typeof key === "number") return type.tuple[key];
  return undefined;
}

/** A path as Terraform writes it: `tags["a"]`, `rule[0].port`. */
export function formatPath(path: AttributePath): string {
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else if (typeof step === "string") out += out === "" ? step : `.${step}`;
    else out += `[${JSON.stringify(step.key)}]`;
  }
  return out;
}
