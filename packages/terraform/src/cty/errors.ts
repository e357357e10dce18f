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

  constructor(message: string, path: string | ValuePath = "", options?: { cause?: unknown }) {
    const where = String(path);
    super(where === "" ? message : `${where}: ${message}`, options);
    this.name = "CtyError";
    this.path = where;
  }
}

/**
 * @internal The place an encoder or decoder is at, kept as a stack (push before descending,
 * pop after) and formatted only when an error needs it, so that walking a large value makes
 * no path strings.
 */
export class ValuePath {
  private readonly steps: (string | number)[] = [];
  private readonly isAttr: boolean[] = [];

  /** Descends into attribute `name`. */
  attr(name: string): void {
    this.steps.push(name);
    this.isAttr.push(true);
  }

  /** Descends into element `key` (an index or a map key). */
  index(key: string | number): void {
    this.steps.push(key);
    this.isAttr.push(false);
  }

  pop(): void {
    this.steps.pop();
    this.isAttr.pop();
  }

  toString(): string {
    let text = "";
    this.steps.forEach((step, i) => {
      text = this.isAttr[i] ? attrPath(text, step as string) : indexPath(text, step);
    });
    return text;
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
