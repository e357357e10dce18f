/**
 * `KVHandler`: the interface a plugin implements, one method per RPC, named
 * by the method's `localName` (`then` as `then$`) so that it is a
 * `Partial<ServiceHandler<typeof KV>>` for the runtime's `addService`. Types only: nothing in `.js` output.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import { serviceDoc } from "./docs.js";
import { methodMessages, streamsRequests, streamsResponses } from "./messages.js";
import type { ServiceNames } from "./names.js";
import type { FileSymbols } from "./symbols.js";

export function printHandler(f: GeneratedFile, symbols: FileSymbols, service: DescService, names: ServiceNames): void {
  const role = `What a plugin implements to serve ${service.name}: serve it with \`${names.plugin}.server(handler)\`.`;
  f.print(f.jsDoc(serviceDoc(service, role)));
  f.print(f.export("interface", names.handler), " {");
  service.methods.forEach((method, index) => {
    if (index > 0) f.print();
    const { request, responseInit } = methodMessages(symbols, method);
    const input: Printable = streamsRequests(method) ? ["requests: ", symbols.AsyncIterable, "<", request, ">"] : ["request: ", request];
    const output: Printable = streamsResponses(method)
      ? [symbols.AsyncIterable, "<", responseInit, ">"]
      : [symbols.Promise, "<", responseInit, "> | ", responseInit];
    f.print(f.jsDoc(method, "  "));
    f.print("  ", interfaceMemberName(method.localName), "(", input, ", context: ", symbols.CallContext, "): ", output, ";");
  });
  f.print("}");
  f.print();
}

/**
 * `then` becomes `then$`, as on clients and in the runtime's `ServiceHandler`:
 * a handler with a `then` method is a thenable, and `await makeHandler()`
 * would call the RPC. `new(...)` in an interface declares a construct
 * signature, not a method named `new`: quoted, it is a method. (Classes have
 * no such case, and `constructor` never gets here: protobuf-es names that RPC
 * `constructor$`.)
 */
function interfaceMemberName(localName: string): string {
  if (localName === "then") return "then$";
  return localName === "new" ? '"new"' : localName;
}
