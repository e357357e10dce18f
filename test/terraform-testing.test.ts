// @rpcplugin/terraform/testing, proven on the real binaries: the files provider's lifecycle as
// acceptance-test steps (create, update, replace, a plan-only step, import with verify, a data
// source, an expected error, the final destroy) on every binary of the matrix, with the provider
// served in this process through reattach; then the harness's own failures (a failing check, a
// wrong expected action, an error that does not come, a plan that is not empty after apply, no
// binary), each an AcceptanceTestError naming its step.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "@rpcplugin/runtime";
import { defineProvider, defineResource, nestedAttribute } from "@rpcplugin/terraform";
import { AcceptanceTestError, runAcceptanceTest } from "@rpcplugin/terraform/testing";
import { describe, expect, it } from "vitest";
import { filesProvider } from "../examples/terraform-provider-files/src/provider.js";
import { tempDir } from "./fixture.js";
import { describeGo } from "./support/go.js";
import { binaryMatrix, missingFeature, NO_NETWORK } from "./support/terraform.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const ADDRESS = "example.com/rpcplugin/files";
const providerBlock = (dir: string) => `provider "files" {\n  directory = ${JSON.stringify(dir)}\n}\n`;
const file = (name: string, at: string, content: string) =>
  `resource "files_file" "${name}" {\n  path    = ${JSON.stringify(at)}\n  content = ${JSON.stringify(content)}\n}\n`;
const TIMEOUT = 180_000;

describeGo("@rpcplugin/terraform/testing on the real binaries", () => {
  for (const spec of binaryMatrix()) {
    it(
      `${spec.label}: the files provider's lifecycle as acceptance-test steps, destroyed at the end`,
      async () => {
        const dir = tempDir("rpcplugin-acc-files-");
        try {
          const base = providerBlock(dir.path);
          const bin = await spec.get();
          await runAcceptanceTest({
            provider: filesProvider,
            address: ADDRESS,
            terraform: bin.path,
            env: NO_NETWORK,
            steps: [
              {
                config: base + file("hello", "greetings/hello.txt", "hello\n"),
                expectChanges: { "files_file.hello": "create" },
                check: (state) => {
                  expect(readFileSync(path.join(dir.path, "greetings/hello.txt"), "utf8")).toBe("hello\n");
                  expect(state.attribute("files_file.hello", "sha256")).toBe(sha256("hello\n"));
                },
              },
              { config: base + file("hello", "greetings/hello.txt", "hello again\n"), expectChanges: { "files_file.hello": "update" } },
              { config: base + file("hello", "moved/hello.txt", "hello again\n"), expectChanges: { "files_file.hello": "replace" } },
              { config: base + file("hello", "moved/hello.txt", "hello again\n"), planOnly: true },
              { import: { address: "files_file.hello", id: "moved/hello.txt" }, verify: true },
              {
                config: `${base}${file("hello", "moved/hello.txt", "hello again\n")}data "files_file" "read" {\n  path = files_file.hello.path\n}\noutput "read" {\n  value = data.files_file.read.content\n}\n`,
                check: (state) => expect(state.outputs.read).toBe("hello again\n"),
              },
              { config: base + file("bad", "../outside.txt", "x"), expectError: /Invalid file path/ },
            ],
            checkDestroy: () => {
              expect(existsSync(path.join(dir.path, "moved/hello.txt"))).toBe(false);
              expect(existsSync(path.join(dir.path, "greetings/hello.txt"))).toBe(false);
            },
          });
        } finally {
          dir.cleanup();
        }
      },
      TIMEOUT,
    );
  }

  // Attribute defaults, validators and private state, through each binary, with a provider defined right here.
  const listeners = new Map<string, { port: number; mode: string }>();
  const privateSeen: unknown[] = [];
  const svc = defineProvider({
    name: "svc",
    schema: { attributes: {} },
    resources: {
      svc_listener: defineResource({
        schema: {
          attributes: {
            name: {
              type: "string",
              required: true,
              requiresReplace: true,
              validate: (v: unknown) => (/^[a-z]+$/.test(v as string) ? undefined : "must be lowercase letters"),
            },
            port: { type: "number", optional: true, computed: true, default: 8080 },
            mode: { type: "string", optional: true, computed: true, default: "tcp" },
            token: { type: "string", optional: true, sensitive: true },
            proto: { type: "string", optional: true, deprecated: "set mode instead" },
          },
        },
        create({ config, planned }, context) {
          listeners.set(config.name, { port: planned.port as number, mode: planned.mode as string });
          context.setPrivate({ createdAs: config.name });
          return {};
        },
        read({ state }, context) {
          privateSeen.push(context.private);
          return state;
        },
        update({ config, planned }) {
          listeners.set(config.name, { port: planned.port as number, mode: planned.mode as string });
          return {};
        },
        delete({ state }) {
          listeners.delete(state.name);
        },
      }),
    },
  });
  for (const spec of binaryMatrix()) {
    it(
      `${spec.label}: attribute defaults planned and applied, validators refusing values on their attribute, private data coming back, sensitive and deprecated attributes`,
      async () => {
        const bin = await spec.get();
        const listener = (body: string) => `resource "svc_listener" "web" {\n${body}}\n`;
        await runAcceptanceTest({
          provider: svc,
          terraform: bin.path,
          env: NO_NETWORK,
          steps: [
            {
              config: listener('  name = "web"\n'),
              check: (state) => {
                expect(state.resources["svc_listener.web"]?.values).toEqual({ name: "web", port: 8080, mode: "tcp", token: null, proto: null });
                expect(listeners.get("web")).toEqual({ port: 8080, mode: "tcp" });
              },
            },
            {
              config: listener('  name = "web"\n  port = 9090\n'),
              expectChanges: { "svc_listener.web": "update" },
              check: () => expect(listeners.get("web")?.port).toBe(9090),
            },
            { config: listener('  name = "Web"\n'), expectError: /Invalid attribute value[\s\S]*must be lowercase letters/ },
            {
              // The binary hides a sensitive value and warns about a deprecated argument (newer ones with the provider's message).
              config: listener('  name  = "web"\n  port  = 9090\n  token = "s3cret"\n  proto = "tcp"\n'),
              expectChanges: { "svc_listener.web": "update" },
              expectWarning: /Attribute Deprecated[\s\S]*set mode instead/,
              check: (state) => {
                const shown = state.json as { values: { root_module: { resources: { address: string; sensitive_values: Record<string, unknown> }[] } } };
                const web = shown.values.root_module.resources.find((r) => r.address === "svc_listener.web");
                expect(web?.sensitive_values).toMatchObject({ token: true });
                expect(state.attribute("svc_listener.web", "token")).toBe("s3cret");
              },
            },
          ],
          checkDestroy: () => expect(listeners.size).toBe(0),
        });
      },
      TIMEOUT,
    );
  }

  // Nested attributes (protocol 6): a list of objects with a computed inner attribute.
  const firewall = defineProvider({
    name: "fw",
    schema: { attributes: {} },
    resources: {
      fw_firewall: defineResource({
        schema: {
          attributes: {
            name: { type: "string", required: true },
            rules: nestedAttribute("list", { port: { type: "number", required: true }, id: { type: "string", computed: true } }, { required: true }),
          },
        },
        create: ({ config }) => ({ rules: config.rules.map((rule) => ({ port: rule.port, id: `rule-${rule.port}` })) }),
        update: ({ config }) => ({ rules: config.rules.map((rule) => ({ port: rule.port, id: `rule-${rule.port}` })) }),
        delete() {},
      }),
    },
  });
  for (const spec of binaryMatrix()) {
    it(
      `${spec.label}: nested attributes, their computed inner attributes unknown in the plan and set by apply`,
      async () => {
        const bin = await spec.get();
        const config = (ports: number[]) =>
          `resource "fw_firewall" "edge" {\n  name  = "edge"\n  rules = [${ports.map((port) => `{ port = ${port} }`).join(", ")}]\n}\n`;
        await runAcceptanceTest({
          provider: firewall,
          terraform: bin.path,
          env: NO_NETWORK,
          steps: [
            {
              config: config([22, 443]),
              check: (state) =>
                expect(state.attribute("fw_firewall.edge", "rules")).toEqual([
                  { port: 22, id: "rule-22" },
                  { port: 443, id: "rule-443" },
                ]),
            },
            {
              config: config([22, 443, 8443]),
              expectChanges: { "fw_firewall.edge": "update" },
              check: (state) =>
                expect((state.attribute("fw_firewall.edge", "rules") as { id: string }[]).map((r) => r.id)).toEqual(["rule-22", "rule-443", "rule-8443"]),
            },
            { config: config([22, 443, 8443]), planOnly: true },
          ],
        });
      },
      TIMEOUT,
    );
  }

  // Import steps by identity: an import block planned against an empty state (Terraform/OpenTofu ≥ 1.12).
  for (const spec of binaryMatrix()) {
    const missing = missingFeature(spec, "import by identity", { terraform: "1.12", tofu: "1.12" });
    if (missing) {
      process.stderr.write(`[terraform-testing] skipped for ${spec.label}: ${missing}\n`);
      it.skip(`${spec.label}: import steps by identity skipped: ${missing}`, () => {});
      continue;
    }
    it(
      `${spec.label}: import steps by identity, the identity in state and in the planned import, a missing object an expected error`,
      async () => {
        const dir = tempDir("rpcplugin-acc-identity-");
        try {
          const config = providerBlock(dir.path) + file("hello", "a/hello.txt", "hi\n");
          await runAcceptanceTest({
            provider: filesProvider,
            address: ADDRESS,
            terraform: (await spec.get()).path,
            env: NO_NETWORK,
            steps: [
              { config, check: (state) => expect(state.resources["files_file.hello"]?.identity).toEqual({ path: "a/hello.txt" }) },
              {
                import: { address: "files_file.hello", identity: { path: "a/hello.txt" } },
                verify: true,
                check: (imported) => {
                  expect(imported.resources["files_file.hello"]?.values).toMatchObject({ path: "a/hello.txt", content: "hi\n" });
                  expect(imported.resources["files_file.hello"]?.identity).toEqual({ path: "a/hello.txt" });
                },
              },
              // The harness writes `${` literally (not an interpolation): the file is looked for, and is not there.
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${ in an identity value
              { import: { address: "files_file.hello", identity: { path: "a/${nothing}.txt" } }, expectError: /Cannot import non-existent remote object/ },
            ],
          });
        } finally {
          dir.cleanup();
        }
      },
      TIMEOUT,
    );
  }

  describe("the harness reports what went wrong, naming the step", () => {
    const spec = binaryMatrix().at(-1)!;
    const run = async (steps: Parameters<typeof runAcceptanceTest>[0]["steps"], provider = filesProvider) => {
      const dir = tempDir("rpcplugin-acc-fail-");
      try {
        const bin = await spec.get();
        const withDir = steps.map((s) => ("config" in s && s.config !== undefined ? { ...s, config: s.config.replaceAll("DIR", dir.path) } : s));
        return await runAcceptanceTest({ provider, address: ADDRESS, terraform: bin.path, env: NO_NETWORK, steps: withDir }).then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        dir.cleanup();
      }
    };
    const base = `provider "files" {\n  directory = "DIR"\n}\n`;

    it(
      `${spec.label}: a failing check, a wrong expected action, an expected error that does not come`,
      async () => {
        const check = await run([{ config: base + file("a", "a.txt", "a"), check: () => expect(1).toBe(2) }]);
        expect(check).toBeInstanceOf(AcceptanceTestError);
        expect(check).toMatchObject({ step: 1 });
        expect((check as Error).message).toMatch(/^step 1: the step's check failed: expected 1 to be 2/);
        const action = await run([
          { config: base + file("a", "a.txt", "a") },
          { config: base + file("a", "a.txt", "b"), expectChanges: { "files_file.a": "replace" } },
        ]);
        expect((action as AcceptanceTestError).step).toBe(2);
        expect((action as Error).message).toMatch(/the plan would update files_file\.a; expected replace/);
        const noError = await run([{ config: base + file("a", "a.txt", "a"), expectError: /never/ }]);
        expect((noError as Error).message).toMatch(/^step 1: the apply succeeded; expected an error matching \/never\//);
      },
      TIMEOUT,
    );

    it(
      `${spec.label}: a provider whose apply and plan disagree fails the empty-plan check after apply`,
      async () => {
        let n = 0;
        const flaky = defineProvider({
          name: "files",
          schema: { attributes: { directory: { type: "string", required: true } } },
          resources: {
            files_file: defineResource({
              schema: {
                attributes: {
                  path: { type: "string", required: true },
                  content: { type: "string", required: true },
                  sha256: { type: "string", computed: true },
                },
              },
              create: () => ({ sha256: `v${n++}` }),
              read: ({ state }) => ({ ...state, content: `${state.content} (changed behind Terraform's back)` }),
              delete() {},
            }),
          },
        });
        const error = await run([{ config: base + file("a", "a.txt", "a") }], flaky as never);
        expect((error as Error).message).toMatch(/^step 1: after apply, a plan still has changes/);
      },
      TIMEOUT,
    );

    it(
      `${spec.label}: a failed step followed by a failed destroy reports both, the step first`,
      async () => {
        const stuck = defineProvider({
          name: "files",
          schema: { attributes: { directory: { type: "string", required: true } } },
          resources: {
            files_file: defineResource({
              schema: { attributes: { path: { type: "string", required: true }, content: { type: "string", required: true } } },
              create: () => ({}),
              delete() {
                throw new Error("the object will not go");
              },
            }),
          },
        });
        const error = await run([{ config: base + file("a", "a.txt", "a"), check: () => expect("state").toBe("other") }], stuck as never);
        expect(error).toBeInstanceOf(AcceptanceTestError);
        expect((error as AcceptanceTestError).step).toBe(1);
        const message = (error as Error).message;
        expect(message).toMatch(/^step 1: the step's check failed/);
        expect(message).toMatch(/Then the final destroy failed too:\nfinal destroy: terraform destroy \(objects may be left behind\) failed/);
        expect(message).toContain("the object will not go");
      },
      TIMEOUT,
    );
  });
});

describe("@rpcplugin/terraform/testing without a binary", () => {
  it("refuses with a ConfigError saying how to name one", async () => {
    const dir = tempDir("rpcplugin-acc-nobin-");
    try {
      const missing = path.join(dir.path, "no-terraform-here");
      writeFileSync(path.join(dir.path, "README"), "not a binary");
      const saved = { path: process.env.PATH, tf: process.env.TF_ACC_TERRAFORM_PATH };
      process.env.PATH = dir.path;
      delete process.env.TF_ACC_TERRAFORM_PATH;
      try {
        const error = await runAcceptanceTest({ provider: filesProvider, steps: [{ config: "" }] }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(/no terraform binary: set TF_ACC_TERRAFORM_PATH/);
        const spawnFails = await runAcceptanceTest({ provider: filesProvider, terraform: missing, steps: [{ config: "" }] }).catch((caught: unknown) => caught);
        expect((spawnFails as NodeJS.ErrnoException).code).toBe("ENOENT");
      } finally {
        process.env.PATH = saved.path;
        if (saved.tf !== undefined) process.env.TF_ACC_TERRAFORM_PATH = saved.tf;
      }
    } finally {
      dir.cleanup();
    }
  });
});
