// MoveResourceState through the real binaries: a `moved` block from files_file to
// files_secret_file (same provider, another resource type) keeps the file — no destroy, no create —
// and the next apply rewrites it through the write-only content; over protocol 6 and 5, managed
// with AutoMTLS. Terraform moves across resource types from 1.8 (OpenTofu 1.12.6 does too); for a
// binary that cannot, the tests are skipped with the reason in their names and on stderr.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import { describeEachBinary, NO_NETWORK, projectForSuite, STEP_TIMEOUT_MS, TerraformProject, TF_FLAGS } from "./support/terraform.js";

const PLAIN = 'resource "files_file" "key" {\n  path    = "keys/key.txt"\n  content = "plain\\n"\n}\n';
const MOVED =
  "moved {\n  from = files_file.key\n  to   = files_secret_file.key\n}\n" +
  'resource "files_secret_file" "key" {\n  path               = "keys/key.txt"\n  content_wo         = "now secret\\n"\n  content_wo_version = 1\n}\n';

describeGo("MoveResourceState through real terraform (managed, AutoMTLS)", () => {
  describeEachBinary("terraform-move", "moved blocks across resource types", { terraform: "1.8", tofu: "1.12" }, (spec, protocol) => {
    let p: TerraformProject;

    projectForSuite(
      () => p,
      async () => {
        p = await TerraformProject.create(await spec.get(), { protocol, env: NO_NETWORK });
        await p.writeConfig(PLAIN);
        await p.run(["init", ...TF_FLAGS]);
        await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
      },
    );

    it(
      "a moved block to another resource type moves the state: no destroy, no create, the file kept and then rewritten",
      async () => {
        await p.writeConfig(MOVED);
        const plan = await p.run(["plan", ...TF_FLAGS]);
        expect(plan.stdout).toMatch(/# files_secret_file\.key will be updated in-place\n\s*# \(moved from files_file\.key\)/);
        expect(plan.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
        expect(plan.log).toMatch(/MoveResourceState/);
        const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
        expect(apply.stdout).toMatch(/Resources: 0 added, 1 changed, 0 destroyed/);
        expect(readFileSync(path.join(p.files, "keys/key.txt"), "utf8")).toBe("now secret\n");
        const state = JSON.parse((await p.run(["show", "-json", "-no-color"])).stdout) as {
          values: { root_module: { resources: { address: string }[] } };
        };
        expect(state.values.root_module.resources.map((r) => r.address)).toEqual(["files_secret_file.key"]);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "destroy",
      async () => {
        const destroy = await p.run(["destroy", "-auto-approve", ...TF_FLAGS]);
        expect(destroy.stdout).toMatch(/Resources: 1 destroyed/);
      },
      STEP_TIMEOUT_MS,
    );
  });
});
