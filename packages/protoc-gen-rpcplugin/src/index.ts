/**
 * @rpcplugin/protoc-gen-rpcplugin — the code generator as a protoplugin
 * `Plugin` (`run(CodeGeneratorRequest)`); the `protoc-gen-rpcplugin` bin
 * runs it on stdin/stdout for protoc and buf.
 */
export { protocGenRpcplugin } from "./protoc-gen-rpcplugin-plugin.js";
export { type Options, parseOptions, DEFAULT_RUNTIME_IMPORT } from "./options.js";
