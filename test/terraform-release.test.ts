// `rpcplugin release`: the files provider as a registry release (zip, manifest, SHA256SUMS), installed
// by real terraform and tofu from a filesystem mirror holding only the zip, with no node on PATH,
// then planned, applied and destroyed; the executable Terraform unpacked also serves debug mode.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/main.js";
import { platformName, type ReleaseResult, releaseProvider } from "../packages/cli/src/release.js";
import { tempDir } from "./fixture.js";
import { describeGo } from "./support/go.js";
import { noNodePath } from "./support/no-node-path.js";
import { binaryMatrix, FilesLifecycle, NO_NETWORK, projectForSuite, providerMain, STEP_TIMEOUT_MS, TerraformProject, TF_FLAGS } from "./support/terraform.js";

const out = tempDir("rpcplugin-release-");
const withoutNode = noNodePath();
afterAll(() => {
  out.cleanup();
  withoutNode.cleanup();
});

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("rpcplugin release: arguments", () => {
  async function cli(...argv: string[]) {
    let output = "";
    const code = await main(["release", ...argv], (text) => (output += text));
    return { code, output };
  }

  it("refuses what cannot name a release, exit code 2, before building anything", async () => {
    expect(await cli()).toMatchObject({ code: 2, output: expect.stringContaining("give the provider's entry module") });
    expect(await cli(providerMain, "--version", "1.0.0")).toMatchObject({ code: 2, output: expect.stringContaining("--name is required") });
    expect(await cli(providerMain, "--name", "files")).toMatchObject({ code: 2, output: expect.stringContaining("--version is required") });
    expect(await cli(providerMain, "--name", "terraform-provider-files", "--version", "1.0.0")).toMatchObject({
      code: 2,
      output: expect.stringContaining("give the part after terraform-provider-"),
    });
    expect(await cli(providerMain, "--name", "Files", "--version", "1.0.0")).toMatchObject({
      code: 2,
      output: expect.stringContaining("not a provider type name"),
    });
    expect(await cli(providerMain, "--name", "files", "--version", "1.0")).toMatchObject({
      code: 2,
      output: expect.stringContaining("not a semantic version"),
    });
    const file = path.join(out.path, "a-file");
    writeFileSync(file, "");
    expect(await cli(providerMain, "--name", "files", "--version", "1.0.0", "--out-dir", file)).toMatchObject({
      code: 2,
      output: expect.stringContaining("is a file"),
    });
  });

  it("names the platform as Go does", () => {
    expect(platformName("linux", "x64")).toBe("linux_amd64");
    expect(platformName("darwin", "arm64")).toBe("darwin_arm64");
    expect(platformName("win32", "ia32")).toBe("windows_386");
  });

  it("refuses an entry that is not a provider: a plugin serving another protocol", async () => {
    const kv = path.join(path.dirname(providerMain), "..", "..", "go-plugin", "dist", "kv", "main.js");
    await expect(releaseProvider({ entry: kv, name: "kv", version: "1.0.0", outDir: path.join(out.path, "not-a-provider") })).rejects.toMatchObject({
      name: "BuildError",
      reason: "no-serve",
      message: expect.stringContaining("does not serve Terraform's provider protocol 5 or 6"),
    });
  }, 120_000);
});

for (const snapshot of [false, true]) {
  describeGo(
    `a provider released with rpcplugin release${snapshot ? " --snapshot" : ""}, installed by real terraform/tofu from its zip, with no node on PATH`,
    () => {
      let released: ReleaseResult;
      const dist = path.join(out.path, snapshot ? "dist-snapshot" : "dist");

      beforeAll(async () => {
        released = await releaseProvider({ entry: providerMain, name: "files", version: "0.1.0", outDir: dist, snapshot });
      }, 120_000);

      it("writes the registry layout: the zip, a manifest of the protocols the provider served, and the sums of both", () => {
        const base = "terraform-provider-files_0.1.0";
        expect(readdirSync(dist).sort()).toEqual([`${base}_${platformName()}.zip`, `${base}_SHA256SUMS`, `${base}_manifest.json`].sort());
        expect(JSON.parse(readFileSync(released.manifest, "utf8"))).toEqual({ version: 1, metadata: { protocol_versions: ["5.0", "6.0"] } });
        expect(readFileSync(released.sums, "utf8")).toBe(
          [`${base}_${platformName()}.zip`, `${base}_manifest.json`]
            .sort()
            .map((file) => `${sha256(path.join(dist, file))}  ${file}\n`)
            .join(""),
        );
      });

      for (const spec of binaryMatrix()) {
        describe(spec.label, () => {
          let p: TerraformProject;
          let life: FilesLifecycle;

          projectForSuite(
            () => p,
            async () => {
              p = await TerraformProject.create(await spec.get(), { packagedZip: released.zip, env: { ...NO_NETWORK, ...withoutNode.env } });
              life = new FilesLifecycle(p);
            },
          );

          it(
            "init installs it from the zip: the executable alone, recorded in the lock file by its h1: hash",
            async () => {
              expect(spawnSync("sh", ["-c", "command -v node"], { env: p.env() }).status).not.toBe(0);
              await life.writeFirstConfig();
              const r = await p.run(["init", ...TF_FLAGS]);
              expect(r.stdout).toMatch(/Installed example\.com\/rpcplugin\/files v0\.1\.0/);
              accessSync(p.executable, constants.X_OK);
              expect(readdirSync(path.dirname(p.executable))).toEqual(["terraform-provider-files_v0.1.0"]);
              // h1: Go's dirhash.Hash1 of the unpacked package: sha256 of "<sha256 of file>  <name>\n" per file.
              const h1 = createHash("sha256")
                .update(`${sha256(p.executable)}  terraform-provider-files_v0.1.0\n`)
                .digest("base64");
              expect(readFileSync(path.join(p.work, ".terraform.lock.hcl"), "utf8")).toContain(`"h1:${h1}"`);
            },
            STEP_TIMEOUT_MS,
          );

          it("plan and apply create the file", () => life.create(), STEP_TIMEOUT_MS);
          it("a second plan is empty", () => life.emptyPlan(), STEP_TIMEOUT_MS);
          it(
            "the unpacked executable serves debug mode (--debug); terraform reattaches to it and finds nothing to change",
            async () => {
              const debug = await p.startDebugProvider(withoutNode.env);
              try {
                const r = await p.run(["plan", ...TF_FLAGS], { env: { TF_REATTACH_PROVIDERS: debug.reattach } });
                expect(r.stdout).toMatch(/No changes/);
              } finally {
                expect(await debug.stop()).toEqual({ code: 0, signal: null });
              }
            },
            STEP_TIMEOUT_MS,
          );
          it("destroy removes the file", () => life.destroy(), STEP_TIMEOUT_MS);
        });
      }
    },
  );
}
