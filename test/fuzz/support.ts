// Property-based fuzzing of the parsers that read another process's bytes or text, or the
// environment. Every target states the same property: the parser returns a value or throws one of
// its typed errors; never anything else (a TypeError from inside, a RangeError, a hang), and the
// parser still works afterwards. Runs are seeded, so CI sees the same inputs every time:
//
//   FUZZ_RUNS   inputs per property (default 200: a few seconds per target in `npm test`)
//   FUZZ_SEED   the seed (default fixed; `npm run fuzz` draws a new one and prints it)
//
// A failing input that fast-check shrank is kept in the target's `examples`, so it stays a test.
import fc from "fast-check";

export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261203);

/** fast-check parameters of every target (with its regression examples). */
export function fuzzParameters<T>(examples: T[] = []): fc.Parameters<T> {
  return { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, examples, endOnFailure: false };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs `parse`; passes when it returns, or throws an instance of one of `allowed`; rethrows anything else. */
export function valueOrTypedError<T>(parse: () => T, ...allowed: ErrorClass[]): { value: T } | { error: Error } {
  try {
    return { value: parse() };
  } catch (error) {
    if (allowed.some((kind) => error instanceof kind)) return { error: error as Error };
    throw error;
  }
}

/** Async {@link valueOrTypedError}. */
export async function valueOrTypedErrorAsync<T>(parse: () => Promise<T>, ...allowed: ErrorClass[]): Promise<{ value: T } | { error: Error }> {
  try {
    return { value: await parse() };
  } catch (error) {
    if (allowed.some((kind) => error instanceof kind)) return { error: error as Error };
    throw error;
  }
}

/** Text with the characters parsers split on over-represented: |, newlines, digits, quotes, braces. */
export const protocolText = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("|", "\n", "\r", ",", ":", "=", " ", "\t", "{", "}", "[", "]", '"', "\\", "-", "+", ".", "0", "1", "5", "6", "9") },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.constantFrom("\u0000", "\uffff", "\ud800", "é", "😀", "\u2028") },
  ),
  maxLength: 200,
});
