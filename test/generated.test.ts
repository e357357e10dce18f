// Generated code is committed; this fails when it is not what the protos and
// the pinned generators produce today (run `npm run generate` and commit).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without types
import { generate, root, targets } from "../scripts/generate.mjs";

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe("generated code", () => {
  const outRoot = mkdtempSync(join(tmpdir(), "rpcplugin-generated-"));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));
  generate(outRoot);

  for (const { out } of targets as { out: string }[]) {
    it(`${out} is current`, () => {
      const fresh = join(outRoot, out);
      const committed = join(root, out);
      expect(files(committed)).toEqual(files(fresh));
      for (const file of files(fresh)) {
        expect(readFileSync(join(committed, file), "utf8"), `${out}/${file} is stale: run npm run generate`).toBe(readFileSync(join(fresh, file), "utf8"));
      }
    });
  }
});
