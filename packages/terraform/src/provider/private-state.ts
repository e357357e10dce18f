/**
 * A resource instance's private data: bytes Terraform keeps beside the state
 * without showing them, handed back on the next read, plan and apply. Provider
 * code sees it as a JSON value (`context.private`) and replaces it with
 * `context.setPrivate(value)`.
 */
import { DiagnosticError } from "./diagnostics.js";

export class PrivateState {
  #next: { value: unknown } | undefined;

  /** `bytes`: what Terraform sent; undefined where an operation has no private data (validate, configure). */
  constructor(private readonly bytes: Uint8Array | undefined) {}

  /** The JSON value the provider stored last, or undefined when there is none. */
  get value(): unknown {
    if (this.#next) return this.#next.value;
    if (!this.bytes || this.bytes.length === 0) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(this.bytes));
    } catch (error) {
      throw new DiagnosticError("Invalid private data", {
        detail: "Terraform holds private data for this resource that this provider did not write (not JSON).",
        cause: error,
      });
    }
  }

  set(value: unknown): void {
    if (this.bytes === undefined) {
      throw new DiagnosticError("Private data not available here", {
        detail: "setPrivate works in a resource's read, plan, create, update, delete and import only.",
      });
    }
    if (value !== undefined) {
      try {
        JSON.stringify(value);
      } catch (error) {
        throw new DiagnosticError("Invalid private data", { detail: `setPrivate needs a JSON-serializable value: ${(error as Error).message}`, cause: error });
      }
    }
    this.#next = { value };
  }

  /** The bytes to answer with: the new value if one was set, else what came in. */
  toBytes(): Uint8Array {
    if (!this.#next) return this.bytes ?? new Uint8Array();
    return this.#next.value === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(this.#next.value));
  }
}
