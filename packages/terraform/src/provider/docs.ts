/**
 * Registry-style documentation of a provider, from its schemas and descriptions: the layout
 * and page shape the Terraform Registry reads and tfplugindocs writes (`docs/index.md`,
 * `docs/resources/<name>.md`, `docs/data-sources/`, `docs/ephemeral-resources/`,
 * `docs/functions/`), with the schema sections (Required, Optional, Read-Only, nested schemas)
 * generated and everything else left to the descriptions.
 */
import type { CtyType } from "../cty/index.js";
import type { Provider } from "./define.js";
import type { FunctionParameter, ProviderFunction } from "./functions.js";
import type { IdentityAttribute, IdentityAttributes } from "./identity.js";
import type { Attribute, Block, NestedBlock } from "./schema.js";

/** A type as the Registry's docs write it: `String`, `List of Number`, `Map of Object`, `Dynamic`. */
function typeName(type: CtyType): string {
  if (type === "string") return "String";
  if (type === "number") return "Number";
  if (type === "bool") return "Boolean";
  if (type === "dynamic") return "Dynamic";
  if ("list" in type) return `List of ${typeName(type.list)}`;
  if ("set" in type) return `Set of ${typeName(type.set)}`;
  if ("map" in type) return `Map of ${typeName(type.map)}`;
  if ("tuple" in type) return `Tuple of ${type.tuple.map(typeName).join(", ")}`;
  return "Object";
}

/** The signature form of a type: `string`, `list(number)`, `object({a=string})`. */
function signatureType(type: CtyType): string {
  if (typeof type === "string") return type;
  if ("list" in type) return `list(${signatureType(type.list)})`;
  if ("set" in type) return `set(${signatureType(type.set)})`;
  if ("map" in type) return `map(${signatureType(type.map)})`;
  if ("tuple" in type) return `tuple([${type.tuple.map(signatureType).join(", ")}])`;
  return `object({${Object.entries(type.object)
    .map(([name, t]) => `${name}=${signatureType(t)}`)
    .join(", ")}})`;
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

function frontMatter(title: string, description: string): string {
  const text = description.trim();
  const field =
    text === ""
      ? 'description: ""'
      : `description: |-\n${text
          .split("\n")
          .map((line) => `  ${line}`)
          .join("\n")}`;
  return `---\npage_title: ${JSON.stringify(title)}\nsubcategory: ""\n${field}\n---\n`;
}

function attributeLine(name: string, attribute: Attribute, anchor: string): string {
  const flags: string[] = [typeName(attribute.type)];
  if (attribute.sensitive) flags.push("Sensitive");
  if (attribute.writeOnly) flags.push("Write-only");
  if (attribute.deprecated) flags.push("Deprecated");
  let line = `- <a id="${anchor}"></a>\`${name}\` (${flags.join(", ")})`;
  if (attribute.description) line += ` ${oneLine(attribute.description)}`;
  if (typeof attribute.deprecated === "string") line += ` Deprecated: ${oneLine(attribute.deprecated)}`;
  if (attribute.writeOnly) line += " This value is not kept in plan or state.";
  if (attribute.requiresReplace) line += " Changing it replaces the resource.";
  if (attribute.default !== undefined) line += ` Defaults to \`${JSON.stringify(attribute.default)}\`.`;
  return line;
}

function nestedLine(name: string, nested: NestedBlock, anchor: string, target: string): string {
  const kind =
    nested.nesting === "single" || nested.nesting === "group"
      ? "Block"
      : `Block ${nested.nesting === "map" ? "Map" : nested.nesting === "set" ? "Set" : "List"}`;
  const bounds: string[] = [];
  if (nested.minItems) bounds.push(`Min: ${nested.minItems}`);
  if (nested.maxItems) bounds.push(`Max: ${nested.maxItems}`);
  const description = nested.block.description ? ` ${oneLine(nested.block.description)}` : "";
  return `- <a id="${anchor}"></a>\`${name}\` (${[kind, ...bounds].join(", ")})${description} (see [below for nested schema](#${target}))`;
}

/** Which section an attribute or block belongs in. */
function section(attribute: Attribute | undefined, nested: NestedBlock | undefined): "Required" | "Optional" | "Read-Only" {
  if (nested) return (nested.minItems ?? 0) > 0 ? "Required" : "Optional";
  if (attribute?.required) return "Required";
  if (attribute?.optional) return "Optional";
  return "Read-Only";
}

/**
 * The schema sections of `block` (at `path` of nested block names; the top level has headings,
 * nested levels labels, as tfplugindocs writes them); each nested block gets its own "Nested
 * Schema" section after, with anchors `nestedblock--a--b` and attribute anchors `a--b--name`.
 */
function schemaMarkdown(block: Block, path: readonly string[] = []): string {
  const top = path.length === 0;
  const out: string[] = top ? ["## Schema", ""] : [];
  const nestedSections: string[] = [];
  const entries: { name: string; attribute?: Attribute; nested?: NestedBlock }[] = [
    ...Object.entries(block.attributes).map(([name, attribute]) => ({ name, attribute })),
    ...Object.entries(block.blocks ?? {}).map(([name, nested]) => ({ name, nested })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const kind of ["Required", "Optional", "Read-Only"] as const) {
    const lines = entries
      .filter((entry) => section(entry.attribute, entry.nested) === kind)
      .map((entry) => {
        const at = [...path, entry.name];
        const anchor = at.join("--");
        if (entry.attribute?.nested) {
          const nested = entry.attribute.nested;
          const target = `nestedatt--${anchor}`;
          nestedSections.push(`<a id="${target}"></a>\n### Nested Schema for \`${at.join(".")}\`\n\n${schemaMarkdown({ attributes: nested.attributes }, at)}`);
          const kind =
            nested.nesting === "single" ? "Attributes" : `Attributes ${nested.nesting === "map" ? "Map" : nested.nesting === "set" ? "Set" : "List"}`;
          const flags = [kind, entry.attribute.sensitive ? "Sensitive" : undefined].filter(Boolean).join(", ");
          const description = entry.attribute.description ? ` ${oneLine(entry.attribute.description)}` : "";
          return `- <a id="${anchor}"></a>\`${entry.name}\` (${flags})${description} (see [below for nested schema](#${target}))`;
        }
        if (entry.attribute) return attributeLine(entry.name, entry.attribute, anchor);
        const nested = entry.nested as NestedBlock;
        const target = `nestedblock--${anchor}`;
        nestedSections.push(`<a id="${target}"></a>\n### Nested Schema for \`${at.join(".")}\`\n\n${schemaMarkdown(nested.block, at)}`);
        return nestedLine(entry.name, nested, anchor, target);
      });
    if (lines.length > 0) out.push(top ? `### ${kind}` : `${kind}:`, "", ...lines, "");
  }
  return [...out, ...nestedSections].join("\n");
}

function page(title: string, heading: string, description: string | undefined, schema: string, example?: string, identity?: string): string {
  const parts = [frontMatter(title, description ?? ""), `# ${heading}`, ""];
  if (description) parts.push(description.trim(), "");
  if (example) parts.push("## Example Usage", "", "```terraform", example.trim(), "```", "");
  parts.push("<!-- schema generated by rpcplugin docs -->", schema.trimEnd(), "");
  if (identity) parts.push(identity.trimEnd(), "");
  return parts.join("\n");
}

/** A resource's identity: how to import by it, and its attributes (required / optional for import). */
function identityMarkdown(resourceType: string, attributes: IdentityAttributes): string {
  const entries = Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1));
  const line = ([name, attribute]: [string, IdentityAttribute]) =>
    `- \`${name}\` (${typeName(attribute.type)})${attribute.description ? ` ${oneLine(attribute.description)}` : ""}`;
  const required = entries.filter(([, a]) => a.requiredForImport);
  const optional = entries.filter(([, a]) => !a.requiredForImport);
  return [
    "<!-- identity generated by rpcplugin docs -->",
    "## Import by identity",
    "",
    "Terraform and OpenTofu 1.12 and later can import by the resource's identity, in an `import` block:",
    "",
    "```terraform",
    "import {",
    `  to = ${resourceType}.example`,
    "  identity = {",
    ...required.map(([name]) => `    ${name} = ${attributes[name]?.type === "string" ? '"…"' : "…"}`),
    "  }",
    "}",
    "```",
    "",
    "### Identity Schema",
    "",
    ...(required.length > 0 ? ["#### Required", "", ...required.map(line), ""] : []),
    ...(optional.length > 0 ? ["#### Optional", "", ...optional.map(line), ""] : []),
  ].join("\n");
}

function functionPage(providerName: string, name: string, fn: ProviderFunction): string {
  const parameters: FunctionParameter[] = [...fn.parameters];
  const signatureArgs = parameters.map((p) => `${p.name} ${signatureType(p.type)}`);
  if (fn.variadic) signatureArgs.push(`${fn.variadic.name} ${signatureType(fn.variadic.type)}...`);
  const describe = (p: FunctionParameter, variadic: boolean) => {
    const flags = [variadic ? "Variadic" : undefined, typeName(p.type), p.allowNull ? "Nullable" : undefined].filter(Boolean).join(", ");
    return `1. \`${p.name}\` (${flags})${p.description ? ` ${oneLine(p.description)}` : ""}`;
  };
  const args = [...parameters.map((p) => describe(p, false)), ...(fn.variadic ? [describe(fn.variadic, true)] : [])];
  const lines = [
    frontMatter(`${name} function - ${providerName}`, fn.summary ?? ""),
    `# function: ${name}`,
    "",
    ...(fn.description ? [fn.description.trim(), ""] : fn.summary ? [fn.summary.trim(), ""] : []),
    ...(fn.deprecated ? [`~> **Deprecated:** ${oneLine(fn.deprecated)}`, ""] : []),
    "## Signature",
    "",
    "<!-- signature generated by rpcplugin docs -->",
    "```text",
    `${name}(${signatureArgs.join(", ")}) ${signatureType(fn.returns)}`,
    "```",
    "",
    "## Arguments",
    "",
    "<!-- arguments generated by rpcplugin docs -->",
    ...(args.length > 0 ? args : ["This function takes no arguments."]),
    "",
  ];
  return lines.join("\n");
}

/** Optional prose per page: a description for the provider's index page, and `.tf` examples by page path (`resources/file.md`). */
export interface DocsOptions {
  /** The index page's text (default: the provider schema's description). */
  readonly description?: string;
  /** Example configurations, keyed by page path (`index.md`, `resources/file.md`, …). */
  readonly examples?: Readonly<Record<string, string>>;
}

/**
 * The documentation pages of `provider`, keyed by path under `docs/`:
 * `index.md`, `resources/<name>.md`, `data-sources/<name>.md`,
 * `ephemeral-resources/<name>.md`, `functions/<name>.md` (names without the
 * provider's prefix, as the Registry expects).
 */
export function providerDocs(provider: Provider, options: DocsOptions = {}): Record<string, string> {
  const short = (typeName: string) => typeName.slice(provider.name.length + 1);
  const pages: Record<string, string> = {};
  const example = (file: string) => options.examples?.[file];
  pages["index.md"] = page(
    `${provider.name} Provider`,
    `${provider.name} Provider`,
    options.description ?? provider.schema.description,
    schemaMarkdown(provider.schema),
    example("index.md"),
  );
  const kinds = [
    ["resources", "Resource", provider.resources],
    ["data-sources", "Data Source", provider.dataSources],
    ["ephemeral-resources", "Ephemeral Resource", provider.ephemeralResources],
  ] as const;
  for (const [folder, label, definitions] of kinds) {
    for (const [typeName, definition] of Object.entries(definitions ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const file = `${folder}/${short(typeName)}.md`;
      const block = definition.schema as Block;
      const identity = (definition as { identity?: { attributes: IdentityAttributes } }).identity;
      pages[file] = page(
        `${typeName} ${label} - ${provider.name}`,
        `${typeName} (${label})`,
        block.description,
        schemaMarkdown(block),
        example(file),
        identity ? identityMarkdown(typeName, identity.attributes) : undefined,
      );
    }
  }
  for (const [name, fn] of Object.entries(provider.functions ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    pages[`functions/${name}.md`] = functionPage(provider.name, name, fn);
  }
  return pages;
}
