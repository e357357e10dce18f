// Biome (formatter and linter, config in biome.jsonc) over everything but generated code and
// Markdown: this fails with Biome's own report when a file is not formatted or breaks a rule
// (run `npm run format` to fix what can be fixed, and commit).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./fixture.js";

const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");

describe("lint", () => {
  it("biome ci passes: formatted, imports sorted, no rule broken", () => {
    const run = spawnSync(process.execPath, [biome, "ci", "--colors=off", "--max-diagnostics=50", "."], { cwd: repoRoot, encoding: "utf8" });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`).toMatch(/Checked \d+ files/);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 60_000);
});
