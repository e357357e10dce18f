// Process bookkeeping for interop tests: is a pid gone, wait (bounded) until
// it is, and which processes are still in a process group. Interop tests spawn
// real plugins and hosts; a test that leaves one behind must fail, not leak.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

/** Reads /proc/<pid>/stat on Linux; undefined when the process is gone. */
function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ..." — comm may contain spaces and parens.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    state: rest[0] ?? "?",
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
  };
}

/** All processes as {pid, ppid, pgid, state}: /proc on Linux, `ps` elsewhere. */
export function listProcesses(): ProcStat[] {
  if (process.platform === "linux") {
    const out: ProcStat[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const st = readProcStat(Number(name));
      if (st) out.push(st);
    }
    return out;
  }
  const text = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid=,stat="], { encoding: "utf8" });
  return text
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map(([pid, ppid, pgid, state]) => ({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      state: state ?? "?",
    }));
}

/**
 * Whether a process is gone. A zombie (exited, not yet reaped by its parent)
 * counts as gone: it runs no code and holds no sockets.
 */
export function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  if (process.platform === "linux") {
    const st = readProcStat(pid);
    return st === undefined || st.state === "Z";
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `pid` is gone; resolves false if it is still there after `timeoutMs`. */
export async function waitForProcessGone(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isProcessGone(pid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

/** Live (non-zombie) members of process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  return listProcesses()
    .filter((p) => p.pgid === pgid && !p.state.startsWith("Z") && !dying(p.pid))
    .map((p) => p.pid);
}

/**
 * Whether a process is already on its way out (exiting, or a SIGKILL is
 * pending): a host that SIGKILLs its plugin and exits at once can leave it in
 * the kernel's exit path, not yet a zombie, when the group is listed.
 */
export function dying(pid: number): boolean {
  if (process.platform !== "linux") return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const flags = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[6]);
    if (flags & 0x4) return true; // PF_EXITING
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    for (const key of ["SigPnd", "ShdPnd"]) {
      const mask = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];
      if (mask !== undefined && (BigInt(`0x${mask}`) & 0x100n) !== 0n) return true; // SIGKILL pending
    }
    return false;
  } catch {
    return true; // gone
  }
}

/** Live (non-zombie) direct children of `pid`. */
export function childProcesses(pid: number): number[] {
  return listProcesses()
    .filter((p) => p.ppid === pid && !p.state.startsWith("Z"))
    .map((p) => p.pid);
}

/** Sends `signal` to every process in group `pgid`; a group already gone is fine. */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** Polls until group `pgid` has no live member; false if some remain after `timeoutMs`. */
export async function waitForProcessGroupGone(pgid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (processGroupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}
