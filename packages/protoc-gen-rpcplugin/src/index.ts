/**
 * @rpcplugin/protoc-gen-rpcplugin — the code generator as a protoplugin
 * `Plugin` (`run(CodeGeneratorRequest)`); the `protoc-gen-rpcplugin` bin
 * runs it on stdin/stdout for protoc and buf.
 */

export { DEFAULT_RUNTIME_IMPORT, type Options, parseOptions } from "./options.js";
export { protocGenRpcplugin } from "./protoc-gen-rpcplugin-plugin.js";
