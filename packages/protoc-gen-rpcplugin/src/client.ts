/**
 * `KVClient`: the class hosts call, one method per RPC delegating to the
 * runtime's `createClient`. The runtime client sits in a `#private` field,
 * so no RPC name can clash with a member.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable, Target } from "@bufbuild/protoplugin";
import { serviceDoc } from "./docs.js";
import { methodMessages, streamsRequests, streamsResponses } from "./messages.js";
import type { ServiceNames } from "./names.js";
import type { FileSymbols } from "./symbols.js";

export function printClient(f: GeneratedFile, symbols: FileSymbols, service: DescService, names: ServiceNames, target: Target): void {
  const role = `A client of ${service.name}, over the plugin's connection: what \`dispense()\` returns for \`${names.plugin}\`.`;
  f.print(f.jsDoc(serviceDoc(service, role)));
  if (service.methods.length === 0) {
    // Nothing to call: no runtime client either (an unread #private field fails noUnusedLocals).
    f.print(f.export(target === "dts" ? "declare class" : "class", names.client), " {");
    f.print("  constructor(_transport", target === "js" ? "" : [": ", symbols.Transport], ")", target === "dts" ? ";" : " {}");
    f.print("}");
    f.print();
    return;
  }
  const descriptor = symbols.service(service, target === "dts");
  switch (target) {
    case "ts":
      f.print(f.export("class", names.client), " {");
      f.print("  readonly #client: ", symbols.ServiceClient, "<typeof ", descriptor, ">;");
      f.print();
      f.print("  constructor(", symbols.transport, ": ", symbols.Transport, ") {");
      f.print("    this.#client = ", symbols.createClient, "(", descriptor, ", ", symbols.transport, ");");
      f.print("  }");
      break;
    case "js":
      f.print(f.export("class", names.client), " {");
      f.print("  #client;");
      f.print();
      f.print("  constructor(", symbols.transport, ") {");
      f.print("    this.#client = ", symbols.createClient, "(", descriptor, ", ", symbols.transport, ");");
      f.print("  }");
      break;
    case "dts":
      f.print(f.export("declare class", names.client), " {");
      f.print("  #private;");
      f.print();
      f.print("  constructor(", symbols.transport, ": ", symbols.Transport, ");");
      break;
  }
  for (const method of service.methods) {
    f.print();
    f.print(f.jsDoc(method, "  "));
    const parameter = streamsRequests(method) ? "requests" : "request";
    const name = clientMethodName(method.localName);
    const call = ["this.#client.", name, "(", parameter, ", options)"];
    switch (target) {
      case "ts":
        f.print("  ", signature(symbols, method), " {");
        f.print("    return ", call, ";");
        f.print("  }");
        break;
      case "js":
        f.print("  ", name, "(", parameter, ", options) {");
        f.print("    return ", call, ";");
        f.print("  }");
        break;
      case "dts":
        f.print("  ", signature(symbols, method), ";");
        break;
    }
  }
  f.print("}");
  f.print();
}

/**
 * A client method's name: the RPC's `localName`, except `then`, which becomes
 * `then$` (as in the runtime's `createClient`): a client with a `then` method
 * would be taken for a promise, and awaiting it would call the RPC.
 */
function clientMethodName(localName: string): string {
  return localName === "then" ? "then$" : localName;
}

/** `get(request: MessageInitShape<typeof GetRequestSchema>, options?: CallOptions): Promise<GetResponse>` */
function signature(symbols: FileSymbols, method: DescMethod): Printable {
  const { requestInit, response } = methodMessages(symbols, method);
  const input: Printable = streamsRequests(method)
    ? ["requests: ", symbols.AsyncIterable, "<", requestInit, "> | ", symbols.Iterable, "<", requestInit, ">"]
    : ["request: ", requestInit];
  const output: Printable = streamsResponses(method) ? [symbols.AsyncIterable, "<", response, ">"] : [symbols.Promise, "<", response, ">"];
  return [clientMethodName(method.localName), "(", input, ", options?: ", symbols.CallOptions, "): ", output];
}
