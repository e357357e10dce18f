/**
 * Re-running `rpcplugin scaffold` on an existing implementation: ts-morph
 * inserts the stubs of the RPCs the class lacks (and the imports they need)
 * as text at their place, so everything else in the file — method bodies
 * above all — stays byte for byte as it was. Methods whose RPC is gone are
 * reported, never deleted.
 */
import { type ClassDeclaration, type ClassMemberTypes, IndentationText, NewLineKind, Node, type Project, QuoteKind, Scope, type SourceFile } from "ts-morph";
import { type LocalNames, renderMethod, specifierFor, uniqueName } from "./scaffold-render.js";
import { type FoundService, ScaffoldError } from "./scaffold-service.js";

export interface MergeResult {
  /** The new text, or undefined when nothing had to change. */
  readonly text: string | undefined;
  readonly added: readonly string[];
  readonly kept: readonly string[];
  readonly stale: readonly string[];
  readonly className: string;
}

/** Adds the missing methods of `service` to the class implementing its handler in `file`. */
export function mergeImplementation(project: Project, path: string, text: string, service: FoundService): MergeResult {
  const file = project.createSourceFile(path, text, { overwrite: true });
  const cls = implementingClass(file, service);
  if (!cls) {
    const classes = file.getClasses().map((c) => c.getName() ?? "(anonymous)");
    throw new ScaffoldError(
      `${path} exists but has no class implementing ${service.handler}` +
        (classes.length > 0 ? ` (classes found: ${classes.join(", ")}; add \`implements ${service.handler}\` to yours)` : "") +
        ". Pass --out to write the implementation to another file.",
    );
  }
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = memberIndentation(text, cls);
  project.manipulationSettings.set({
    indentationText:
      { "\t": IndentationText.Tab, "    ": IndentationText.FourSpaces, "        ": IndentationText.EightSpaces }[indent] ?? IndentationText.TwoSpaces,
    newLineKind: newline === "\r\n" ? NewLineKind.CarriageReturnLineFeed : NewLineKind.LineFeed,
    quoteKind: text.includes("from '") && !text.includes('from "') ? QuoteKind.Single : QuoteKind.Double,
  });

  const members = new Map<string, ClassMemberTypes>();
  for (const member of cls.getMembers()) {
    const key = memberKey(member);
    if (key !== undefined && !members.has(key)) members.set(key, member);
  }
  const wanted = new Set(service.methods.map((method) => method.key));
  const kept = service.methods.filter((method) => members.has(method.key)).map((method) => method.name);
  const stale = cls
    .getMethods()
    .filter((method) => !method.isStatic() && method.getScope() === Scope.Public && !Node.isPrivateIdentifier(method.getNameNode()))
    .map((method) => ({ key: memberKey(method), name: method.getNameNode().getText() }))
    .filter(({ key }) => key !== undefined && !wanted.has(key))
    .map(({ name }) => name);
  const missing = service.methods.filter((method) => !members.has(method.key));
  if (missing.length === 0) return { text: undefined, added: [], kept, stale, className: cls.getName() ?? "(anonymous)" };

  // Everything present before the edit must come out unchanged.
  const before = cls.getMembers().map((member) => member.getFullText());
  const names = ensureImports(
    file,
    service,
    missing.flatMap((method) => method.imports),
  );
  const body = indent;
  for (const method of missing) {
    // After the nearest preceding RPC the class has (proto order), else before the first one, else at the end.
    const index = service.methods.indexOf(method);
    const previous = service.methods
      .slice(0, index)
      .reverse()
      .map((m) => members.get(m.key))
      .find((m) => m !== undefined);
    const next = service.methods
      .slice(index + 1)
      .map((m) => members.get(m.key))
      .find((m) => m !== undefined);
    const position = previous ? previous.getChildIndex() + 1 : next ? next.getChildIndex() : cls.getMembers().length;
    const inserted = cls.insertMember(position, renderMethod(service, method, names, body, newline).replace(new RegExp(`^${body}`, "gm"), ""));
    members.set(method.key, inserted as ClassMemberTypes);
  }
  const after = new Set(cls.getMembers().map((member) => member.getFullText()));
  if (!before.every((member) => after.has(member))) {
    throw new ScaffoldError(`internal error: adding methods to ${path} would have changed existing code; the file was left as it was`);
  }
  return { text: file.getFullText(), added: missing.map((method) => method.name), kept, stale, className: cls.getName() ?? "(anonymous)" };
}

/** The indentation of the class's members as written (ts-morph's own getIndentationText() assumes its settings). */
function memberIndentation(text: string, cls: ClassDeclaration): string {
  const member = cls.getMembers()[0];
  if (!member) return "  ";
  const start = member.getStart(true);
  return /^[ \t]*/.exec(text.slice(text.lastIndexOf("\n", start - 1) + 1, start))?.[0] || "  ";
}

/** The first class whose `implements` names the handler (directly or through an import alias). */
function implementingClass(file: SourceFile, service: FoundService): ClassDeclaration | undefined {
  const aliases = new Set([service.handler]);
  for (const declaration of file.getImportDeclarations()) {
    for (const named of declaration.getNamedImports()) {
      if (named.getName() === service.handler) aliases.add(named.getAliasNode()?.getText() ?? named.getName());
    }
  }
  return file.getClasses().find((cls) =>
    cls.getImplements().some((heritage) => {
      const name = heritage.getExpression().getText();
      return aliases.has(name) || aliases.has(name.slice(name.lastIndexOf(".") + 1));
    }),
  );
}

/** The name a member answers to on an instance, or undefined for constructors, statics, private names and computed keys. */
function memberKey(member: ClassMemberTypes): string | undefined {
  if (Node.isConstructorDeclaration(member) || Node.isClassStaticBlockDeclaration(member)) return undefined;
  if ((Node.isMethodDeclaration(member) || Node.isPropertyDeclaration(member) || Node.isGetAccessorDeclaration(member)) && member.isStatic()) return undefined;
  if (!("getNameNode" in member)) return undefined;
  const name = member.getNameNode();
  if (Node.isPrivateIdentifier(name)) return undefined;
  if (Node.isIdentifier(name)) return name.getText();
  if (Node.isStringLiteral(name) || Node.isNumericLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) return name.getLiteralText();
  return undefined;
}

/** Adds the imports the new stubs need; returns the local names of RpcError and Code. */
function ensureImports(file: SourceFile, service: FoundService, types: readonly string[]): LocalNames {
  const locals = new Map<string, { name: string; specifier: string }>();
  for (const declaration of file.getImportDeclarations()) {
    for (const named of declaration.getNamedImports()) {
      locals.set(named.getAliasNode()?.getText() ?? named.getName(), { name: named.getName(), specifier: declaration.getModuleSpecifierValue() });
    }
  }
  const taken = new Set<string>([...locals.keys(), ...file.getClasses().flatMap((c) => c.getName() ?? [])]);
  for (const statement of file.getVariableStatements()) for (const declaration of statement.getDeclarations()) taken.add(declaration.getName());
  const add = (specifier: string, name: string, local: string, typeOnly: boolean) => {
    const declarations = file.getImportDeclarations().filter((d) => d.getModuleSpecifierValue() === specifier && d.getNamespaceImport() === undefined);
    const target = declarations.find((d) => d.isTypeOnly() === typeOnly) ?? declarations.find((d) => !d.isTypeOnly());
    const spec = { name, ...(local === name ? {} : { alias: local }) };
    if (target) target.addNamedImport(target.isTypeOnly() || !typeOnly ? spec : { ...spec, isTypeOnly: true });
    else file.addImportDeclaration({ moduleSpecifier: specifier, isTypeOnly: typeOnly, namedImports: [spec] });
    locals.set(local, { name, specifier });
    taken.add(local);
  };
  for (const local of new Set(types)) {
    if (locals.has(local)) continue;
    const imported = service.imports.get(local)!;
    add(specifierFor(file.getFilePath(), imported), imported.name, local, true);
  }
  const runtime = specifierFor(file.getFilePath(), service.runtime);
  const runtimeName = (name: string) => {
    for (const [local, imported] of locals) if (imported.name === name && imported.specifier === runtime) return local;
    const local = uniqueName(name, taken);
    add(runtime, name, local, false);
    return local;
  };
  return { RpcError: runtimeName("RpcError"), Code: runtimeName("Code") };
}
