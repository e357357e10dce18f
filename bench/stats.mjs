// Shared by the bench scripts: sample statistics and a process's CPU time.
import { readdirSync, readFileSync } from "node:fs";

/** n, median, p90, min, max (linear interpolation between closest ranks). */
export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => {
    const pos = q * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  };
  return { n: s.length, median: at(0.5), p90: at(0.9), min: s[0], max: s[s.length - 1] };
}

/** CPU ms of all threads of a running process (/proc/<pid>/task/<tid>/schedstat, ns): steadier than wall time. */
export function cpuMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}
