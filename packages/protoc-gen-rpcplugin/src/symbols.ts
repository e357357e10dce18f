/**
 * The symbols generated code refers to, made once per generated file.
 * Printing an ImportSymbol (instead of a bare name) lets protoplugin add the
 * import and rename it if it clashes with a declaration or another import.
 */
import type { DescFile } from "@bufbuild/protobuf";
import type { GeneratedFile, ImportSymbol } from "@bufbuild/protoplugin";
import { generatedImportPath } from "./names.js";
import type { Options } from "./options.js";

export interface FileSymbols {
  readonly createClient: ImportSymbol;
  readonly definePlugin: ImportSymbol;
  readonly CallContext: ImportSymbol;
  readonly CallOptions: ImportSymbol;
  readonly PluginDefinition: ImportSymbol;
  readonly ServiceClient: ImportSymbol;
  /** `@grpc/grpc-js`'s `Client`: the connection a client class is made over. */
  readonly Client: ImportSymbol;
  readonly MessageInitShape: ImportSymbol;
  /**
   * Names the code uses unqualified: globals and the constructor parameter
   * read next to imports. They are symbols of the generated file itself, so
   * protoplugin counts them as taken and renames any import that would
   * shadow them (a message named `Promise`, a service named `transport`).
   */
  readonly Promise: ImportSymbol;
  readonly AsyncIterable: ImportSymbol;
  readonly Iterable: ImportSymbol;
  readonly transport: ImportSymbol;
}

export function fileSymbols(f: GeneratedFile, file: DescFile, options: Options): FileSymbols {
  const runtime = options.runtimeImport;
  const self = generatedImportPath(file);
  return {
    createClient: f.import("createClient", runtime),
    definePlugin: f.import("definePlugin", runtime),
    CallContext: f.import("CallContext", runtime, true),
    CallOptions: f.import("CallOptions", runtime, true),
    PluginDefinition: f.import("PluginDefinition", runtime, true),
    ServiceClient: f.import("ServiceClient", runtime, true),
    Client: f.import("Client", "@grpc/grpc-js", true),
    MessageInitShape: f.import("MessageInitShape", "@bufbuild/protobuf", true),
    Promise: f.import("Promise", self),
    AsyncIterable: f.import("AsyncIterable", self),
    Iterable: f.import("Iterable", self),
    transport: f.import("transport", self),
  };
}
