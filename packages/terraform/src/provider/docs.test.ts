import { describe, expect, it } from "vitest";
import { defineDataSource, defineProvider, defineResource } from "./define.js";
import { providerDocs } from "./docs.js";
import { defineFunction } from "./functions.js";

const provider = defineProvider({
  name: "net",
  schema: { attributes: { endpoint: { type: "string", optional: true, description: "API endpoint." } } },
  resources: {
    net_firewall: defineResource({
      schema: {
        description: "A firewall.",
        attributes: {
          name: { type: "string", required: true, requiresReplace: true },
          tags: { type: { map: "string" }, optional: true, deprecated: "use labels" },
          port: { type: "number", optional: true, computed: true, default: 443 },
          id: { type: "string", computed: true },
        },
        blocks: {
          rule: {
            nesting: "list",
            minItems: 1,
            block: {
              description: "One rule.",
              attributes: { port: { type: "number", required: true }, note: { type: "string", optional: true } },
              blocks: { source: { nesting: "single", block: { attributes: { cidrs: { type: { set: "string" }, required: true } } } } },
            },
          },
        },
      },
      identity: {
        attributes: {
          name: { type: "string", requiredForImport: true, description: "The firewall's name." },
          region: { type: "string", optionalForImport: true },
          zones: { type: { list: "string" } },
        },
        of: ({ state }) => ({ name: state.name, region: null, zones: null }),
      },
      create: () => ({}),
      delete() {},
    }),
  },
  dataSources: { net_zone: defineDataSource({ schema: { attributes: { name: { type: "string", required: true } } }, read: () => ({}) }) },
  functions: {
    cidr_hosts: defineFunction({
      summary: "Hosts of a CIDR",
      parameters: [
        { name: "cidr", type: "string", description: "A CIDR block." },
        { name: "limit", type: "number", allowNull: true },
      ],
      returns: { list: "string" },
      deprecated: "use cidrhosts",
      run: () => [],
    }),
  },
});

describe("providerDocs", () => {
  const pages = providerDocs(provider, { examples: { "resources/firewall.md": 'resource "net_firewall" "x" {\n  name = "x"\n}' } });

  it("writes one page per thing, named without the provider prefix", () => {
    expect(Object.keys(pages)).toEqual(["index.md", "resources/firewall.md", "data-sources/zone.md", "functions/cidr_hosts.md"]);
    expect(pages["index.md"]).toMatch(/^---\npage_title: "net Provider"\nsubcategory: ""\ndescription: ""\n---\n\n# net Provider\n/);
  });

  it("sections attributes into Required, Optional and Read-Only, with flags, and nested blocks into their own sections", () => {
    const page = pages["resources/firewall.md"] as string;
    expect(page).toContain('## Example Usage\n\n```terraform\nresource "net_firewall" "x" {');
    expect(page).toContain(
      '### Required\n\n- <a id="name"></a>`name` (String) Changing it replaces the resource.\n- <a id="rule"></a>`rule` (Block List, Min: 1) One rule. (see [below for nested schema](#nestedblock--rule))\n',
    );
    expect(page).toContain(
      '### Optional\n\n- <a id="port"></a>`port` (Number) Defaults to `443`.\n- <a id="tags"></a>`tags` (Map of String, Deprecated) Deprecated: use labels\n',
    );
    expect(page).toContain('### Read-Only\n\n- <a id="id"></a>`id` (String)\n');
    expect(page).toContain('<a id="nestedblock--rule"></a>\n### Nested Schema for `rule`\n\nRequired:\n\n- <a id="rule--port"></a>`port` (Number)\n');
    expect(page).toContain(
      '<a id="nestedblock--rule--source"></a>\n### Nested Schema for `rule.source`\n\nRequired:\n\n- <a id="rule--source--cidrs"></a>`cidrs` (Set of String)',
    );
    expect(page.indexOf("Nested Schema for `rule`")).toBeLessThan(page.indexOf("Nested Schema for `rule.source`"));
  });

  it("documents a resource identity after the schema: an import block by it, its attributes Required / Optional for import", () => {
    const page = pages["resources/firewall.md"] as string;
    expect(page).toContain(
      [
        "## Import by identity",
        "",
        "Terraform and OpenTofu 1.12 and later can import by the resource's identity, in an `import` block:",
        "",
        "```terraform",
        "import {",
        "  to = net_firewall.example",
        "  identity = {",
        '    name = "…"',
        "  }",
        "}",
        "```",
        "",
        "### Identity Schema",
        "",
        "#### Required",
        "",
        "- `name` (String) The firewall's name.",
        "",
        "#### Optional",
        "",
        "- `region` (String)",
        "- `zones` (List of String)",
      ].join("\n"),
    );
    expect(page.indexOf("## Import by identity")).toBeGreaterThan(page.indexOf("## Schema"));
    expect(pages["data-sources/zone.md"]).not.toContain("identity");
  });

  it("documents functions: signature, arguments, deprecation", () => {
    const page = pages["functions/cidr_hosts.md"] as string;
    expect(page).toContain("# function: cidr_hosts\n\nHosts of a CIDR\n\n~> **Deprecated:** use cidrhosts\n");
    expect(page).toContain("```text\ncidr_hosts(cidr string, limit number) list(string)\n```");
    expect(page).toContain("1. `cidr` (String) A CIDR block.\n1. `limit` (Number, Nullable)\n");
  });
});
