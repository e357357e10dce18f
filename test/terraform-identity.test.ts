// Resource identity through the real binaries: files_file's identity ({ path }) stored beside the state
// after apply, kept through a refresh and an update, and an `import` block that names a file by its
// identity instead of an id — over protocol 6 and 5, managed with AutoMTLS. Terraform and OpenTofu
// have identity from 1.12; for a binary that has not, the tests are skipped with the reason in their
// names and on stderr.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import { describeEachBinary, NO_NETWORK, projectForSuite, STEP_TIMEOUT_MS, TerraformProject, TF_FLAGS } from "./support/terraform.js";

const file = (name: string, at: string, content: string) =>
  `resource "files_file" "${name}" {\n  path    = ${JSON.stringify(at)}\n  content = ${JSON.stringify(content)}\n}\n`;

interface IdentityShow {
  values?: { root_module: { resources: { address: string; identity?: Record<string, unknown>; identity_schema_version?: number }[] } };
}

describeGo("resource identity through real terraform (managed, AutoMTLS)", () => {
  describeEachBinary("terraform-identity", "resource identities", { terraform: "1.12", tofu: "1.12" }, (spec, protocol) => {
    let p: TerraformProject;
    const identities = async () => {
      const shown = JSON.parse((await p.run(["show", "-json", "-no-color"])).stdout) as IdentityShow;
      return Object.fromEntries((shown.values?.root_module.resources ?? []).map((r) => [r.address, [r.identity, r.identity_schema_version]]));
    };

    projectForSuite(
      () => p,
      async () => {
        p = await TerraformProject.create(await spec.get(), { protocol, env: NO_NETWORK });
        await p.writeConfig("");
        await p.run(["init", ...TF_FLAGS]);
      },
    );

    it(
      "apply stores the identity the provider derives; a refresh and an in-place update keep it",
      async () => {
        await p.writeConfig(file("a", "docs/a.txt", "one\n"));
        const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
        expect(apply.log).toMatch(/getResourceIdentitySchemas/i);
        expect(await identities()).toEqual({ "files_file.a": [{ path: "docs/a.txt" }, 0] });
        await p.writeConfig(file("a", "docs/a.txt", "two\n"));
        const update = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
        expect(update.stdout).toMatch(/Resources: 0 added, 1 changed, 0 destroyed/);
        expect(await identities()).toEqual({ "files_file.a": [{ path: "docs/a.txt" }, 0] });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "an import block by identity brings an existing file under management: planned as an import, then applied",
      async () => {
        mkdirSync(path.join(p.files, "found"), { recursive: true });
        writeFileSync(path.join(p.files, "found/b.txt"), "already here\n");
        await p.writeConfig(
          `${file("a", "docs/a.txt", "two\n")}${file("b", "found/b.txt", "already here\n")}` +
            'import {\n  to       = files_file.b\n  identity = { path = "found/b.txt" }\n}\n',
        );
        const plan = await p.run(["plan", ...TF_FLAGS]);
        expect(plan.stdout).toMatch(/files_file\.b will be imported/);
        expect(plan.stdout).toMatch(/Plan: 1 to import, 0 to add, 0 to change, 0 to destroy/);
        const apply = await p.run(["apply", "-auto-approve", ...TF_FLAGS]);
        expect(apply.stdout).toMatch(/Resources: 1 imported, 0 added, 0 changed, 0 destroyed/);
        expect(await identities()).toEqual({
          "files_file.a": [{ path: "docs/a.txt" }, 0],
          "files_file.b": [{ path: "found/b.txt" }, 0],
        });
        expect((await p.resources())["files_file.b"]).toMatchObject({ path: "found/b.txt", id: "found/b.txt", content: "already here\n" });
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "an import block by an identity that lacks its required attribute fails before the provider imports, naming it",
      async () => {
        await p.writeConfig(`${file("a", "docs/a.txt", "two\n")}${file("c", "c.txt", "x")}import {\n  to       = files_file.c\n  identity = {}\n}\n`);
        const plan = await p.run(["plan", ...TF_FLAGS], { okCodes: [1] });
        // required_for_import of the identity schema at work: OpenTofu checks it against the schema, before asking the provider.
        expect(`${plan.stdout}\n${plan.stderr}`).toMatch(/attribute "path" is required/);
        expect(plan.log).not.toMatch(/import files_file/);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "destroy",
      async () => {
        await p.writeConfig(`${file("a", "docs/a.txt", "two\n")}${file("b", "found/b.txt", "already here\n")}`);
        const destroy = await p.run(["destroy", "-auto-approve", ...TF_FLAGS]);
        expect(destroy.stdout).toMatch(/Resources: 2 destroyed/);
        expect(() => readFileSync(path.join(p.files, "found/b.txt"))).toThrow(/ENOENT/);
      },
      STEP_TIMEOUT_MS,
    );
  });
});
