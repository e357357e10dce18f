/**
 * The plugin's own options (`opt:` in buf.gen.yaml, `--rpcplugin_opt` for
 * protoc). The standard ECMAScript plugin options (`target`,
 * `import_extension`, `js_import_style`, ...) are parsed by protoplugin
 * before these; anything else is refused, so a typo never goes unnoticed.
 */

/** Options of protoc-gen-rpcplugin. */
export interface Options {
  /**
   * The module the generated code imports `createClient`, `definePlugin` and
   * the call types from. Default `@rpcplugin/runtime`. A path starting with
   * `./` or `../` is relative to the output directory (protoplugin
   * re-relativizes it for each generated file): for code generated inside the
   * runtime itself, e.g. `runtime_import=../index.js` into `src/gen`.
   */
  runtimeImport: string;
}

export const DEFAULT_RUNTIME_IMPORT = "@rpcplugin/runtime";

/** Parses the options protoplugin did not recognize; throws on anything unknown. */
export function parseOptions(rawOptions: { key: string; value: string }[]): Options {
  const options: Options = { runtimeImport: DEFAULT_RUNTIME_IMPORT };
  for (const { key, value } of rawOptions) {
    switch (key) {
      case "runtime_import":
        if (value.trim() === "") {
          throw new Error(`runtime_import needs a module, e.g. runtime_import=${DEFAULT_RUNTIME_IMPORT}`);
        }
        options.runtimeImport = value;
        break;
      default:
        throw new Error(
          `unknown option "${key}"; protoc-gen-rpcplugin accepts runtime_import plus the standard options ` +
            "target, import_extension, js_import_style, ts_nocheck, elide_plugin_version, keep_empty_files, rewrite_imports",
        );
    }
  }
  return options;
}
