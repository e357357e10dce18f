/**
 * `rpcplugin scaffold <service>`: writes a plugin implementation of a service
 * (a class implementing the generated `XHandler`, one stub per RPC, and the
 * `serve()` call) and a host that launches it. Run again after the proto
 * changed, it adds the stubs of new RPCs and reports the ones that are gone,
 * leaving everything else in the file as it was.
 *
 * The service is read from protoc-gen-rpcplugin's output (ts-morph), not
 * from the protos: the handler interface is exactly what the class must
 * satisfy (names after escaping, aliased imports, import extension, runtime
 * module), so nothing has to be derived again, and no `buf` is needed here.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { Project } from "ts-morph";
import { mergeImplementation } from "./scaffold-merge.js";
import { newHandshake, readHandshake, renderHost, renderImplementation, snakeCase, uniqueName } from "./scaffold-render.js";
import { type FoundService, findGeneratedFiles, findService, ScaffoldError } from "./scaffold-service.js";

export const SCAFFOLD_USAGE = `  rpcplugin scaffold <service> [--gen DIR] [--proto-dir DIR] [--out FILE] [--host-out FILE] [--name NAME]
      Write a plugin implementation of <service> (full name pkg.Service, or its short name) from the
      code protoc-gen-rpcplugin generated under --gen (default gen): a class implementing the
      service's handler with a stub per RPC, and the serve() call (--out, default
      src/<service>-plugin.ts); and a host that launches it (--host-out, default src/<service>-host.ts).
      Run it again after the proto changed: it adds the missing methods, keeps yours byte for byte,
      and lists the ones no longer in the proto without deleting them. --proto-dir (default proto)
      is only read to tell when the generated code is older than the protos. --name is the plugin
      name in \`plugins: { name: ... }\` (default: the service name in snake_case).
`;

/** Runs `scaffold`; returns the exit code. */
export async function scaffold(argv: readonly string[], out: (text: string) => void, cwd: string = process.cwd()): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    out(`rpcplugin scaffold: ${(error as Error).message}\n\nUsage:\n${SCAFFOLD_USAGE}`);
    return 2;
  }
  try {
    run(args, argv, out, cwd);
    return 0;
  } catch (error) {
    if (!(error instanceof ScaffoldError)) throw error;
    out(`rpcplugin scaffold: ${error.message}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      gen: { type: "string" },
      "proto-dir": { type: "string" },
      out: { type: "string" },
      "host-out": { type: "string" },
      name: { type: "string" },
    },
  });
  if (positionals.length !== 1)
    throw new Error(positionals.length === 0 ? "which service? Name it (pkg.Service or Service)" : `one service at a time (got ${positionals.join(", ")})`);
  return { service: positionals[0]!, ...values };
}

function run(args: ReturnType<typeof parse>, argv: readonly string[], out: (text: string) => void, cwd: string): void {
  const show = (path: string) => relative(cwd, path).split(sep).join("/") || ".";
  const genDir = resolve(cwd, args.gen ?? "gen");
  const protoDir = resolve(cwd, args["proto-dir"] ?? "proto");
  if (args["proto-dir"] !== undefined && !existsSync(protoDir)) throw new ScaffoldError(`--proto-dir ${show(protoDir)} does not exist`);
  const protos = listProtos(protoDir);
  const files = findGeneratedFiles(genDir);
  if (files.length === 0) {
    throw new ScaffoldError(
      `no generated code: ${show(genDir)} has no *_rpcplugin.ts files` +
        (protos.length > 0 ? ` (${show(protoDir)} has ${protos.length} .proto file${protos.length === 1 ? "" : "s"})` : "") +
        `. Run \`buf generate\` with protoc-gen-es and protoc-gen-rpcplugin in buf.gen.yaml (both with out: ${show(genDir)}, opt: [target=ts, import_extension=js]), or point --gen at where they write.`,
    );
  }

  const project = new Project({ skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true, skipLoadingLibFiles: true, compilerOptions: {} });
  const found = findService(project, files, args.service);
  if (!("fullName" in found)) {
    if (found.candidates.length > 1) {
      throw new ScaffoldError(`more than one service is called ${JSON.stringify(args.service)}: ${found.candidates.join(", ")}. Give the full name.`);
    }
    const inProto = protos.find((file) =>
      new RegExp(`^\\s*service\\s+${escapeRegExp(args.service.slice(args.service.lastIndexOf(".") + 1))}\\s*\\{`, "m").test(readFileSync(file, "utf8")),
    );
    throw new ScaffoldError(
      `no service ${JSON.stringify(args.service)} in the generated code under ${show(genDir)}. ` +
        `Services found: ${found.all.length > 0 ? found.all.join(", ") : "none"}.` +
        (inProto ? ` ${show(inProto)} declares it: run \`buf generate\` to regenerate the code.` : ""),
    );
  }
  const service: FoundService = found;
  const stale = protos.filter((file) => statSync(file).mtimeMs > statSync(service.file).mtimeMs);
  if (stale.length > 0) {
    out(
      `warning: ${stale.map(show).join(", ")} changed after ${show(service.file)} was generated: run \`buf generate\` first, or this follows the old service.\n`,
    );
  }

  const kebab = snakeCase(service.shortName).replaceAll("_", "-");
  const pluginName = args.name ?? snakeCase(service.shortName);
  const file = resolve(cwd, args.out ?? join("src", `${kebab}-plugin.ts`));
  const hostFile = resolve(cwd, args["host-out"] ?? join("src", `${kebab}-host.ts`));
  const command = ["rpcplugin scaffold", ...argv.map((arg) => (/^[\w./=:@-]+$/.test(arg) ? arg : JSON.stringify(arg)))].join(" ");
  out(`service: ${service.fullName} (${service.handler} in ${show(service.file)})\n`);

  let implementation: string;
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    const result = mergeImplementation(project, file, text, service);
    implementation = result.text ?? text;
    if (result.text !== undefined) writeFileSync(file, result.text);
    out(`${result.text !== undefined ? "updated" : "up to date"}: ${show(file)} (class ${result.className})\n`);
    for (const method of service.methods) out(`${result.added.includes(method.name) ? "added" : "kept"}: ${method.name}\n`);
    for (const name of result.stale) out(`stale (not in the proto any more, left in place): ${name}\n`);
  } else {
    const taken = new Set([...service.methods.flatMap((method) => method.imports), service.handler, service.plugin]);
    const className = uniqueName(`${service.shortName}Impl`, taken);
    implementation = renderImplementation(service, { file, hostFile, className, pluginName, handshake: newHandshake(service), command });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, implementation);
    out(`created: ${show(file)} (class ${className} implements ${service.handler})\n`);
    for (const method of service.methods) out(`added: ${method.name}\n`);
  }

  if (existsSync(hostFile)) {
    out(`host: ${show(hostFile)} exists, left as it is\n`);
  } else {
    const handshake = readHandshake(implementation) ?? newHandshake(service);
    mkdirSync(dirname(hostFile), { recursive: true });
    writeFileSync(hostFile, renderHost(service, { file: hostFile, implementationFile: file, pluginName, handshake }));
    out(`created: ${show(hostFile)} (host: launches the compiled plugin and calls it)\n`);
  }
}

function listProtos(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".proto") && !file.split(sep).includes("node_modules"))
    .map((file) => join(dir, file))
    .sort();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
