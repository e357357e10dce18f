import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import { handleStopSignals } from "./signals.js";

const removers: (() => void)[] = [];
afterEach(() => {
  for (const remove of removers.splice(0)) remove();
});

function install() {
  const events: string[] = [];
  const lines: string[] = [];
  const logger = createLogger({ level: "trace", write: (line: string) => lines.push(line) });
  removers.push(handleStopSignals({ logger, stop: () => events.push("stop"), force: (signal) => events.push(`force ${signal}`) }));
  return { events, lines };
}

// Calls the handler just installed (the last listener), without a real signal or the test runner's own handlers.
const raise = (signal: NodeJS.Signals) => (process.listeners(signal).at(-1) as (signal: NodeJS.Signals) => void)(signal);

describe("handleStopSignals", () => {
  it("ignores SIGINT alone, logging it at trace as go-plugin does", () => {
    const { events, lines } = install();
    raise("SIGINT");
    raise("SIGINT");
    expect(events).toEqual([]);
    expect(lines.join("")).toContain('"count":2');
  });

  it("SIGTERM stops; a second SIGTERM or a SIGINT after it forces", () => {
    const { events } = install();
    raise("SIGTERM");
    expect(events).toEqual(["stop"]);
    raise("SIGINT");
    raise("SIGTERM");
    expect(events).toEqual(["stop", "force SIGINT", "force SIGTERM"]);
  });

  it("removes its handlers", () => {
    const before = process.listenerCount("SIGTERM");
    const { events } = install();
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    (removers.pop() as () => void)();
    expect(process.listenerCount("SIGTERM")).toBe(before);
    expect(events).toEqual([]);
  });
});
