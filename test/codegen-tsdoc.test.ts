// protoc-gen-rpcplugin copies proto comments into TSDoc and marks deprecated
// RPCs and services `@deprecated`. Read straight from freshly generated code
// for fixtures/codegen/proto/echo/v1/echo.proto (not from the golden files)
// with the TypeScript compiler's own JSDoc API, the one editors use for hover
// text and strikethrough.
import { protocGenRpcplugin } from "@rpcplugin/protoc-gen-rpcplugin";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { fixtureRequest } from "../fixtures/codegen/harness.js";

interface Doc {
  /** The comment text, without the tags. */
  text: string;
  deprecated: boolean;
}

/** The declarations of one generated file, by name: `X` for top-level ones, `X.method` for members. */
function declarations(parameter: string, fileName: string): Map<string, Doc> {
  const file = protocGenRpcplugin.run(fixtureRequest(["echo/v1/echo.proto"], parameter)).file.find((f) => f.name === fileName);
  if (!file) throw new Error(`${fileName} was not generated with ${parameter}`);
  const source = ts.createSourceFile(fileName, file.content, ts.ScriptTarget.Latest, true);
  const found = new Map<string, Doc>();
  const doc = (node: ts.Node): Doc => {
    const comment = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1)?.comment;
    return { text: ts.getTextOfJSDocComment(comment) ?? "", deprecated: ts.getJSDocDeprecatedTag(node) !== undefined };
  };
  for (const statement of source.statements) {
    if ((ts.isInterfaceDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      const owner = statement.name.text;
      found.set(owner, doc(statement));
      for (const member of statement.members) {
        if ((ts.isMethodSignature(member) || ts.isMethodDeclaration(member)) && ts.isIdentifier(member.name)) {
          found.set(`${owner}.${member.name.text}`, doc(member));
        }
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) found.set(declaration.name.text, doc(declaration));
      }
    }
  }
  return found;
}

// The comments of echo.proto, as TSDoc text.
const serviceComment = "Echoes what it is sent.\n\nA second paragraph, with a `*\\/` that must not end the doc comment.";
const rpcComments: Record<string, string> = {
  echo: "Answers one request with one response.",
  expand: "Answers one request with `count` responses.",
  collect: "Reads requests until the client half-closes, then answers once.\n\nTrailing comment of Collect.",
  chat: "Answers each request as it arrives.",
  fail: "Fails with the code it is given.",
  oldEcho: "Superseded by Echo.",
};

describe.each([
  { target: "target=ts", file: "echo/v1/echo_rpcplugin.ts" },
  { target: "target=js+dts", file: "echo/v1/echo_rpcplugin.d.ts" },
])("TSDoc of $file ($target)", ({ target, file }) => {
  const docs = declarations(target, file);
  const get = (name: string): Doc => {
    const found = docs.get(name);
    if (!found) throw new Error(`${file} declares no ${name} (it declares ${[...docs.keys()].join(", ")})`);
    return found;
  };

  it("the service comment (both paragraphs, the escaped */ included) opens the handler's, client's and plugin's TSDoc", () => {
    for (const name of ["EchoServiceHandler", "EchoServiceClient", "EchoServicePlugin"]) {
      expect(get(name).text.startsWith(`${serviceComment}\n\n`), `${name}: ${get(name).text}`).toBe(true);
    }
    for (const name of ["LegacyEchoServiceHandler", "LegacyEchoServiceClient", "LegacyEchoServicePlugin"]) {
      expect(get(name).text.startsWith("The service before EchoService.\n\n"), `${name}: ${get(name).text}`).toBe(true);
    }
  });

  it("each RPC's leading (and trailing) comment is the TSDoc of its handler method and its client method", () => {
    for (const [method, comment] of Object.entries(rpcComments)) {
      expect(get(`EchoServiceHandler.${method}`).text, `EchoServiceHandler.${method}`).toBe(comment);
      expect(get(`EchoServiceClient.${method}`).text, `EchoServiceClient.${method}`).toBe(comment);
    }
    // An RPC without a comment gets no text (only its @generated tag).
    expect(get("LegacyEchoServiceHandler.echo").text).toBe("");
    expect(get("LegacyEchoServiceClient.echo").text).toBe("");
  });

  it("the deprecated RPC is @deprecated on the handler and the client, and no other RPC is", () => {
    for (const owner of ["EchoServiceHandler", "EchoServiceClient", "LegacyEchoServiceHandler", "LegacyEchoServiceClient"]) {
      const deprecated = [...docs].filter(([name, doc]) => name.startsWith(`${owner}.`) && doc.deprecated).map(([name]) => name);
      expect(deprecated, owner).toEqual(owner === "EchoServiceHandler" || owner === "EchoServiceClient" ? [`${owner}.oldEcho`] : []);
    }
  });

  it("the deprecated service is @deprecated on its handler, client and plugin; the other service is not", () => {
    expect(get("LegacyEchoServiceHandler").deprecated).toBe(true);
    expect(get("LegacyEchoServiceClient").deprecated).toBe(true);
    expect(get("LegacyEchoServicePlugin").deprecated).toBe(true);
    expect(get("EchoServiceHandler").deprecated).toBe(false);
    expect(get("EchoServiceClient").deprecated).toBe(false);
    expect(get("EchoServicePlugin").deprecated).toBe(false);
  });
});
