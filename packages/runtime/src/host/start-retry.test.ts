import { describe, expect, it } from "vitest";
import { ConfigError, HandshakeError, IncompatibleVersionError, PluginExitedError, StartTimeoutError, TLSError, TransportError } from "../errors.js";
import { backoffDelay } from "../util/backoff.js";
import { isRetryableStartError, withStartRetries } from "./start-retry.js";

const exited = () => new PluginExitedError("plugin exited before we could connect: plugin exited with exit code 1", 1, null, { stderrTail: ["boom"] });
const policy = { attempts: 3, initialDelayMs: 1, maxDelayMs: 4, totalTimeoutMs: undefined };

describe("backoffDelay (full jitter)", () => {
  it("is uniform in [0, min(max, initial·2^(n-1))]", () => {
    expect(backoffDelay(1, 100, 5000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(200);
    expect(backoffDelay(10, 100, 5000, () => 0.999)).toBe(4995);
    expect(backoffDelay(4, 100, 5000, () => 0)).toBe(0);
  });
});

describe("isRetryableStartError", () => {
  it.each([
    [exited(), true],
    [new StartTimeoutError("slow"), true],
    [new TransportError("could not connect"), true],
    [new HandshakeError("garbage"), false],
    [new IncompatibleVersionError("versions", 2, [1]), false],
    [new TLSError("bad cert"), false],
    [new ConfigError("bad option"), false],
    [new Error("other"), false],
  ])("%s → %s", (error, retryable) => {
    expect(isRetryableStartError(error)).toBe(retryable);
  });
});

describe("withStartRetries", () => {
  it("tries again after retryable failures and returns the first success", async () => {
    const seen: number[] = [];
    const result = await withStartRetries(policy, async (number) => {
      seen.push(number);
      if (number < 3) throw exited();
      return "connected";
    });
    expect(result).toBe("connected");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("gives up after the last attempt with that attempt's error, saying how many were made (before the stderr tail)", async () => {
    let calls = 0;
    const error = await withStartRetries(policy, async () => {
      calls++;
      throw exited();
    }).catch((caught: unknown) => caught as Error);
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(PluginExitedError);
    expect(error.message).toMatch(
      /^plugin exited before we could connect: plugin exited with exit code 1 \(gave up starting the plugin after 3 attempts in \d+ ms: no attempts left\)\nLast lines the plugin wrote to stderr:\n {2}boom$/,
    );
  });

  it("does not retry what would only repeat", async () => {
    let calls = 0;
    await expect(
      withStartRetries(policy, async () => {
        calls++;
        throw new TLSError("the plugin's certificate is not signed by the CA");
      }),
    ).rejects.toThrow(/^the plugin's certificate is not signed by the CA$/);
    expect(calls).toBe(1);
  });

  it("one attempt (the default) is no retry and leaves the message alone", async () => {
    let calls = 0;
    const error = await withStartRetries({ ...policy, attempts: 1 }, async () => {
      calls++;
      throw new StartTimeoutError("timeout");
    }).catch((caught: unknown) => caught as Error);
    expect(calls).toBe(1);
    expect(error.message).toBe("timeout");
  });

  it("stops when the next delay would pass the total timeout, and passes the time left to each attempt", async () => {
    const budgets: (number | undefined)[] = [];
    const error = await withStartRetries(
      { attempts: 10, initialDelayMs: 50, maxDelayMs: 50, totalTimeoutMs: 120 },
      async (_number, remaining) => {
        budgets.push(remaining);
        throw exited();
      },
      { random: () => 0.999 },
    ).catch((caught: unknown) => caught as Error);
    // Delays of 49 ms: attempts at ~0, ~49, ~98; a fourth would start after 147 > 120.
    expect(budgets.length).toBeLessThan(10);
    expect(budgets.every((left) => left !== undefined && left <= 120)).toBe(true);
    expect(error.message).toContain("the total start timeout (retry.totalTimeoutMs) ran out");
  });

  it("reports each retry", async () => {
    const retries: [number, number][] = [];
    await withStartRetries(
      policy,
      async (number) => {
        if (number === 1) throw exited();
        return true;
      },
      { onRetry: (number, delay) => retries.push([number, delay]), random: () => 0.5 },
    );
    expect(retries).toEqual([[1, 0]]);
  });
});
