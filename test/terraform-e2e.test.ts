// Real terraform and tofu binaries (terraform 1.5.7 and tofu 1.12.6 built from
// the Go module proxy by scripts/terraform-binaries.mjs, plus a terraform on
// PATH of another version) drive the TypeScript `files` provider
// (examples/terraform-provider-files) in managed mode with AutoMTLS on, for
// protocol 6 and protocol 5: init from a filesystem mirror with no network,
// plan, apply, an empty second plan, an in-place update, a replace, import, a
// data source and destroy. Each step checks the files on disk and
// `show -json`, and every command must leave no process behind (the
// provider processes Terraform starts live in the command's process group).
// The steps are FilesLifecycle (test/support/terraform.ts), which
// test/terraform-modes.test.ts runs again through reattach mode and
// TF_DISABLE_PLUGIN_TLS, next to diagnostics, logs and crashes.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import {
  binaryMatrix,
  expectNegotiated,
  FilesLifecycle,
  lifecycleTests,
  NO_NETWORK,
  projectForSuite,
  STARTED_PROVIDER,
  STEP_TIMEOUT_MS,
  TerraformProject,
  TF_FLAGS,
} from "./support/terraform.js";

describeGo("real terraform/tofu binaries drive the TypeScript files provider (managed, AutoMTLS)", () => {
  for (const spec of binaryMatrix()) {
    for (const protocol of [6, 5] as const) {
      describe(`${spec.label}, protocol ${protocol}`, () => {
        let p: TerraformProject;
        let life: FilesLifecycle;

        projectForSuite(
          () => p,
          async () => {
            const bin = await spec.get();
            process.stderr.write(`[terraform-e2e] ${spec.label}: ${bin.path} (${bin.origin}), protocol ${protocol}\n`);
            p = await TerraformProject.create(bin, { protocol, env: NO_NETWORK });
            life = new FilesLifecycle(p);
          },
        );

        it(
          "reports the expected version",
          async () => {
            const r = await p.run(["version", "-json"]);
            expect((JSON.parse(r.stdout) as { terraform_version: string }).terraform_version).toBe(spec.version);
          },
          STEP_TIMEOUT_MS,
        );

        it(
          "init installs the provider from the filesystem mirror, with no network",
          async () => {
            await life.writeFirstConfig();
            const r = await p.run(["init", ...TF_FLAGS]);
            expect(r.stdout).toMatch(/Installing example\.com\/rpcplugin\/files v0\.1\.0/);
            expect(r.stdout).toMatch(/Installed example\.com\/rpcplugin\/files v0\.1\.0/);
            const lock = readFileSync(path.join(p.work, ".terraform.lock.hcl"), "utf8");
            expect(lock).toMatch(/provider "example\.com\/rpcplugin\/files"[\s\S]*version\s*=\s*"0\.1\.0"[\s\S]*"h1:/);
          },
          STEP_TIMEOUT_MS,
        );

        it(
          `plan and apply create the file; the provider negotiated protocol ${protocol}`,
          async () => {
            const { plan } = await life.create();
            // AutoMTLS on (a go-plugin client with it can only talk to a TLS server), and the version picked.
            expect(plan.log).toMatch(STARTED_PROVIDER);
            expect(plan.log).toMatch(/configuring client automatic mTLS/);
            expectNegotiated(plan.log, protocol);
          },
          STEP_TIMEOUT_MS,
        );

        lifecycleTests(() => life);
      });
    }
  }
});
