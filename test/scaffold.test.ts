// `rpcplugin scaffold` on real generated code: a proto, `buf generate` with
// protoc-gen-es and protoc-gen-rpcplugin (built: `tsc -b` first), scaffold,
// type-check, run; then the proto changes (two RPCs in, one out) and a second
// run must add exactly the missing stubs, keep the hand-written body byte for
// byte, and report the stale method. The temp project lives under the repo
// (.cache/) so that `@rpcplugin/runtime` resolves to this checkout.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/main.js";

const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const bin = join(repoRoot, "node_modules", ".bin");

const PROTO_V1 = `syntax = "proto3";
package kv.v1;

message GetRequest { string key = 1; }
message GetResponse { string value = 1; }
message PutRequest { string key = 1; string value = 2; }
message PutResponse {}
message RemoveRequest { string key = 1; }
message RemoveResponse {}
message WatchRequest { string prefix = 1; }
message WatchEvent { string key = 1; }

// A key-value store.
service KV {
  // Returns the value of a key.
  rpc Get(GetRequest) returns (GetResponse);
  rpc Put(PutRequest) returns (PutResponse);
  rpc Remove(RemoveRequest) returns (RemoveResponse);
  // Streams the keys that change.
  rpc Watch(WatchRequest) returns (stream WatchEvent);
}
`;

// Remove is gone (its messages stay, so the stale method still compiles); Delete and Sync are new.
const PROTO_V2 = PROTO_V1.replace(
  "  rpc Remove(RemoveRequest) returns (RemoveResponse);\n",
  "  // Deletes a key.\n  rpc Delete(DeleteRequest) returns (DeleteResponse);\n",
)
  .replace("message WatchRequest", "message DeleteRequest { string key = 1; }\nmessage DeleteResponse { bool existed = 1; }\nmessage WatchRequest")
  .replace(/\}\n$/, "  rpc Sync(stream PutRequest) returns (stream WatchEvent);\n}\n");

const TODO_GET = `    // TODO: implement kv.v1.KV.Get
    throw new RpcError("KV.Get is not implemented yet", Code.UNIMPLEMENTED);`;
const HAND_WRITTEN_GET = `    // Written by hand: the scaffold must never touch this.
    const answer   =  \`value of \${request.key}\`; // odd spacing on purpose
    return { value: answer };`;

function run(command: string, args: string[], cwd: string) {
  return spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` } });
}

async function scaffold(dir: string, args: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await main(
    [
      "scaffold",
      ...args,
      "--gen",
      join(dir, "gen"),
      "--proto-dir",
      join(dir, "proto"),
      "--out",
      join(dir, "src/kv-plugin.ts"),
      "--host-out",
      join(dir, "src/kv-host.ts"),
    ],
    (text) => {
      output += text;
    },
  );
  return { code, output };
}

/** The text of method `name` of the scaffolded class, from its doc comment to its closing brace. */
function methodText(source: string, name: string): string {
  const start = source.indexOf(`  async ${name}(`) >= 0 ? source.indexOf(`  async ${name}(`) : source.indexOf(`  async *${name}(`);
  expect(start, `method ${name}`).toBeGreaterThan(0);
  const docStart = source.lastIndexOf("  /**", start);
  const end = source.indexOf("\n  }\n", start);
  return source.slice(docStart, end + 4);
}

describe("rpcplugin scaffold", () => {
  let dir = "";
  const plugin = () => join(dir, "src", "kv-plugin.ts");
  const generate = () => {
    const result = run(join(bin, "buf"), ["generate"], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  };
  const typeCheck = () => {
    const result = run(join(bin, "tsc"), ["-p", dir, "--noEmit"], dir);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  };

  beforeAll(() => {
    mkdirSync(join(repoRoot, ".cache"), { recursive: true });
    dir = mkdtempSync(join(repoRoot, ".cache", "scaffold-"));
    mkdirSync(join(dir, "proto", "kv", "v1"), { recursive: true });
    writeFileSync(join(dir, "proto", "kv", "v1", "kv.proto"), PROTO_V1);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(join(dir, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n");
    writeFileSync(
      join(dir, "buf.gen.yaml"),
      "version: v2\nplugins:\n" +
        ["protoc-gen-es", "protoc-gen-rpcplugin"].map((name) => `  - local: ${name}\n    out: gen\n    opt: [target=ts, import_extension=js]\n`).join(""),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "ESNext.Disposable"],
          module: "Node16",
          moduleResolution: "Node16",
          strict: true,
          exactOptionalPropertyTypes: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
          types: ["node"],
          rootDir: ".",
          outDir: "dist",
        },
        include: ["src", "gen"],
      }),
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("says to run buf generate when there is no generated code", async () => {
    const { code, output } = await scaffold(dir, ["kv.v1.KV"]);
    expect(code).toBe(1);
    expect(output).toMatch(/^rpcplugin scaffold: no generated code: .*gen has no \*_rpcplugin\.ts files \(.*proto has 1 \.proto file\)\. Run `buf generate`/);
  });

  it("writes an implementation and a host that type-check", async () => {
    generate();
    const { code, output } = await scaffold(dir, ["KV"]);
    expect(code, output).toBe(0);
    expect(output).toContain("service: kv.v1.KV (KVHandler in");
    expect(output.split("\n").filter((line) => line.startsWith("added:"))).toEqual(["added: get", "added: put", "added: remove", "added: watch"]);
    expect(output).toMatch(/^created: .*kv-host\.ts/m);
    expect(code).toBe(0);
    const text = readFileSync(plugin(), "utf8");
    expect(text).toContain("export class KVImpl implements KVHandler {");
    expect(text).toContain(`  async get(request: GetRequest, context: CallContext): Promise<MessageInitShape<typeof GetResponseSchema>> {\n${TODO_GET}\n  }`);
    expect(text).toContain("   * Returns the value of a key.\n");
    expect(text).toContain("  async *watch(request: WatchRequest, context: CallContext): AsyncIterable<MessageInitShape<typeof WatchEventSchema>> {");
    expect(text).toMatch(/await serve\(\{\n {2}handshake,\n {2}plugins: \{ kv: KVPlugin\.server\(new KVImpl\(\)\) \},\n\}\);/);
    const cookie = /magicCookieValue: "([0-9a-f]{32})"/.exec(text)?.[1];
    expect(cookie).toBeDefined();
    const host = readFileSync(join(dir, "src", "kv-host.ts"), "utf8");
    expect(host).toContain(`magicCookieValue: "${cookie}"`);
    expect(host).toContain("await using plugin = await startPlugin({");
    expect(host).toContain('const kv = plugin.dispense("kv");\n');
    expect(host).toContain("console.log(await kv.get({}));");
    typeCheck();
  });

  it("keeps hand-written code, adds new RPCs and reports removed ones when run again", async () => {
    const scaffolded = readFileSync(plugin(), "utf8");
    const edited = scaffolded.replace(TODO_GET, HAND_WRITTEN_GET);
    expect(edited).not.toBe(scaffolded);
    writeFileSync(plugin(), edited);
    // The hand-written method works: compile and run the host, which calls Get.
    expect(run(join(bin, "tsc"), ["-p", dir], dir).status).toBe(0);
    const hostRun = run(process.execPath, [join(dir, "dist", "src", "kv-host.js")], dir);
    expect(hostRun.stderr).toBe("");
    expect(hostRun.stdout).toContain("value: 'value of '");
    expect(hostRun.status).toBe(0);

    writeFileSync(join(dir, "proto", "kv", "v1", "kv.proto"), PROTO_V2);
    expect(readFileSync(join(dir, "proto", "kv", "v1", "kv.proto"), "utf8")).toContain("rpc Sync(stream PutRequest)");
    generate();
    const { code, output } = await scaffold(dir, ["kv.v1.KV"]);
    expect(code, output).toBe(0);
    expect(output.split("\n").filter((line) => /^(added|kept|stale)/.test(line))).toEqual([
      "kept: get",
      "kept: put",
      "added: delete",
      "kept: watch",
      "added: sync",
      "stale (not in the proto any more, left in place): remove",
    ]);
    expect(output).toMatch(/^host: .*kv-host\.ts exists, left as it is$/m);
    const after = readFileSync(plugin(), "utf8");
    for (const name of ["get", "put", "remove", "watch"]) expect(methodText(after, name)).toBe(methodText(edited, name));
    expect(methodText(after, "get")).toContain(HAND_WRITTEN_GET);
    // Taking the two new methods out gives back the file as it was, but for the imports they needed.
    const withoutNew = after.replace(`${methodText(after, "delete")}\n\n`, "").replace(`\n\n${methodText(after, "sync")}`, "");
    const body = (text: string) => text.slice(text.indexOf("export class"));
    expect(body(withoutNew)).toBe(body(edited));
    // The new stubs sit in proto order and are typed like the first ones.
    expect(after.indexOf("async delete(")).toBeGreaterThan(after.indexOf("async put("));
    expect(after.indexOf("async delete(")).toBeLessThan(after.indexOf("async remove("));
    expect(after).toContain(
      "  async delete(request: DeleteRequest, context: CallContext): Promise<MessageInitShape<typeof DeleteResponseSchema>> {\n    // TODO: implement kv.v1.KV.Delete\n",
    );
    expect(after).toContain(
      "  async *sync(requests: AsyncIterable<PutRequest>, context: CallContext): AsyncIterable<MessageInitShape<typeof WatchEventSchema>> {",
    );
    typeCheck();

    // A third run has nothing to do and writes nothing.
    const again = await scaffold(dir, ["kv.v1.KV"]);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/^up to date: /m);
    expect(again.output).not.toMatch(/^added:/m);
    expect(readFileSync(plugin(), "utf8")).toBe(after);
  });

  it("lists the services it found when the one asked for is not there", async () => {
    const { code, output } = await scaffold(dir, ["Store"]);
    expect(code).toBe(1);
    expect(output).toContain('rpcplugin scaffold: no service "Store" in the generated code under');
    expect(output).toContain("Services found: kv.v1.KV.");
  });

  it("refuses an existing file without a class implementing the handler", async () => {
    const other = join(dir, "src", "other.ts");
    writeFileSync(other, "export class Unrelated {}\n");
    let output = "";
    const code = await main(["scaffold", "kv.v1.KV", "--gen", join(dir, "gen"), "--out", other, "--host-out", join(dir, "src", "kv-host.ts")], (text) => {
      output += text;
    });
    expect(code).toBe(1);
    expect(output).toContain("other.ts exists but has no class implementing KVHandler (classes found: Unrelated; add `implements KVHandler` to yours)");
    expect(readFileSync(other, "utf8")).toBe("export class Unrelated {}\n");
  });
});
