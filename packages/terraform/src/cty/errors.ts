/**
 * A value or type that does not fit what cty (Terraform's type system) accepts: a value that does not
 * conform to its type, malformed msgpack or JSON, a bad type constraint.
 *
 * `path` is the place in the value, in Terraform's notation (`.tags["a"]`, `.rule[0].port`; empty
 * for the value itself); the message names it and says what was expected.
 */
export class CtyError extends Error {
  /** Where in the value the problem is, e.g. `.tags["a"]`; `""` for the whole value. */
  readonly path: string;

  constructor(message: string, path = "", options?: { cause?: unknown }) {
    super(path === "" ? message : `${path}: ${message}`, options);
    this.name = "CtyError";
    this.path = path;
  }
}

/** The path of attribute `name` below `path`. */
export function attrPath(path: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

/** The path of element `key` (list/tuple/set index or map key) below `path`. */
export function indexPath(path: string, key: number | string): string {
  return typeof key === "number" ? `${path}[${key}]` : `${path}[${JSON.stringify(key)}]`;
}
