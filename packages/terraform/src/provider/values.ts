/**
 * Inspecting decoded cty values (as the codec returns them: null,
 * primitives, arrays for lists/sets/tuples, plain or null-prototype objects
 * for maps/objects, and unknown markers).
 */
import { isUnknown } from "../cty/index.js";
import type { AttributePath } from "./diagnostics.js";

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}

/** The path of the first unknown in `value`, or undefined when it is wholly known. */
export function firstUnknown(value: unknown, at: AttributePath = []): AttributePath | undefined {
  if (isUnknown(value)) return at;
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnknown(value[i], [...at, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlain(value)) return undefined;
  for (const [key, element] of Object.entries(value)) {
    const found = firstUnknown(element, [...at, key]);
    if (found) return found;
  }
  return undefined;
}
