// Write-only attributes through the real binaries: the files provider's files_secret_file, whose
// content_wo is written to disk and never kept, over protocol 6 and 5, managed with AutoMTLS.
// Terraform has write-only attributes from 1.11 and OpenTofu from 1.11. An older Terraform would
// keep the value in state, so there the provider refuses the configuration with its own
// diagnostic: that is what the test checks for terraform 1.5.7.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import { binaryMatrix, missingFeature, NO_NETWORK, projectForSuite, STEP_TIMEOUT_MS, TerraformProject, TF_FLAGS } from "./support/terraform.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const secret = (content: string, version: number) =>
  `resource "files_secret_file" "key" {\n  path               = "keys/key.txt"\n  content_wo         = ${JSON.stringify(content)}\n  content_wo_version = ${version}\n}\n`;

describeGo("write-only attributes through real terraform/tofu (managed, AutoMTLS)", () => {
  for (const spec of binaryMatrix()) {
    for (const protocol of [6, 5] as const) {
      describe(`${spec.label}, protocol ${protocol}`, () => {
        let p: TerraformProject;
        const stateFile = () => readFileSync(path.join(p.work, "terraform.tfstate"), "utf8");

        projectForSuite(
          () => p,
          async () => {
            p = await TerraformProject.create(await spec.get(), { protocol, env: NO_NETWORK });
            await p.writeConfig(secret("first secret\n", 1));
            await p.run(["init", ...TF_FLAGS]);
          },
        );

        if (missingFeature(spec, "write-only attributes", { terraform: "1.11", tofu: "1.11" })) {
          it(
            `${spec.label} predates write-only attributes: the provider refuses the configuration, naming the attribute and the versions that work`,
            async () => {
              const plan = await p.run(["plan", ...TF_FLAGS], { okCodes: [1] });
              const output = `${plan.stdout}${plan.stderr}`.replace(/\s+/g, " ");
              expect(output).toContain("Write-only attribute not supported");
              expect(output).toContain("content_wo is write-only");
              expect(output).toContain("Terraform 1.11 or OpenTofu 1.11");
              expect(existsSync(path.join(p.work, "terraform.tfstate"))).toBe(false);
            },
            STEP_TIMEOUT_MS,
          );
          return;
        }

        it(
          "apply writes the content; the state keeps only its sha256",
          async () => {
            const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
            expect(apply.stdout).toMatch(/Resources: 1 added, 0 changed, 0 destroyed/);
            expect(readFileSync(path.join(p.files, "keys/key.txt"), "utf8")).toBe("first secret\n");
            expect(stateFile()).not.toContain("first secret");
            expect(stateFile()).toContain(sha256("first secret\n"));
          },
          STEP_TIMEOUT_MS,
        );

        it(
          "a new content_wo alone plans nothing; with a new content_wo_version it is written",
          async () => {
            await p.writeConfig(secret("second secret\n", 1));
            const plan = await p.run(["plan", "-detailed-exitcode", ...TF_FLAGS], { okCodes: [0, 2] });
            expect(plan.code).toBe(0);
            await p.writeConfig(secret("second secret\n", 2));
            const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
            expect(apply.stdout).toMatch(/Resources: 0 added, 1 changed, 0 destroyed/);
            expect(readFileSync(path.join(p.files, "keys/key.txt"), "utf8")).toBe("second secret\n");
            expect(stateFile()).not.toContain("second secret");
            expect(stateFile()).toContain(sha256("second secret\n"));
          },
          STEP_TIMEOUT_MS,
        );

        it(
          "destroy removes the file",
          async () => {
            const destroy = await p.run(["destroy", "-auto-approve", ...TF_FLAGS]);
            expect(destroy.stdout).toMatch(/Resources: 1 destroyed/);
            expect(existsSync(path.join(p.files, "keys/key.txt"))).toBe(false);
          },
          STEP_TIMEOUT_MS,
        );
      });
    }
  }
});
