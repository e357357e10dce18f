// Ephemeral resources through the real binaries: the files provider's ephemeral "files_file"
// reads a file whose content configures a second instance of the provider (a provider block is
// one of the places an ephemeral value may go), over protocol 6 and 5, managed with AutoMTLS.
// The value must work (the second instance writes into the directory it names), must never reach
// plan or state, and Terraform must close what it opened. Terraform has ephemeral resources from
// 1.10 and OpenTofu from 1.11; for an older binary the tests are skipped with the reason in their
// names and on stderr.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import { describeEachBinary, NO_NETWORK, projectForSuite, STEP_TIMEOUT_MS, TerraformProject, TF_FLAGS } from "./support/terraform.js";

const SECRET_DIR = "kept-out-of-state";

/** The configuration: the ephemeral value names the directory of a second provider instance (the escaped interpolation is HCL's). */
const config = (dir: string, file = "where.txt") =>
  `ephemeral "files_file" "where" {\n  path = "${file}"\n}\n` +
  `provider "files" {\n  alias     = "second"\n  directory = "${dir}/\${trimspace(ephemeral.files_file.where.content)}"\n}\n` +
  'resource "files_file" "placed" {\n  provider = files.second\n  path     = "placed.txt"\n  content  = "placed by the second instance\\n"\n}\n';

describeGo("ephemeral resources through real terraform/tofu (managed, AutoMTLS)", () => {
  describeEachBinary("terraform-ephemeral", "ephemeral resources", { terraform: "1.10", tofu: "1.11" }, (spec, protocol) => {
    let p: TerraformProject;

    projectForSuite(
      () => p,
      async () => {
        p = await TerraformProject.create(await spec.get(), { protocol, env: NO_NETWORK });
        await mkdir(p.files, { recursive: true });
        await writeFile(path.join(p.files, "where.txt"), `${SECRET_DIR}\n`);
        await p.writeConfig(config(p.files));
        await p.run(["init", ...TF_FLAGS]);
      },
    );

    it(
      "apply: the ephemeral value configures the second provider instance, which writes where it says",
      async () => {
        const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
        expect(apply.stdout).toMatch(/Resources: 1 added, 0 changed, 0 destroyed/);
        expect(readFileSync(path.join(p.files, SECRET_DIR, "placed.txt"), "utf8")).toBe("placed by the second instance\n");
        // Opened (in plan and in apply) and closed each time, as the provider logged.
        expect(apply.log).toMatch(/opened ephemeral files_file/);
        expect(apply.log).toMatch(/closed ephemeral files_file/);
        expect(apply.log.match(/opened ephemeral files_file/g)?.length).toBe(apply.log.match(/closed ephemeral files_file/g)?.length);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "the value is in neither the saved plan nor the state",
      async () => {
        const planFile = path.join(p.work, "saved.tfplan");
        await p.run(["plan", `-out=${planFile}`, ...TF_FLAGS]);
        const plan = await p.run(["show", "-json", planFile]);
        expect(plan.stdout).not.toContain(SECRET_DIR);
        const state = readFileSync(path.join(p.work, "terraform.tfstate"), "utf8");
        expect(state).toContain("files_file");
        expect(state).not.toContain(SECRET_DIR);
        expect(state).not.toMatch(/"mode":\s*"ephemeral"/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "an ephemeral resource that fails to open fails the plan with its diagnostic",
      async () => {
        await p.writeConfig(config(p.files, "missing.txt"));
        const plan = await p.run(["plan", ...TF_FLAGS], { okCodes: [1] });
        expect(`${plan.stdout}${plan.stderr}`).toMatch(/File not found/);
        expect(`${plan.stdout}${plan.stderr}`).toMatch(/There is no file "missing\.txt"/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "destroy",
      async () => {
        await p.writeConfig(config(p.files));
        const destroy = await p.run(["destroy", "-auto-approve", ...TF_FLAGS]);
        expect(destroy.stdout).toMatch(/Resources: 1 destroyed/);
        expect(existsSync(path.join(p.files, SECRET_DIR, "placed.txt"))).toBe(false);
      },
      STEP_TIMEOUT_MS,
    );
  });
});
