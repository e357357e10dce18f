/**
 * `KVPlugin`: binds the service to its client class, for hosts
 * (`plugins: { kv: KVPlugin }`, `dispense("kv")` gives a `KVClient`) and
 * plugins (`plugins: { kv: KVPlugin.server(handler) }`).
 */
import type { DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Target } from "@bufbuild/protoplugin";
import { serviceDoc } from "./docs.js";
import type { ServiceNames } from "./names.js";
import type { FileSymbols } from "./symbols.js";

export function printPluginDefinition(f: GeneratedFile, symbols: FileSymbols, service: DescService, names: ServiceNames, target: Target): void {
  const role =
    `The plugin definition of ${service.name}. Host side: \`plugins: { name: ${names.plugin} }\`, then ` +
    `\`dispense("name")\` returns an instance of ${names.client}. Plugin side: \`plugins: { name: ${names.plugin}.server(handler) }\`.`;
  f.print(f.jsDoc(serviceDoc(service, role)));
  const descriptor = symbols.service(service, target === "dts");
  const make = ["/*@__PURE__*/ ", symbols.definePlugin, "(", descriptor, ", ({ transport }) => new ", names.client, "(transport))"];
  switch (target) {
    case "ts":
      f.print(f.export("const", names.plugin), ": ", symbols.PluginDefinition, "<typeof ", descriptor, ", ", names.client, "> =");
      f.print("  ", make, ";");
      break;
    case "js":
      f.print(f.export("const", names.plugin), " =");
      f.print("  ", make, ";");
      break;
    case "dts":
      f.print(f.export("declare const", names.plugin), ": ", symbols.PluginDefinition, "<typeof ", descriptor, ", ", names.client, ">;");
      break;
  }
  f.print();
}
