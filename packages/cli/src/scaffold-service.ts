/**
 * Reads a service out of protoc-gen-rpcplugin's output: the `XHandler`
 * interface is the contract a plugin implements, so the scaffold copies its
 * method names, parameter and return types (as written, aliases included)
 * and TSDoc, and the imports those types need.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { type InterfaceDeclaration, type JSDocableNode, Node, type Project, type SourceFile, type TypeNode } from "ts-morph";

/** How an RPC streams, as the handler's signature says. */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** One method of the handler interface. */
export interface HandlerMethod {
  /** The method name as written in the interface: `get`, `constructor$`, `"new"`. */
  readonly name: string;
  /** The name's value, to compare with class members: `get`, `new`. */
  readonly key: string;
  /** The RPC's full name: `kv.v1.KV.Get`. */
  readonly rpc: string;
  readonly kind: MethodKind;
  /** Parameters as written: `request: GetRequest`. */
  readonly parameters: readonly { name: string; type: string }[];
  /** The return type an `async` (generator) method declares: `Promise<…>` or `AsyncIterable<…>`. */
  readonly returnType: string;
  /** The RPC's comment (description lines of the TSDoc). */
  readonly doc: readonly string[];
  readonly deprecated: boolean;
  /** Local names the signature uses that come from imports of the generated file. */
  readonly imports: readonly string[];
}

/** A name the generated file imports. */
export interface ImportedName {
  /** The exported name (`Thing`, for `Thing as Thing$1`). */
  readonly name: string;
  /** The module: a package specifier, or the absolute path a relative specifier points to (as written, with its extension). */
  readonly module: string;
  readonly relative: boolean;
}

/** A service found in the generated code. */
export interface FoundService {
  readonly fullName: string;
  readonly shortName: string;
  /** The generated `_rpcplugin.ts` (or `.d.ts`) file. */
  readonly file: string;
  /** How the generated file is imported, without extension: `/abs/gen/kv/v1/kv_rpcplugin`. */
  readonly fileBase: string;
  /** The import extension the generated code uses: `.js`, `.ts` or none. */
  readonly importExtension: string;
  readonly handler: string;
  readonly plugin: string;
  /** Where `definePlugin` comes from (the runtime the generated code uses). */
  readonly runtime: ImportedName;
  readonly methods: readonly HandlerMethod[];
  /** Local names of the generated file's imports. */
  readonly imports: ReadonlyMap<string, ImportedName>;
}

/** A failure the user can fix; the message says how. */
export class ScaffoldError extends Error {
  override name = "ScaffoldError";
}

const GENERATED = /_rpcplugin\.(?:d\.)?ts$/;

/** Every generated `_rpcplugin` file under `dir` (node_modules skipped). */
export function findGeneratedFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => GENERATED.test(file) && !file.split(sep).includes("node_modules"))
    .map((file) => join(dir, file));
  // A js+dts target writes both x_rpcplugin.js and .d.ts; a ts target only .ts. Prefer .ts.
  return files.filter((file) => !file.endsWith(".d.ts") || !files.includes(file.replace(/\.d\.ts$/, ".ts"))).sort();
}

/** The services of the generated files, by full name. */
export function listServices(project: Project, files: readonly string[]): Map<string, { file: SourceFile; handler: InterfaceDeclaration }> {
  const services = new Map<string, { file: SourceFile; handler: InterfaceDeclaration }>();
  for (const path of files) {
    const file = project.addSourceFileAtPath(path);
    for (const declaration of file.getInterfaces()) {
      const from = generatedFrom(declaration, "service");
      if (from !== undefined && declaration.isExported()) services.set(from, { file, handler: declaration });
    }
  }
  return services;
}

/** Finds `wanted` (full name `pkg.Svc`, or the short name when it is unique) in the generated files. */
export function findService(project: Project, files: readonly string[], wanted: string): FoundService | { candidates: string[]; all: string[] } {
  const services = listServices(project, files);
  const all = [...services.keys()].sort();
  let fullName = services.has(wanted) ? wanted : undefined;
  if (fullName === undefined) {
    const short = all.filter((name) => name.slice(name.lastIndexOf(".") + 1) === wanted);
    if (short.length !== 1) return { candidates: short, all };
    fullName = short[0];
  }
  const { file, handler } = services.get(fullName!)!;
  return readService(file, handler, fullName!);
}

function readService(file: SourceFile, handler: InterfaceDeclaration, fullName: string): FoundService {
  const imports = new Map<string, ImportedName>();
  let importExtension: string | undefined;
  for (const declaration of file.getImportDeclarations()) {
    const specifier = declaration.getModuleSpecifierValue();
    const isRelative = specifier.startsWith("./") || specifier.startsWith("../");
    if (isRelative && importExtension === undefined) importExtension = /\.(?:js|ts|mjs|cjs|mts|cts)$/.exec(specifier)?.[0] ?? "";
    const module = isRelative ? resolve(dirname(file.getFilePath()), specifier) : specifier;
    for (const named of declaration.getNamedImports()) {
      imports.set(named.getAliasNode()?.getText() ?? named.getName(), { name: named.getName(), module, relative: isRelative });
    }
  }
  const plugin = file
    .getVariableStatements()
    .find((statement) => statement.isExported() && generatedFrom(statement, "service") === fullName)
    ?.getDeclarations()[0]
    ?.getName();
  const runtime = [...imports.values()].find((imported) => imported.name === "definePlugin");
  if (plugin === undefined || runtime === undefined) {
    throw new ScaffoldError(`${file.getFilePath()} has ${handler.getName()} but no plugin definition of ${fullName}: is it protoc-gen-rpcplugin's output?`);
  }
  const methods: HandlerMethod[] = [];
  for (const method of handler.getMethods()) {
    const rpc = generatedFrom(method, "rpc") ?? `${fullName}.${method.getName()}`;
    const parameters = method.getParameters().map((parameter) => ({ name: parameter.getName(), type: parameter.getTypeNode()?.getText() ?? "unknown" }));
    const first = method.getParameters()[0]?.getTypeNode();
    const returns = method.getReturnTypeNode();
    const requestStream = first !== undefined && isAsyncIterable(first);
    const responseStream = returns !== undefined && isAsyncIterable(returns);
    const kind: MethodKind = requestStream ? (responseStream ? "bidi_streaming" : "client_streaming") : responseStream ? "server_streaming" : "unary";
    const used = new Set<string>();
    for (const node of [...method.getParameters().map((parameter) => parameter.getTypeNode()), returns]) {
      if (node === undefined) continue;
      for (const identifier of [node, ...node.getDescendants()].filter(Node.isIdentifier)) {
        const parent = identifier.getParent();
        // Only the leftmost name of `A.B` is a binding.
        if (Node.isQualifiedName(parent) && parent.getRight() === identifier) continue;
        if (imports.has(identifier.getText())) used.add(identifier.getText());
      }
    }
    const { doc, deprecated } = readDoc(method);
    const nameNode = method.getNameNode();
    methods.push({
      name: nameNode.getText(),
      key: Node.isStringLiteral(nameNode) ? nameNode.getLiteralValue() : nameNode.getText(),
      rpc,
      kind,
      parameters,
      returnType: implementationReturnType(returns, responseStream),
      doc,
      deprecated,
      imports: [...used],
    });
  }
  const path = file.getFilePath();
  return {
    fullName,
    shortName: fullName.slice(fullName.lastIndexOf(".") + 1),
    file: path,
    fileBase: path.replace(/(?:\.d)?\.ts$/, ""),
    importExtension: importExtension ?? ".js",
    handler: handler.getName(),
    plugin,
    runtime,
    methods,
    imports,
  };
}

/** `@generated from service x.y.Z` / `@generated from rpc x.y.Z.M` in a node's TSDoc. */
function generatedFrom(node: JSDocableNode, what: "service" | "rpc"): string | undefined {
  for (const doc of node.getJsDocs()) {
    const match = new RegExp(`@generated from ${what} (\\S+)`).exec(doc.getText());
    if (match) return match[1];
  }
  return undefined;
}

function readDoc(node: JSDocableNode): { doc: string[]; deprecated: boolean } {
  const text = node.getJsDocs()[0]?.getText() ?? "";
  const lines = text
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*\* ?/, "").trimEnd());
  const tag = lines.findIndex((line) => line.startsWith("@"));
  const doc = (tag === -1 ? lines : lines.slice(0, tag)).join("\n").trim();
  return { doc: doc === "" ? [] : doc.split("\n"), deprecated: lines.some((line) => /^@deprecated\b/.test(line)) };
}

function isAsyncIterable(node: TypeNode): boolean {
  return Node.isTypeReference(node) && node.getTypeName().getText() === "AsyncIterable";
}

/** `Promise<R> | R` → `Promise<R>` (an async method returns a promise); `AsyncIterable<R>` as it is. */
function implementationReturnType(node: TypeNode | undefined, stream: boolean): string {
  if (node === undefined) return stream ? "AsyncIterable<unknown>" : "Promise<unknown>";
  if (stream) return node.getText();
  if (Node.isUnionTypeNode(node)) {
    const promise = node.getTypeNodes().find((member) => Node.isTypeReference(member) && member.getTypeName().getText() === "Promise");
    if (promise) return promise.getText();
  }
  if (Node.isTypeReference(node) && node.getTypeName().getText() === "Promise") return node.getText();
  return `Promise<${node.getText()}>`;
}

/** A module specifier for `target` (an absolute path without or with extension) as seen from `fromFile`. */
export function relativeSpecifier(fromFile: string, target: string): string {
  let path = relative(dirname(fromFile), target).split(sep).join("/");
  if (!path.startsWith("../")) path = `./${path}`;
  return path;
}
