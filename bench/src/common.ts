/** What the TypeScript bench host and plugin share with each other (and, by contract, with the Go ones). */
import { readFileSync } from "node:fs";
import { CHANNEL_OPTIONS, type HandshakeConfig, SERVER_OPTIONS } from "@rpcplugin/runtime";

/** The cookie of go-plugin's examples, as fixtures/go/cmd/bench* use. */
export const handshake: HandshakeConfig = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };

/** The q-quantile of ascending `sorted` (nearest rank below, as the Go side). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** VmRSS of a process (default: this one) in MiB, from /proc. */
export function rssMiB(pid?: number): number {
  const text = readFileSync(pid === undefined ? "/proc/self/status" : `/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (!match) throw new Error(`no VmRSS for ${pid ?? "self"}`);
  return Number(match[1]) / 1024;
}

/** "100B", "64KiB": the metric suffix of a message size. */
export function sizeName(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}KiB` : `${n}B`;
}

/**
 * CPU time (user + system, all threads) of a process (default: this one) in ms, from
 * /proc/<pid>/stat: clock ticks of 10 ms, so measure over windows of a second or more.
 * CPU per operation is the figure a busy machine distorts least.
 */
export function cpuMs(pid?: number): number {
  const text = readFileSync(pid === undefined ? "/proc/self/stat" : `/proc/${pid}/stat`, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Experiments only (bench/profile/options-ab.mjs): BENCH_CHANNEL_OPTIONS / BENCH_SERVER_OPTIONS
 * (JSON) are merged into the runtime's exported CHANNEL_OPTIONS / SERVER_OPTIONS before any
 * connection or server is made, to try grpc-js options without changing the runtime.
 */
export function applyOptionOverrides(): void {
  if (process.env.BENCH_CHANNEL_OPTIONS) Object.assign(CHANNEL_OPTIONS, JSON.parse(process.env.BENCH_CHANNEL_OPTIONS));
  if (process.env.BENCH_SERVER_OPTIONS) Object.assign(SERVER_OPTIONS, JSON.parse(process.env.BENCH_SERVER_OPTIONS));
}
