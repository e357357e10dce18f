// Every package has a README (what its npm page shows), and the TypeScript in the runtime's and
// the Terraform framework's compiles against the packages as built: each ```ts block becomes a module, with
// ./gen/kv_rpcplugin.js standing for the KV example's generated code and ./provider.js for the files
// example's provider, type-checked by tsc.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "./fixture.js";

const packages = readdirSync(path.join(repoRoot, "packages"));
const dir = tempDir("rpcplugin-readmes-");
afterAll(() => dir.cleanup());

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/** tsc's diagnostics for `blocks`, each its own module, as a string per diagnostic. */
function typeCheck(name: string, blocks: string[]): string[] {
  const root = path.join(dir.path, name);
  const gen = path.join(root, "gen");
  mkdirSync(gen, { recursive: true });
  writeFileSync(path.join(root, "package.json"), `{ "type": "module" }\n`);
  // ./provider.js stands for a provider of the reader's (the files example's).
  writeFileSync(
    path.join(root, "provider.ts"),
    `export { filesProvider as provider } from ${JSON.stringify(path.join(repoRoot, "examples/terraform-provider-files/src/provider.js"))};\n`,
  );
  writeFileSync(path.join(gen, "kv_rpcplugin.ts"), `export * from ${JSON.stringify(path.join(repoRoot, "examples/go-plugin/gen/kv/kv_rpcplugin.js"))};\n`);
  const files = blocks.map((block, index) => {
    const file = path.join(root, `block-${index + 1}.ts`);
    writeFileSync(file, `${block}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    typeRoots: [path.join(repoRoot, "node_modules/@types")],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    baseUrl: repoRoot,
    paths: {
      "@rpcplugin/terraform/testing": ["packages/terraform/dist/testing/index.d.ts"],
      "@rpcplugin/*": ["packages/*/dist/index.d.ts"],
      "@bufbuild/protobuf": ["node_modules/@bufbuild/protobuf/dist/esm/index.d.ts"],
    },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

describe("package READMEs", () => {
  it.each(packages)("%s has a README with an install line and a quick start", (name) => {
    const file = path.join(repoRoot, "packages", name, "README.md");
    expect(existsSync(file), `packages/${name}/README.md`).toBe(true);
    const text = readFileSync(file, "utf8");
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, "packages", name, "package.json"), "utf8")) as { name: string };
    expect(text.startsWith(`# ${manifest.name}\n`)).toBe(true);
    expect(text).toContain(`npm install `);
    expect(text).toMatch(/## Quick start/);
  });

  it.each(["runtime", "terraform"])("the %s README's TypeScript compiles against the built packages", (name) => {
    const blocks = tsBlocks(readFileSync(path.join(repoRoot, "packages", name, "README.md"), "utf8"));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    expect(typeCheck(name, blocks)).toEqual([]);
  });

  it("the check catches a README that does not compile", () => {
    expect(typeCheck("broken", ['import { startPlugin } from "@rpcplugin/runtime";\nawait startPlugin({ command: 1 });']).join("\n")).toMatch(/block-1\.ts:2/);
  });
});
