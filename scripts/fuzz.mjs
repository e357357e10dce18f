#!/usr/bin/env node
// `npm run fuzz`: the fuzz targets of test/fuzz/ with many more inputs than `npm test` gives them,
// and a fresh seed each time (printed, so that a failure can be replayed with FUZZ_SEED).
//   FUZZ_RUNS (default 20000)  FUZZ_SEED (default: random)  extra arguments go to vitest
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import path from "node:path";

const runs = process.env.FUZZ_RUNS ?? "20000";
const seed = process.env.FUZZ_SEED ?? String(randomInt(2 ** 31 - 1));
process.stderr.write(`fuzz: FUZZ_RUNS=${runs} FUZZ_SEED=${seed}\n`);
const vitest = path.join(import.meta.dirname, "..", "node_modules", "vitest", "vitest.mjs");
const run = spawnSync(process.execPath, [vitest, "run", "--project", "h2", "test/fuzz", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed },
});
if (run.status !== 0) process.stderr.write(`fuzz: failed; replay with FUZZ_RUNS=${runs} FUZZ_SEED=${seed} npm run fuzz\n`);
process.exit(run.status ?? 1);
