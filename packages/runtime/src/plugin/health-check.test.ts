import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../errors.js";
import { createLogger } from "../log.js";
import type { CallContext } from "../rpc/context.js";
import { HealthState, ServingStatus } from "../services/health.js";
import { startHealthChecks } from "./health-check.js";

function logs() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ write: (line) => lines.push(line) }) };
}

/** A minimal handler context whose signal the test controls. */
function callContext(): { context: CallContext; cancel: () => void } {
  const controller = new AbortController();
  return {
    context: { signal: controller.signal } as unknown as CallContext,
    cancel: () => controller.abort(),
  };
}

describe("HealthState: liveness on 'plugin', the application's status on '' and its services", () => {
  it("setApplicationStatus changes '' and the application services, never 'plugin'", async () => {
    const state = new HealthState();
    state.addApplicationServices(["kv.KV", "plugin"]);
    state.setApplicationStatus(ServingStatus.NOT_SERVING);
    const status = (service: string) => (state.handler.check as (r: { service: string }) => { status: ServingStatus })({ service }).status;
    expect(status("")).toBe(ServingStatus.NOT_SERVING);
    expect(status("kv.KV")).toBe(ServingStatus.NOT_SERVING);
    expect(status("plugin")).toBe(ServingStatus.SERVING);
    expect(state.applicationStatus).toBe(ServingStatus.NOT_SERVING);
    // A service added later takes the current application status.
    state.addApplicationServices(["other.Svc"]);
    expect(status("other.Svc")).toBe(ServingStatus.NOT_SERVING);
    expect(() => status("nope")).toThrow(/unknown service "nope"/);
  });

  it("Watch streams the current status, then each change, and ends at shutdown", async () => {
    const state = new HealthState();
    const { context } = callContext();
    const watch = state.handler.watch as (r: { service: string }, c: CallContext) => AsyncIterable<{ status: ServingStatus }>;
    const iterator = watch({ service: "" }, context)[Symbol.asyncIterator]();
    state.setApplicationStatus(ServingStatus.NOT_SERVING);
    state.setApplicationStatus(ServingStatus.NOT_SERVING); // no change: not repeated
    state.setApplicationStatus(ServingStatus.SERVING);
    state.shutdown();
    state.setApplicationStatus(ServingStatus.SERVING); // after shutdown: ignored
    const seen: ServingStatus[] = [];
    for (let result = await iterator.next(); !result.done; result = await iterator.next()) seen.push(result.value.status);
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });
});

describe("startHealthChecks", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("asks before resolving, then every interval, and reports each answer", async () => {
    vi.useFakeTimers();
    const state = new HealthState();
    const answers = [ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING];
    let asked = 0;
    const loop = await startHealthChecks(state, { check: () => answers[asked++] ?? ServingStatus.SERVING, intervalMs: 100 }, logs().logger);
    expect(asked).toBe(1);
    expect(state.applicationStatus).toBe(ServingStatus.SERVING);
    await vi.advanceTimersByTimeAsync(100);
    expect(asked).toBe(2);
    expect(state.applicationStatus).toBe(ServingStatus.NOT_SERVING);
    await vi.advanceTimersByTimeAsync(100);
    expect(state.applicationStatus).toBe(ServingStatus.SERVING);
    loop.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toBe(3);
  });

  it("a check that throws, hangs past the interval or answers nonsense reports NOT_SERVING and is logged", async () => {
    vi.useFakeTimers();
    const { lines, logger } = logs();
    for (const check of [
      () => {
        throw new Error("database unreachable");
      },
      () => new Promise<ServingStatus>(() => {}),
      () => "yes" as unknown as ServingStatus,
    ]) {
      const state = new HealthState();
      const started = startHealthChecks(state, { check, intervalMs: 50 }, logger);
      await vi.advanceTimersByTimeAsync(50);
      const loop = await started;
      expect(state.applicationStatus).toBe(ServingStatus.NOT_SERVING);
      loop.stop();
    }
    expect(lines.join("")).toMatch(/health check failed; reporting NOT_SERVING.*database unreachable/);
    expect(lines.join("")).toMatch(/did not answer in time/);
    expect(lines.join("")).toMatch(/not a ServingStatus/);
  });

  it("refuses a non-positive interval", async () => {
    await expect(startHealthChecks(new HealthState(), { intervalMs: 0 }, logs().logger)).rejects.toThrow(ConfigError);
    await expect(startHealthChecks(new HealthState(), { intervalMs: -1 }, logs().logger)).rejects.toThrow(/health.intervalMs is -1/);
  });
});
