// protoc-gen-rpcplugin's golden output: fixtures/codegen/gen (target=ts) and
// gen-js (target=js+dts) are committed; this regenerates them with buf and
// fails on any difference (run `node fixtures/codegen/generate.mjs` and
// commit), type-checks them as a strict user project would, and loads the
// js output in Node (ESM, and CommonJS with js_import_style=legacy_commonjs).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { protocGenEs } from "@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js";
import { protocGenRpcplugin } from "@rpcplugin/protoc-gen-rpcplugin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without types
import { generate, trees } from "../fixtures/codegen/generate.mjs";
import { fixtureRequest, fixtureRoot, listFiles, repoRoot } from "../fixtures/codegen/harness.js";

describe("golden output", () => {
  let outRoot = "";
  beforeAll(() => {
    outRoot = mkdtempSync(join(tmpdir(), "rpcplugin-codegen-"));
    generate(outRoot);
  });
  afterAll(() => {
    if (outRoot) rmSync(outRoot, { recursive: true, force: true });
  });

  for (const { out } of trees as { out: string }[]) {
    it(`${out}/ is what buf + protoc-gen-es + protoc-gen-rpcplugin generate today`, () => {
      const fresh = join(outRoot, out);
      const committed = join(fixtureRoot, out);
      expect(listFiles(committed)).toEqual(listFiles(fresh));
      for (const file of listFiles(fresh)) {
        expect(readFileSync(join(committed, file), "utf8"), `${out}/${file} differs: run node fixtures/codegen/generate.mjs`).toBe(
          readFileSync(join(fresh, file), "utf8"),
        );
      }
    });
  }

  it("generates one _rpcplugin file per proto file with services, and none for files without", () => {
    const generated = listFiles(join(outRoot, "gen")).filter((file) => file.endsWith("_rpcplugin.ts"));
    expect(generated).toEqual([
      "alpha/v1/store_rpcplugin.ts",
      "beta/v1/store_rpcplugin.ts",
      "clash/v1/clash_rpcplugin.ts",
      "echo/v1/echo_rpcplugin.ts",
      "editions/v1/editions_rpcplugin.ts",
      "legacy/v1/legacy_rpcplugin.ts",
      "mirror/v1/mirror_rpcplugin.ts",
      "wkt/v1/wkt_rpcplugin.ts",
    ]);
    expect(existsSync(join(outRoot, "gen", "messages", "v1", "messages_pb.ts"))).toBe(true);
  });

  it("gives every js file of target=js+dts its declarations", () => {
    const files = listFiles(join(outRoot, "gen-js"));
    const js = files.filter((file) => file.endsWith("_rpcplugin.js"));
    expect(js).toHaveLength(8);
    expect(files.filter((file) => file.endsWith("_rpcplugin.d.ts"))).toEqual(js.map((file) => file.replace(/\.js$/, ".d.ts")));
    expect(files.some((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toBe(false);
  });
});

describe("generated code", () => {
  it("type-checks with tsc --strict (ts output, js+dts declarations and a consumer of them)", () => {
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "--strict", "--noEmit", "-p", join(fixtureRoot, "tsconfig.json")], { encoding: "utf8" });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      expect.fail(`tsc reported errors in the generated code:\n${stdout ?? ""}${stderr ?? ""}`);
    }
  });

  it("js output loads in Node and binds each plugin to the service descriptor of the _pb file", async () => {
    const dir = join(fixtureRoot, "gen-js");
    const load = (file: string) => import(pathToFileURL(join(dir, file)).href) as Promise<Record<string, unknown>>;
    for (const file of listFiles(dir).filter((name) => name.endsWith("_rpcplugin.js"))) {
      const generated = await load(file);
      const pb = await load(file.replace(/_rpcplugin\.js$/, "_pb.js"));
      const plugins = Object.entries(generated).filter(([name]) => name.endsWith("Plugin"));
      expect(plugins.length, file).toBeGreaterThan(0);
      for (const [name, plugin] of plugins) {
        const { service, client, server } = plugin as { service: { kind: string; typeName: string }; client: unknown; server: unknown };
        expect(service.kind, `${file} ${name}`).toBe("service");
        expect(Object.values(pb), `${file} ${name}`).toContain(service);
        expect(typeof client).toBe("function");
        expect(typeof server).toBe("function");
        expect(typeof generated[name.replace(/Plugin$/, "Client")]).toBe("function");
      }
    }
  });
});

describe("options", () => {
  const run = (parameter: string, files = ["echo/v1/echo.proto"]) => protocGenRpcplugin.run(fixtureRequest(files, parameter));
  const content = (parameter: string, name: string) => {
    const file = run(parameter).file.find((f) => f.name === name);
    if (!file) throw new Error(`${name} was not generated`);
    return file.content;
  };

  it("refuses unknown options", () => {
    expect(() => run("target=ts,no_such_option=1")).toThrow(/invalid option "no_such_option=1": unknown option "no_such_option"/);
    expect(() => run("runtime_import=")).toThrow(/runtime_import needs a module/);
  });

  it("runtime_import changes where the runtime comes from; relative paths are relative to the output root", () => {
    expect(content("target=ts,runtime_import=@acme/runtime", "echo/v1/echo_rpcplugin.ts")).toContain(
      'import { createClient, definePlugin } from "@acme/runtime";',
    );
    expect(content("target=ts,import_extension=js,runtime_import=./rpc/index.js", "echo/v1/echo_rpcplugin.ts")).toContain(
      'import { createClient, definePlugin } from "../../rpc/index.js";',
    );
    expect(content("target=ts,import_extension=js,runtime_import=../index.js", "echo/v1/echo_rpcplugin.ts")).toContain(
      'import { createClient, definePlugin } from "../../../index.js";',
    );
  });

  it("defaults to js+dts and honours import_extension", () => {
    expect(run("").file.map((f) => f.name)).toEqual(["echo/v1/echo_rpcplugin.js", "echo/v1/echo_rpcplugin.d.ts"]);
    expect(content("target=ts", "echo/v1/echo_rpcplugin.ts")).toContain('from "./echo_pb";');
    expect(content("target=ts,import_extension=ts", "echo/v1/echo_rpcplugin.ts")).toContain('from "./echo_pb.ts";');
  });

  it("writes CommonJS with js_import_style=legacy_commonjs that require() loads in Node, next to protoc-gen-es's CommonJS", () => {
    const parameter = "target=js,js_import_style=legacy_commonjs";
    const js = content(parameter, "echo/v1/echo_rpcplugin.js");
    expect(js).toContain('const { createClient, definePlugin } = require("@rpcplugin/runtime");');
    expect(js).not.toMatch(/^(import|export) /m);

    // A CommonJS project: both generators' output, and the repo's node_modules to resolve the runtime from.
    const dir = mkdtempSync(join(tmpdir(), "rpcplugin-cjs-"));
    try {
      const request = fixtureRequest(["echo/v1/echo.proto"], parameter);
      for (const file of [...protocGenEs.run(request).file, ...protocGenRpcplugin.run(request).file]) {
        mkdirSync(dirname(join(dir, file.name)), { recursive: true });
        writeFileSync(join(dir, file.name), file.content);
      }
      expect(listFiles(dir)).toEqual(["echo/v1/echo_pb.js", "echo/v1/echo_rpcplugin.js"]);
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
      symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
      writeFileSync(
        join(dir, "check.cjs"),
        `const { Client, credentials } = require("@grpc/grpc-js");
const generated = require("./echo/v1/echo_rpcplugin.js");
const pb = require("./echo/v1/echo_pb.js");
const transport = new Client("unix:///nonexistent.sock", credentials.createInsecure());
const report = { exports: Object.keys(generated).sort() };
for (const service of ["EchoService", "LegacyEchoService"]) {
  const plugin = generated[service + "Plugin"];
  const client = plugin.client({ transport });
  report[service] = {
    service: plugin.service.typeName,
    sameDescriptorAsPb: plugin.service === pb[service],
    server: typeof plugin.server,
    dispensesItsClient: client instanceof generated[service + "Client"],
    clientMethods: Object.getOwnPropertyNames(Object.getPrototypeOf(client)).filter((name) => name !== "constructor"),
  };
}
transport.close();
console.log(JSON.stringify(report));
`,
      );
      const report = JSON.parse(execFileSync(process.execPath, [join(dir, "check.cjs")], { cwd: dir, encoding: "utf8" }));
      expect(report).toEqual({
        exports: ["EchoServiceClient", "EchoServicePlugin", "LegacyEchoServiceClient", "LegacyEchoServicePlugin"],
        EchoService: {
          service: "echo.v1.EchoService",
          sameDescriptorAsPb: true,
          server: "function",
          dispensesItsClient: true,
          clientMethods: ["echo", "expand", "collect", "chat", "fail", "oldEcho"],
        },
        LegacyEchoService: {
          service: "echo.v1.LegacyEchoService",
          sameDescriptorAsPb: true,
          server: "function",
          dispensesItsClient: true,
          clientMethods: ["echo"],
        },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("generates nothing for a file without services, even with keep_empty_files", () => {
    expect(run("target=ts", ["messages/v1/messages.proto"]).file).toEqual([]);
    expect(run("target=ts,keep_empty_files=true", ["messages/v1/messages.proto"]).file).toEqual([]);
  });
});
