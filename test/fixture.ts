// Paths and helpers shared by the TypeScript end-to-end tests.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KVPlugin } from "../examples/go-plugin/gen/kv/kv_rpcplugin.js";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The misbehaving-on-demand TS KV plugin (see its header). */
export const fixturePlugin = join(repoRoot, "fixtures", "ts-plugin", "plugin.mjs");
export const examplePlugin = (name: "kv" | "counter" | "streamer" | "negotiated") => join(repoRoot, "examples", "go-plugin", name, "plugin");
export const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
export const kvPlugins = { kv_grpc: KVPlugin };

/** A fresh private temp dir, removed by the returned cleanup. */
export function tempDir(prefix = "rpcplugin-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function processGone(pid: number | undefined): boolean {
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Polls (bounded) until the process is gone; returns whether it is. */
export async function waitProcessGone(pid: number | undefined, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!processGone(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return processGone(pid);
}

/** Socket files left in a dir. */
export function socketsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith("plugin")) : [];
}

/** Collects a plugin's log records and stdio bytes. */
export function collector() {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const logs: import("@rpcplugin/runtime").LogRecord[] = [];
  return {
    options: {
      syncStdout: (chunk: Buffer) => stdout.push(chunk),
      syncStderr: (chunk: Buffer) => stderr.push(chunk),
      onLog: (record: import("@rpcplugin/runtime").LogRecord) => logs.push(record),
    },
    stdout: () => Buffer.concat(stdout).toString(),
    stderr: () => Buffer.concat(stderr).toString(),
    logs,
  };
}

/** Waits (bounded) for a condition that other events make true. */
export async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}
