// A served provider loads the generated code of the protocol Terraform negotiates and not the
// other's; importing the package's root entry loads neither. Module loads are traced with a
// `node --import` hook (test/support/module-trace.mjs) into a file per process.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type PluginSet, startPlugin } from "@rpcplugin/runtime";
import { TERRAFORM_HANDSHAKE } from "@rpcplugin/terraform";
import * as tfplugin5 from "@rpcplugin/terraform/tfplugin5";
import * as tfplugin6 from "@rpcplugin/terraform/tfplugin6";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "./fixture.js";

const launcher = path.join(repoRoot, "examples", "terraform-provider-files", "terraform-provider-files");
const traceHook = path.join(repoRoot, "test", "support", "module-trace.mjs");

/** The generated protocols among the traced module URLs ("tfplugin5", "tfplugin6"). */
function protocolsLoaded(traceFile: string): string[] {
  expect(existsSync(traceFile), `no module trace was written to ${traceFile}`).toBe(true);
  const urls = readFileSync(traceFile, "utf8").split("\n");
  expect(
    urls.some((url) => url.includes("/packages/terraform/dist/")),
    "the trace holds no module of @rpcplugin/terraform",
  ).toBe(true);
  return ["tfplugin5", "tfplugin6"].filter((protocol) => urls.some((url) => url.includes(`/gen/${protocol}/`)));
}

async function servedProtocol(offered: Record<number, PluginSet>): Promise<{ version: number; loaded: string[] }> {
  const dir = tempDir("tf-lazy-");
  const traceFile = path.join(dir.path, "modules.txt");
  try {
    const client = await startPlugin({
      command: launcher,
      handshake: TERRAFORM_HANDSHAKE,
      versionedPlugins: offered,
      autoMTLS: true,
      env: { NODE_OPTIONS: `--import ${traceHook}`, MODULE_TRACE_FILE: traceFile, TMPDIR: dir.path },
      onLog: () => {},
    });
    try {
      const provider = client.dispense("provider");
      const schema =
        client.protocolVersion === 6
          ? await (provider as tfplugin6.ProviderClient).getProviderSchema({})
          : await (provider as tfplugin5.ProviderClient).getSchema({});
      expect(Object.keys(schema.resourceSchemas)).toEqual(["files_file", "files_secret_file"]);
      return { version: client.protocolVersion, loaded: protocolsLoaded(traceFile) };
    } finally {
      await client.close();
    }
  } finally {
    dir.cleanup();
  }
}

describe("the files provider loads only the negotiated protocol", () => {
  it("protocols 5 and 6 offered (as Terraform does): serves 6, loads only tfplugin6", async () => {
    expect(await servedProtocol({ 5: { provider: tfplugin5.ProviderPlugin }, 6: { provider: tfplugin6.ProviderPlugin } })).toEqual({
      version: 6,
      loaded: ["tfplugin6"],
    });
  });

  it("only protocol 5 offered (Terraform 0.12–0.14): serves 5, loads only tfplugin5", async () => {
    expect(await servedProtocol({ 5: { provider: tfplugin5.ProviderPlugin } })).toEqual({ version: 5, loaded: ["tfplugin5"] });
  });
});

describe("@rpcplugin/terraform's root entry", () => {
  it("loads neither generated protocol", () => {
    const dir = tempDir("tf-lazy-");
    const traceFile = path.join(dir.path, "modules.txt");
    try {
      execFileSync(
        process.execPath,
        [
          "--import",
          traceHook,
          "--input-type=module",
          "-e",
          'const m = await import("@rpcplugin/terraform"); if (typeof m.serveProvider !== "function") process.exit(3);',
        ],
        {
          cwd: repoRoot,
          env: { ...process.env, MODULE_TRACE_FILE: traceFile },
          stdio: ["ignore", "ignore", "inherit"],
        },
      );
      expect(protocolsLoaded(traceFile)).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });
});
