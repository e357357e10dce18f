/**
 * The text `rpcplugin scaffold` writes: the plugin implementation (a class
 * implementing the generated handler, one stub per RPC, and the `serve()`
 * call) and a host that launches it and makes one call.
 */
import { randomBytes } from "node:crypto";
import type { FoundService, HandlerMethod, ImportedName } from "./scaffold-service.js";
import { relativeSpecifier } from "./scaffold-service.js";

/** The magic cookie host and plugin share. */
export interface Handshake {
  readonly key: string;
  readonly value: string;
}

/** A fresh cookie: the key names the service, the value is random. */
export function newHandshake(service: FoundService): Handshake {
  return { key: `${snakeCase(service.shortName).toUpperCase()}_PLUGIN`, value: randomBytes(16).toString("hex") };
}

/** The cookie of an existing implementation file, so that a new host matches it. */
export function readHandshake(text: string): Handshake | undefined {
  const key = /magicCookieKey:\s*"([^"]*)"/.exec(text)?.[1];
  const value = /magicCookieValue:\s*"([^"]*)"/.exec(text)?.[1];
  return key !== undefined && value !== undefined ? { key, value } : undefined;
}

/** `EchoService` → `echo_service`, `KV` → `kv`, `HTTPGateway` → `http_gateway`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** The names an implementation file refers to (each may have been renamed to avoid a clash). */
export interface LocalNames {
  readonly RpcError: string;
  readonly Code: string;
}

/** One method stub, indented by `indent` (the class body's indentation). */
export function renderMethod(service: FoundService, method: HandlerMethod, names: LocalNames, indent: string, newline = "\n"): string {
  const lines: string[] = [];
  const rpcName = `${service.shortName}.${method.rpc.slice(method.rpc.lastIndexOf(".") + 1)}`;
  lines.push("/**");
  for (const line of method.doc) lines.push(line === "" ? " *" : ` * ${line}`);
  if (method.doc.length > 0) lines.push(" *");
  lines.push(` * Implements rpc ${method.rpc} (${method.kind.replace("_", " ")}).`);
  if (method.deprecated) lines.push(" * @deprecated");
  lines.push(" */");
  const generator = method.kind === "server_streaming" || method.kind === "bidi_streaming";
  const parameters = method.parameters.map(({ name, type }) => `${name}: ${type}`).join(", ");
  lines.push(`async ${generator ? "*" : ""}${method.name}(${parameters}): ${method.returnType} {`);
  lines.push(`${indent}// TODO: implement ${method.rpc}${generator ? " (yield each response)" : ""}`);
  lines.push(`${indent}throw new ${names.RpcError}(${JSON.stringify(`${rpcName} is not implemented yet`)}, ${names.Code}.UNIMPLEMENTED);`);
  lines.push("}");
  return lines.map((line) => (line === "" ? line : indent + line)).join(newline);
}

/** Named imports by module specifier, type-only or not. */
class Imports {
  readonly #modules = new Map<string, { values: Set<string>; types: Set<string> }>();

  add(specifier: string, name: string, local: string, typeOnly: boolean): void {
    let entry = this.#modules.get(specifier);
    if (!entry) this.#modules.set(specifier, (entry = { values: new Set(), types: new Set() }));
    (typeOnly ? entry.types : entry.values).add(name === local ? name : `${name} as ${local}`);
  }

  render(): string {
    const order = (specifier: string) => (specifier.startsWith("node:") ? 0 : specifier.startsWith(".") ? 2 : 1);
    const specifiers = [...this.#modules.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    const lines: string[] = [];
    for (const specifier of specifiers) {
      const { values, types } = this.#modules.get(specifier)!;
      const list = (names: Set<string>) => [...names].sort().join(", ");
      if (values.size > 0) lines.push(`import { ${list(values)} } from "${specifier}";`);
      if (types.size > 0) lines.push(`import type { ${list(types)} } from "${specifier}";`);
    }
    return lines.join("\n");
  }
}

/** The specifier `fromFile` uses for a name the generated file imports. */
export function specifierFor(fromFile: string, imported: ImportedName): string {
  return imported.relative ? relativeSpecifier(fromFile, imported.module) : imported.module;
}

/** The specifier `fromFile` uses for the generated `_rpcplugin` file. */
export function generatedSpecifier(fromFile: string, service: FoundService): string {
  return relativeSpecifier(fromFile, service.fileBase + service.importExtension);
}

/** A name not in `taken`: `name`, else `name$1`, `name$2`… */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 1; ; i++) if (!taken.has(`${name}$${i}`)) return `${name}$${i}`;
}

export interface ImplementationOptions {
  readonly file: string;
  readonly hostFile: string;
  readonly className: string;
  readonly pluginName: string;
  readonly handshake: Handshake;
  readonly command: string;
}

/** The implementation file, for a service scaffolded for the first time. */
export function renderImplementation(service: FoundService, options: ImplementationOptions): string {
  const imports = new Imports();
  const taken = new Set<string>([service.handler, service.plugin, options.className, "handshake"]);
  for (const method of service.methods) {
    for (const local of method.imports) {
      const imported = service.imports.get(local)!;
      imports.add(specifierFor(options.file, imported), imported.name, local, true);
      taken.add(local);
    }
  }
  const runtime = specifierFor(options.file, service.runtime);
  const local = (name: string) => {
    const chosen = uniqueName(name, taken);
    taken.add(chosen);
    imports.add(runtime, name, chosen, false);
    return chosen;
  };
  const names: LocalNames = { RpcError: local("RpcError"), Code: local("Code") };
  const serve = local("serve");
  const generated = generatedSpecifier(options.file, service);
  imports.add(generated, service.handler, service.handler, true);
  imports.add(generated, service.plugin, service.plugin, false);
  const methods = service.methods.map((method) => renderMethod(service, method, names, "  ")).join("\n\n");
  return `// The plugin side of ${service.fullName}, scaffolded by \`rpcplugin scaffold\`.
// Run \`${options.command}\` again after the proto changes (and \`buf generate\`):
// it adds the methods the service gained and leaves the existing ones alone.
${imports.render()}

/** Serves ${service.fullName}: fill in the methods. Keep helpers \`private\`: public methods that are not RPCs are reported as stale. */
export class ${options.className} implements ${service.handler} {
${methods}
}

// The magic cookie: the host (${relativeSpecifier(options.file, options.hostFile)}) must send the same one. It is not a
// secret; it only tells a program started by hand that it is a plugin. Change it in both files if you like.
const handshake = { magicCookieKey: ${JSON.stringify(options.handshake.key)}, magicCookieValue: ${JSON.stringify(options.handshake.value)} };

await ${serve}({
  handshake,
  plugins: { ${propertyName(options.pluginName)}: ${service.plugin}.server(new ${options.className}()) },
});
`;
}

export interface HostOptions {
  readonly file: string;
  readonly implementationFile: string;
  readonly pluginName: string;
  readonly handshake: Handshake;
}

/** A host that launches the compiled plugin, dispenses the service and makes one call. */
export function renderHost(service: FoundService, options: HostOptions): string {
  const imports = new Imports();
  imports.add("node:url", "fileURLToPath", "fileURLToPath", false);
  imports.add(specifierFor(options.file, service.runtime), "startPlugin", "startPlugin", false);
  imports.add(generatedSpecifier(options.file, service), service.plugin, service.plugin, false);
  const plugin = relativeSpecifier(options.file, options.implementationFile).replace(/\.(?:m|c)?ts$/, ".js");
  const client = identifierLike(snakeCase(service.shortName).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
  // Prefer a unary call for the example: it needs no stream handling.
  const order = ["unary", "server_streaming", "client_streaming", "bidi_streaming"];
  const example = [...service.methods].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))[0];
  let call = `// ${service.fullName} has no methods yet.`;
  if (example) {
    const access = /^[A-Za-z_$][\w$]*$/.test(example.name) ? `${client}.${example.name}` : `${client}[${example.name}]`;
    call = {
      unary: `console.log(await ${access}({}));`,
      server_streaming: `for await (const response of ${access}({})) console.log(response);`,
      client_streaming: `console.log(await ${access}([{}]));`,
      bidi_streaming: `for await (const response of ${access}([{}])) console.log(response);`,
    }[example.kind];
    call = `// ${example.rpc}: fill in the request.\n${call}`;
  }
  return `// A host for ${service.fullName}, scaffolded by \`rpcplugin scaffold\`: it launches the plugin
// (${plugin.replace(/\.js$/, ".ts")}, compiled next to this file) with \`node\` and calls it.
${imports.render()}

await using plugin = await startPlugin({
  command: process.execPath,
  args: [fileURLToPath(new URL(${JSON.stringify(plugin)}, import.meta.url))],
  handshake: { magicCookieKey: ${JSON.stringify(options.handshake.key)}, magicCookieValue: ${JSON.stringify(options.handshake.value)} },
  plugins: { ${propertyName(options.pluginName)}: ${service.plugin} },
  syncStdout: process.stdout, // what the plugin prints (console.log) comes over GRPCStdio
  syncStderr: process.stderr,
});
const ${client} = plugin.dispense(${JSON.stringify(options.pluginName)});
${call}
// Leaving the scope stops the plugin: Controller.Shutdown, a grace period, then SIGKILL.
`;
}

function propertyName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await plugin".split(
    " ",
  ),
);

function identifierLike(name: string): string {
  const id = /^[A-Za-z_$]/.test(name) ? name : `_${name}`;
  return RESERVED.has(id) ? `${id}Client` : id;
}
