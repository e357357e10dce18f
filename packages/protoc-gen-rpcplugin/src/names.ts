/**
 * Every name the generator makes. Declared names are the service's proto
 * name plus a suffix, passed through protoplugin's `safeIdentifier`; the
 * distinct suffixes mean two services of one file never produce the same
 * name. Imported names (messages, the service descriptor, runtime symbols)
 * are protoplugin's business: it renames an import that clashes with a
 * declaration or another import.
 */
import type { DescFile, DescService } from "@bufbuild/protobuf";
import { safeIdentifier } from "@bufbuild/protoplugin";

/** The names declared for one service. */
export interface ServiceNames {
  /** The interface a plugin implements: `KVHandler`. */
  readonly handler: string;
  /** The class hosts call: `KVClient`. */
  readonly client: string;
  /** The plugin definition: `KVPlugin`. */
  readonly plugin: string;
}

export function serviceNames(service: DescService): ServiceNames {
  return {
    handler: safeIdentifier(`${service.name}Handler`),
    client: safeIdentifier(`${service.name}Client`),
    plugin: safeIdentifier(`${service.name}Plugin`),
  };
}

/** The file generated for a proto file, without extension: `example/v1/kv_rpcplugin`. */
export function generatedFileBase(file: DescFile): string {
  return `${file.name}_rpcplugin`;
}

/** How protoplugin names the generated file in import paths (`./example/v1/kv_rpcplugin.js`), whatever the target. */
export function generatedImportPath(file: DescFile): string {
  return `./${generatedFileBase(file)}.js`;
}
