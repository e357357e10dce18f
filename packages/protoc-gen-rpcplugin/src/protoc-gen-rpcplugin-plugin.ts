/**
 * protoc-gen-rpcplugin: for each proto file with services, a
 * `<file>_rpcplugin.ts` (or `.js` + `.d.ts`) next to protoc-gen-es's
 * `<file>_pb.ts`, holding per service a handler interface, a client class
 * and a plugin definition. Everything they do is done by @rpcplugin/runtime;
 * the generated code only names and types it.
 */
import { readFileSync } from "node:fs";
import type { Schema, Target } from "@bufbuild/protoplugin";
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { printClient } from "./client.js";
import { printHandler } from "./handler.js";
import { generatedFileBase, serviceNames } from "./names.js";
import { type Options, parseOptions } from "./options.js";
import { printPluginDefinition } from "./plugin-definition.js";
import { fileSymbols, ImportCache } from "./symbols.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

export const protocGenRpcplugin = createEcmaScriptPlugin<Options>({
  name: "protoc-gen-rpcplugin",
  version: `v${version}`,
  parseOptions,
  generateTs: (schema) => generate(schema, "ts"),
  generateJs: (schema) => generate(schema, "js"),
  generateDts: (schema) => generate(schema, "dts"),
});

const extensions: Record<Target, string> = { ts: ".ts", js: ".js", dts: ".d.ts" };

function generate(schema: Schema<Options>, target: Target): void {
  const imports = new ImportCache();
  for (const file of schema.files) {
    // A file without services gets no file at all (not even an empty one).
    if (file.services.length === 0) continue;
    const f = schema.generateFile(generatedFileBase(file) + extensions[target]);
    f.preamble(file);
    const symbols = fileSymbols(f, file, schema.options, imports);
    for (const service of file.services) {
      const names = serviceNames(service);
      if (target !== "js") printHandler(f, symbols, service, names);
      printClient(f, symbols, service, names, target);
      printPluginDefinition(f, symbols, service, names, target);
    }
  }
}
