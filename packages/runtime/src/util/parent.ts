/**
 * Notices when the host process is gone. Node's `process.ppid` is read once
 * at start, so on Linux we read the live parent pid from /proc; elsewhere we
 * probe the original parent with signal 0.
 */
import { readFileSync } from "node:fs";

const POLL_MS = 200;

/** Calls `onGone` once the parent process has exited. */
export function watchParent(onGone: () => void): { stop(): void } {
  const original = process.ppid;
  const timer = setInterval(() => {
    if (parentAlive(original)) return;
    clearInterval(timer);
    onGone();
  }, POLL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function parentAlive(original: number): boolean {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync("/proc/self/stat", "utf8");
      // Field 4 (ppid) follows the command name in parentheses, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return ppid === original;
    } catch {
      // fall through to the signal probe
    }
  }
  try {
    process.kill(original, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
