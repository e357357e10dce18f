import { describe, expect, it } from "vitest";
import { anySignal } from "./any-signal.js";

describe("anySignal", () => {
  it("aborts with the reason of the first source that aborts, and only once", () => {
    const a = new AbortController();
    const b = new AbortController();
    const { signal } = anySignal([a.signal, b.signal]);
    expect(signal.aborted).toBe(false);
    b.abort("b first");
    a.abort("a later");
    expect(signal.reason).toBe("b first");
  });

  it("is aborted at once when a source already is", () => {
    const done = new AbortController();
    done.abort("already");
    expect(anySignal([new AbortController().signal, done.signal]).signal.reason).toBe("already");
  });

  it("dispose() leaves the sources without its listeners: a later abort no longer reaches it", () => {
    const a = new AbortController();
    const combined = anySignal([a.signal]);
    combined.dispose();
    a.abort("late");
    expect(combined.signal.aborted).toBe(false);
  });
});
