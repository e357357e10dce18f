// Provider-defined functions through the real binaries: the TypeScript files provider's
// provider::files::path_join (variadic, errors on an argument) and provider::files::sha256, called
// from outputs and from a resource's arguments, over protocol 6 and 5, managed with AutoMTLS.
// Terraform has them from 1.8 and OpenTofu from 1.7; for an older binary the tests are skipped
// with the reason in their names and on stderr.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import { describeEachBinary, NO_NETWORK, projectForSuite, STEP_TIMEOUT_MS, TerraformProject, TF_FLAGS } from "./support/terraform.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const CALLS = [
  'output "where" {\n  value = provider::files::path_join("greetings", "nested", "hello.txt")\n}\n',
  'output "single" {\n  value = provider::files::path_join("alone.txt")\n}\n',
  'output "digest" {\n  value = provider::files::sha256("by function\\n")\n}\n',
  'resource "files_file" "made" {\n  path    = provider::files::path_join("fn", "made.txt")\n  content = "by function\\n"\n}\n',
].join("");

describeGo("provider-defined functions through real terraform/tofu (managed, AutoMTLS)", () => {
  describeEachBinary("terraform-functions", "provider-defined functions", { terraform: "1.8", tofu: "1.7" }, (spec, protocol) => {
    let p: TerraformProject;

    projectForSuite(
      () => p,
      async () => {
        p = await TerraformProject.create(await spec.get(), { protocol, env: NO_NETWORK });
        await p.writeConfig(CALLS);
        await p.run(["init", ...TF_FLAGS]);
      },
    );

    it(
      "apply: outputs and a resource argument computed by the provider's functions",
      async () => {
        const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
        expect(apply.stdout).toMatch(/Resources: 1 added, 0 changed, 0 destroyed/);
        expect(apply.log).toMatch(/CallFunction|callFunction|call function/i);
        const outputs = JSON.parse((await p.run(["output", "-json"])).stdout) as Record<string, { value: unknown }>;
        expect(outputs.where?.value).toBe("greetings/nested/hello.txt");
        expect(outputs.single?.value).toBe("alone.txt");
        expect(outputs.digest?.value).toBe(sha256("by function\n"));
        expect(readFileSync(`${p.files}/fn/made.txt`, "utf8")).toBe("by function\n");
        const state = JSON.parse((await p.run(["show", "-json", "-no-color"])).stdout) as {
          values: { root_module: { resources: { address: string; values: Record<string, unknown> }[] } };
        };
        const made = state.values.root_module.resources.find((r) => r.address === "files_file.made");
        expect(made?.values).toMatchObject({ path: "fn/made.txt", sha256: outputs.digest?.value });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "a function error on a variadic argument fails the plan, with the provider's text and the parameter named",
      async () => {
        await p.writeConfig(`${CALLS}output "bad" {\n  value = provider::files::path_join("ok", "fine", "../escape")\n}\n`);
        const plan = await p.run(["plan", ...TF_FLAGS], { okCodes: [1] });
        const output = `${plan.stdout}${plan.stderr}`.replace(/\s+/g, " ");
        expect(output).toContain('"../escape" is not a relative path segment');
        expect(output).toMatch(/"rest" parameter/);
        expect(output).toContain("provider::files::path_join");
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "destroy removes what the functions placed",
      async () => {
        await p.writeConfig(CALLS);
        const destroy = await p.run(["destroy", "-auto-approve", ...TF_FLAGS]);
        expect(destroy.stdout).toMatch(/Resources: 1 destroyed/);
      },
      STEP_TIMEOUT_MS,
    );
  });
});
