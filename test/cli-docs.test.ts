// rpcplugin docs: the files example's committed docs/ are what its schemas produce today (the
// check CI runs), and the command's failures: a stale or extra page, no provider export, a
// missing --export, a module that is not there.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "./fixture.js";
import { runCli as run } from "./support/cli.js";

const example = path.join(repoRoot, "examples/terraform-provider-files");
const providerModule = path.join(example, "dist/provider.js");

describe("rpcplugin docs", () => {
  it("the files example's docs/ are current (run `rpcplugin docs` and commit when this fails)", async () => {
    const { code, output } = await run(["docs", providerModule, "--out-dir", path.join(example, "docs"), "--check"]);
    expect(output).toMatch(/^7 pages current in /);
    expect(code).toBe(0);
  });

  it("writes the Registry layout: index, resources, data sources, ephemeral resources, functions", async () => {
    const dir = tempDir("rpcplugin-docs-");
    try {
      const { code, output } = await run(["docs", providerModule, "--export", "filesProvider", "--out-dir", dir.path]);
      expect(code).toBe(0);
      expect(
        output
          .trim()
          .split("\n")
          .map((line) => path.relative(dir.path, line.replace(/^wrote /, ""))),
      ).toEqual([
        "index.md",
        "resources/file.md",
        "resources/secret_file.md",
        "data-sources/file.md",
        "ephemeral-resources/file.md",
        "functions/path_join.md",
        "functions/sha256.md",
      ]);
      const secret = readFileSync(path.join(dir.path, "resources/secret_file.md"), "utf8");
      expect(secret).toMatch(/^---\npage_title: "files_secret_file Resource - files"\n/);
      expect(secret).toContain(
        '- <a id="content_wo"></a>`content_wo` (String, Sensitive, Write-only) The content to write (write-only). This value is not kept in plan or state.',
      );
      expect(readFileSync(path.join(dir.path, "functions/path_join.md"), "utf8")).toContain("path_join(first string, rest string...) string");
    } finally {
      dir.cleanup();
    }
  });

  it("--check names stale and extra pages and exits 1", async () => {
    const dir = tempDir("rpcplugin-docs-check-");
    try {
      cpSync(path.join(example, "docs"), dir.path, { recursive: true });
      writeFileSync(path.join(dir.path, "resources/file.md"), "edited by hand\n");
      mkdirSync(path.join(dir.path, "functions"), { recursive: true });
      writeFileSync(path.join(dir.path, "functions/removed.md"), "a function the provider no longer has\n");
      const { code, output } = await run(["docs", providerModule, "--out-dir", dir.path, "--check"]);
      expect(code).toBe(1);
      expect(output).toContain(`stale: ${path.join(dir.path, "resources/file.md")}`);
      expect(output).toContain(`not the provider's: ${path.join(dir.path, "functions/removed.md")}`);
      expect(output).toMatch(/2 page\(s\) differ/);
    } finally {
      dir.cleanup();
    }
  });

  it("bad input: no module, a module without a provider, an --export that is not one", async () => {
    expect(await run(["docs"])).toMatchObject({ code: 2, output: expect.stringContaining("give the module that exports the provider") });
    expect(await run(["docs", path.join(example, "nope.js")])).toMatchObject({ code: 2, output: expect.stringContaining("is not a file") });
    const dir = tempDir("rpcplugin-docs-bad-");
    try {
      // A module beside the example (so it resolves @rpcplugin/terraform) that exports no provider.
      const plain = path.join(example, "dist", `not-a-provider-${process.pid}.mjs`);
      writeFileSync(plain, "export const answer = 42;\n");
      try {
        expect(await run(["docs", plain, "--out-dir", dir.path])).toMatchObject({ code: 1, output: expect.stringContaining("exports no provider definition") });
      } finally {
        (await import("node:fs")).rmSync(plain);
      }
      expect(await run(["docs", providerModule, "--export", "fileResource", "--out-dir", dir.path])).toMatchObject({
        code: 1,
        output: expect.stringContaining('has no provider export "fileResource"'),
      });
    } finally {
      dir.cleanup();
    }
  });
});
