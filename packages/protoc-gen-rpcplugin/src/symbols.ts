/**
 * The symbols generated code refers to, made once per generated file.
 * Printing an ImportSymbol (instead of a bare name) lets protoplugin add the
 * import and rename it if it clashes with a declaration or another import.
 */
import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
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
  /** The runtime's `Transport` (an h2 engine channel or a grpc-js `Client`): the connection a client class is made over. */
  readonly Transport: ImportSymbol;
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
  /** The protoc-gen-es shape of a message (`GetRequest`), type-only. */
  shape(message: DescMessage): ImportSymbol;
  /** The protoc-gen-es descriptor of a message (`GetRequestSchema`), type-only: for `typeof`. */
  schemaType(message: DescMessage): ImportSymbol;
  /** The protoc-gen-es descriptor of a service (`KV`), as a value or type-only. */
  service(service: DescService, typeOnly: boolean): ImportSymbol;
}

/**
 * Import symbols of protoc-gen-es declarations, made once per run.
 * protoplugin recomputes the names of a whole proto file on each
 * importShape/importSchema call, so a file with many messages costs
 * quadratic time; asking once per descriptor keeps that to what
 * protoc-gen-es itself pays. The symbols depend only on the descriptor, not
 * on the file that imports them.
 */
export class ImportCache {
  private readonly shapes = new Map<DescMessage, ImportSymbol>();
  private readonly schemaTypes = new Map<DescMessage, ImportSymbol>();
  private readonly services = new Map<DescService, ImportSymbol>();

  shape(f: GeneratedFile, message: DescMessage): ImportSymbol {
    return cached(this.shapes, message, () => f.importShape(message));
  }

  schemaType(f: GeneratedFile, message: DescMessage): ImportSymbol {
    return cached(this.schemaTypes, message, () => f.importSchema(message, true));
  }

  service(f: GeneratedFile, service: DescService, typeOnly: boolean): ImportSymbol {
    const symbol = cached(this.services, service, () => f.importSchema(service));
    return typeOnly ? symbol.toTypeOnly() : symbol;
  }
}

function cached<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

export function fileSymbols(f: GeneratedFile, file: DescFile, options: Options, imports: ImportCache): FileSymbols {
  const runtime = options.runtimeImport;
  const self = generatedImportPath(file);
  return {
    createClient: f.import("createClient", runtime),
    definePlugin: f.import("definePlugin", runtime),
    CallContext: f.import("CallContext", runtime, true),
    CallOptions: f.import("CallOptions", runtime, true),
    PluginDefinition: f.import("PluginDefinition", runtime, true),
    ServiceClient: f.import("ServiceClient", runtime, true),
    Transport: f.import("Transport", runtime, true),
    MessageInitShape: f.import("MessageInitShape", "@bufbuild/protobuf", true),
    Promise: f.import("Promise", self),
    AsyncIterable: f.import("AsyncIterable", self),
    Iterable: f.import("Iterable", self),
    transport: f.import("transport", self),
    shape: (message) => imports.shape(f, message),
    schemaType: (message) => imports.schemaType(f, message),
    service: (service, typeOnly) => imports.service(f, service, typeOnly),
  };
}
