/**
 * `rpcplugin docs`: the Registry's documentation pages of a Terraform provider written with
 * @rpcplugin/terraform, from its schemas and descriptions, in the layout tfplugindocs writes
 * (`docs/index.md`, `docs/resources/`, `docs/data-sources/`, `docs/ephemeral-resources/`,
 * `docs/functions/`). `--check` compares instead of writing, for CI.
 *
 * The module is imported, so it must export the provider definition without serving it (the
 * module that calls `defineProvider`, not the entry that calls `serveProvider`). The pages are
 * rendered by the @rpcplugin/terraform that module imports.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const DOCS_USAGE = `  rpcplugin docs <provider module> [--export NAME] [--out-dir DIR] [--check]
      Write the Registry documentation of a Terraform provider made with @rpcplugin/terraform
      (index, resources, data sources, ephemeral resources, functions) into DIR (default: docs)
      from its schemas and descriptions. The module must export the defineProvider() result
      (NAME, else the one export that is a provider); --check exits 1 if the files differ.
`;

interface ProviderLike {
  name: string;
  schema: { attributes: object };
}

const isProvider = (value: unknown): value is ProviderLike =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as ProviderLike).name === "string" &&
  typeof (value as ProviderLike).schema === "object" &&
  typeof (value as ProviderLike).schema?.attributes === "object";

const PAGE_FOLDERS = ["resources", "data-sources", "ephemeral-resources", "functions"];

function pagesIn(dir: string, folder: string): string[] {
  const full = path.join(dir, folder);
  if (!existsSync(full)) return [];
  return readdirSync(full)
    .filter((name) => name.endsWith(".md"))
    .map((name) => `${folder}/${name}`);
}

function usageError(out: (text: string) => void, message: string): number {
  out(`rpcplugin docs: ${message}\n\nUsage:\n${DOCS_USAGE}`);
  return 2;
}

/** The `docs` command: returns the exit code (2: bad arguments, 1: the module or the check failed). */
export async function docs(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const positional: string[] = [];
  let exportName: string | undefined;
  let outDir = "docs";
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--export" || arg === "--out-dir") {
      const value = argv[++i];
      if (value === undefined) return usageError(out, `${arg} needs a value`);
      if (arg === "--export") exportName = value;
      else outDir = value;
    } else if (arg === "--check") check = true;
    else if (arg.startsWith("-")) return usageError(out, `unknown option ${JSON.stringify(arg)}`);
    else positional.push(arg);
  }
  if (positional.length !== 1)
    return usageError(out, positional.length === 0 ? "give the module that exports the provider" : `one module, not ${positional.length}`);
  const file = path.resolve(positional[0] as string);
  if (!existsSync(file) || !statSync(file).isFile())
    return usageError(out, `${JSON.stringify(positional[0])} is not a file (give the compiled .js module that exports the provider)`);

  let render: (provider: unknown) => Record<string, string>;
  try {
    const terraform = createRequire(file).resolve("@rpcplugin/terraform");
    render = ((await import(pathToFileURL(terraform).href)) as { providerDocs: (p: unknown) => Record<string, string> }).providerDocs;
    if (typeof render !== "function") throw new Error("it has no providerDocs (an older @rpcplugin/terraform?)");
  } catch (error) {
    out(`rpcplugin docs: ${file} does not resolve @rpcplugin/terraform with documentation support: ${(error as Error).message}\n`);
    return 1;
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    out(`rpcplugin docs: could not import ${file}: ${(error as Error).message}\n`);
    return 1;
  }
  let provider: unknown;
  if (exportName !== undefined) {
    provider = module[exportName];
    if (!isProvider(provider)) {
      out(`rpcplugin docs: ${file} has no provider export ${JSON.stringify(exportName)} (its exports: ${Object.keys(module).join(", ") || "none"})\n`);
      return 1;
    }
  } else {
    const found = Object.entries(module).filter(([, value]) => isProvider(value));
    const unique = [...new Set(found.map(([, value]) => value))];
    if (unique.length !== 1) {
      out(
        unique.length === 0
          ? `rpcplugin docs: ${file} exports no provider definition (export the defineProvider() result)\n`
          : `rpcplugin docs: ${file} exports several providers (${found.map(([name]) => name).join(", ")}): choose one with --export\n`,
      );
      return 1;
    }
    provider = unique[0];
  }
  let pages: Record<string, string>;
  try {
    pages = render(provider);
  } catch (error) {
    out(`rpcplugin docs: could not document the provider: ${(error as Error).message}\n`);
    return 1;
  }
  const dir = path.resolve(outDir);
  if (check) {
    const stale = Object.entries(pages).filter(([name, text]) => {
      const target = path.join(dir, name);
      return !existsSync(target) || readFileSync(target, "utf8") !== text;
    });
    for (const [name] of stale) out(`stale: ${path.join(outDir, name)}\n`);
    // Pages of things the provider no longer has.
    const extra = ["index.md", ...PAGE_FOLDERS.flatMap((folder) => pagesIn(dir, folder))].filter(
      (name) => existsSync(path.join(dir, name)) && !Object.hasOwn(pages, name),
    );
    for (const name of extra) out(`not the provider's: ${path.join(outDir, name)}\n`);
    stale.push(...extra.map((name) => [name, ""] as [string, string]));
    if (stale.length > 0) {
      out(`rpcplugin docs: ${stale.length} page(s) differ from the provider's schemas; run rpcplugin docs without --check and commit\n`);
      return 1;
    }
    out(`${Object.keys(pages).length} pages current in ${outDir}\n`);
    return 0;
  }
  for (const [name, text] of Object.entries(pages)) {
    const target = path.join(dir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
    out(`wrote ${path.join(outDir, name)}\n`);
  }
  return 0;
}
