// Real terraform and tofu binaries (terraform 1.5.7 and tofu 1.12.6 built from
// the Go module proxy by scripts/terraform-binaries.mjs, plus a terraform on
// PATH of another version) drive the TypeScript `files` provider
// (examples/terraform-provider-files) in managed mode with AutoMTLS on, for
// protocol 6 and protocol 5: init from a filesystem mirror with no network,
// plan, apply, an empty second plan, an in-place update, a replace, import, a
// data source and destroy. Each step checks the files on disk and
// `show -json`, and every command must leave no process behind (the
// provider processes Terraform starts live in the command's process group).
// Reattach mode, TF_DISABLE_PLUGIN_TLS, diagnostics, logs and crashes are in
// test/terraform-modes.test.ts.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import {
  BUILD_TIMEOUT_MS,
  STEP_TIMEOUT_MS,
  binaryMatrix,
  negotiatedVersions,
  processesMentioning,
  TerraformProject,
} from "./support/terraform.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Any attempt to reach the network goes to a closed port and fails. */
const NO_NETWORK = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };

const resource = (name: string, file: string, content: string) =>
  `resource "files_file" "${name}" {\n  path    = ${JSON.stringify(file)}\n  content = ${JSON.stringify(content)}\n}\n`;

describeGo("real terraform/tofu binaries drive the TypeScript files provider (managed, AutoMTLS)", () => {
  for (const spec of binaryMatrix()) {
    for (const protocol of [6, 5] as const) {
      describe(`${spec.label}, protocol ${protocol}`, () => {
        let p: TerraformProject;
        const file = (rel: string) => path.join(p.files, rel);

        beforeAll(async () => {
          const bin = await spec.get();
          process.stderr.write(`[terraform-e2e] ${spec.label}: ${bin.path} (${bin.origin}), protocol ${protocol}\n`);
          p = await TerraformProject.create(bin, { protocol, env: NO_NETWORK });
        }, BUILD_TIMEOUT_MS);

        afterAll(async () => {
          if (!p) return;
          // Terraform must have stopped every provider process it started, and each removed its socket.
          expect(processesMentioning(p.executable)).toEqual([]);
          expect(await p.tmpEntries()).toEqual([]);
          await p.dispose();
        });

        it("reports the expected version", async () => {
          const r = await p.run(["version", "-json"]);
          expect((JSON.parse(r.stdout) as { terraform_version: string }).terraform_version).toBe(spec.version);
        }, STEP_TIMEOUT_MS);

        it("init installs the provider from the filesystem mirror, with no network", async () => {
          await p.writeConfig(resource("hello", "greetings/hello.txt", "hello\n"));
          const r = await p.run(["init", "-input=false", "-no-color"]);
          expect(r.stdout).toMatch(/Installing example\.com\/rpcplugin\/files v0\.1\.0/);
          expect(r.stdout).toMatch(/Installed example\.com\/rpcplugin\/files v0\.1\.0/);
          const lock = readFileSync(path.join(p.work, ".terraform.lock.hcl"), "utf8");
          expect(lock).toMatch(/provider "example\.com\/rpcplugin\/files"[\s\S]*version\s*=\s*"0\.1\.0"[\s\S]*"h1:/);
        }, STEP_TIMEOUT_MS);

        it(`plan and apply create the file; the provider negotiated protocol ${protocol}`, async () => {
          const plan = await p.run(["plan", "-input=false", "-no-color", "-detailed-exitcode"], { okCodes: [2] });
          expect(plan.stdout).toMatch(/files_file\.hello will be created/);
          expect(plan.stdout).toMatch(/sha256\s+= \(known after apply\)/);
          // AutoMTLS on (a go-plugin client with it can only talk to a TLS server), and the version picked.
          expect(plan.log).toMatch(/configuring client automatic mTLS/);
          const versions = negotiatedVersions(plan.log);
          expect(versions.length).toBeGreaterThan(0);
          expect(new Set(versions)).toEqual(new Set([protocol]));

          const apply = await p.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
          expect(apply.stdout).toMatch(/Apply complete! Resources: 1 added, 0 changed, 0 destroyed/);
          expect(readFileSync(file("greetings/hello.txt"), "utf8")).toBe("hello\n");
          const state = await p.resources();
          expect(state["files_file.hello"]).toEqual({
            path: "greetings/hello.txt",
            content: "hello\n",
            sha256: sha256("hello\n"),
            id: "greetings/hello.txt",
          });
        }, STEP_TIMEOUT_MS);

        it("a second plan is empty", async () => {
          const r = await p.run(["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
          expect(r.code).toBe(0);
          expect(r.stdout).toMatch(/No changes/);
        }, STEP_TIMEOUT_MS);

        it("a content change is an in-place update", async () => {
          await p.writeConfig(resource("hello", "greetings/hello.txt", "hello again\n"));
          // apply prints the plan it makes first.
          const apply = await p.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
          expect(apply.stdout).toMatch(/files_file\.hello will be updated in-place/);
          expect(apply.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
          expect(apply.stdout).toMatch(/Resources: 0 added, 1 changed, 0 destroyed/);
          expect(readFileSync(file("greetings/hello.txt"), "utf8")).toBe("hello again\n");
          expect((await p.resources())["files_file.hello"]).toMatchObject({ content: "hello again\n", sha256: sha256("hello again\n") });
        }, STEP_TIMEOUT_MS);

        it("a path change replaces the file", async () => {
          await p.writeConfig(resource("hello", "moved/hello.txt", "hello again\n"));
          const apply = await p.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
          expect(apply.stdout).toMatch(/files_file\.hello must be replaced/);
          expect(apply.stdout).toMatch(/path\s+= "greetings\/hello\.txt" -> "moved\/hello\.txt" # forces replacement/);
          expect(apply.stdout).toMatch(/Resources: 1 added, 0 changed, 1 destroyed/);
          expect(existsSync(file("greetings/hello.txt"))).toBe(false);
          expect(readFileSync(file("moved/hello.txt"), "utf8")).toBe("hello again\n");
          expect((await p.resources())["files_file.hello"]).toEqual({
            path: "moved/hello.txt",
            content: "hello again\n",
            sha256: sha256("hello again\n"),
            id: "moved/hello.txt",
          });
        }, STEP_TIMEOUT_MS);

        it("import brings a file created out of band under management", async () => {
          await mkdir(file("outside"), { recursive: true });
          await writeFile(file("outside/made-by-hand.txt"), "by hand\n");
          await p.writeConfig(resource("hello", "moved/hello.txt", "hello again\n") + resource("adopted", "outside/made-by-hand.txt", "by hand\n"));
          const r = await p.run(["import", "-input=false", "-no-color", "files_file.adopted", "outside/made-by-hand.txt"]);
          expect(r.stdout).toMatch(/Import successful/);
          expect((await p.resources())["files_file.adopted"]).toEqual({
            path: "outside/made-by-hand.txt",
            content: "by hand\n",
            sha256: sha256("by hand\n"),
            id: "outside/made-by-hand.txt",
          });
          const plan = await p.run(["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
          expect(plan.code).toBe(0);
        }, STEP_TIMEOUT_MS);

        it("a data source reads a file into an output", async () => {
          await writeFile(file("motd.txt"), "message of the day\n");
          await p.writeConfig(
            resource("hello", "moved/hello.txt", "hello again\n") +
              resource("adopted", "outside/made-by-hand.txt", "by hand\n") +
              'data "files_file" "motd" {\n  path = "motd.txt"\n}\n' +
              'output "motd" {\n  value = data.files_file.motd.content\n}\n' +
              'output "motd_sha256" {\n  value = data.files_file.motd.sha256\n}\n',
          );
          const apply = await p.run(["apply", "-auto-approve", "-input=false", "-no-color"]);
          expect(apply.stdout).toMatch(/Resources: 0 added, 0 changed, 0 destroyed/);
          const state = await p.state();
          expect(state.values?.outputs?.motd?.value).toBe("message of the day\n");
          expect(state.values?.outputs?.motd_sha256?.value).toBe(sha256("message of the day\n"));
          const data = state.values?.root_module.resources?.find((r) => r.address === "data.files_file.motd");
          expect(data?.mode).toBe("data");
          expect(data?.values).toEqual({ path: "motd.txt", content: "message of the day\n", sha256: sha256("message of the day\n") });
        }, STEP_TIMEOUT_MS);

        it("destroy removes the managed files and empties the state", async () => {
          const r = await p.run(["destroy", "-auto-approve", "-input=false", "-no-color"]);
          expect(r.stdout).toMatch(/Resources: 2 destroyed/);
          expect(existsSync(file("moved/hello.txt"))).toBe(false);
          expect(existsSync(file("outside/made-by-hand.txt"))).toBe(false);
          expect(readFileSync(file("motd.txt"), "utf8")).toBe("message of the day\n"); // read, never managed
          const state = await p.state();
          expect((state.values?.root_module.resources ?? []).filter((r) => r.mode === "managed")).toEqual([]);
        }, STEP_TIMEOUT_MS);
      });
    }
  }
});
