// The real binaries of test/terraform-e2e.test.ts in the other ways Terraform
// meets a provider: reattach mode (the provider started by hand with --debug,
// TF_REATTACH_PROVIDERS with Test:true, plaintext, one provider process serving
// every command), TF_DISABLE_PLUGIN_TLS=1 (plaintext managed mode), provider
// diagnostics with attribute paths, provider logs under TF_LOG, and a provider
// crash (Terraform's "plugin crashed" path, nothing left running).
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import { BUILD_TIMEOUT_MS, STEP_TIMEOUT_MS, binaryMatrix, PROVIDER_SOURCE, processesMentioning, TerraformProject } from "./support/terraform.js";

const NO_NETWORK = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };
const resource = (name: string, file: string, content: string) =>
  `resource "files_file" "${name}" {\n  path    = ${JSON.stringify(file)}\n  content = ${JSON.stringify(content)}\n}\n`;
const flags = ["-input=false", "-no-color"];

/** 1-based line of main.tf holding `needle`. */
function lineOf(p: TerraformProject, needle: string): number {
  const lines = readFileSync(path.join(p.work, "main.tf"), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} is not in main.tf`);
  return i + 1;
}

describeGo("real terraform/tofu binaries: reattach, plaintext, diagnostics, logs, crash", () => {
  for (const spec of binaryMatrix()) {
    describe(spec.label, () => {
      const projects: TerraformProject[] = [];
      const project = async (opts: Parameters<typeof TerraformProject.create>[1] = {}) => {
        const p = await TerraformProject.create(await spec.get(), { ...opts, env: { ...NO_NETWORK, ...opts.env } });
        projects.push(p);
        return p;
      };

      beforeAll(async () => {
        const bin = await spec.get();
        process.stderr.write(`[terraform-modes] ${spec.label}: ${bin.path} (${bin.origin})\n`);
      }, BUILD_TIMEOUT_MS);

      afterAll(async () => {
        for (const p of projects) {
          expect(processesMentioning(p.executable)).toEqual([]);
          expect(await p.tmpEntries()).toEqual([]);
          await p.dispose();
        }
      });

      for (const protocol of [6, 5] as const) {
      it(`reattach, protocol ${protocol}: one provider in debug mode serves init, plan, apply, plan and destroy over plaintext`, async () => {
        const p = await project();
        await p.writeConfig(resource("hello", "hello.txt", "reattached\n"));
        const dbg = await p.startDebugProvider({}, protocol);
        try {
          const reattach = JSON.parse(dbg.reattach) as Record<string, { Protocol: string; ProtocolVersion: number; Pid: number; Test: boolean; Addr: { Network: string; String: string } }>;
          const cfg = reattach[PROVIDER_SOURCE];
          expect(cfg).toMatchObject({ Protocol: "grpc", ProtocolVersion: protocol, Pid: dbg.pid, Test: true, Addr: { Network: "unix" } });
          const socket = cfg?.Addr.String ?? "";
          expect(existsSync(socket)).toBe(true);
          const env = { TF_REATTACH_PROVIDERS: dbg.reattach };

          await p.run(["init", ...flags], { env });
          // init skips unmanaged providers: nothing installed, so every command below reaches the debug server.
          expect(existsSync(path.join(p.work, ".terraform", "providers", ...PROVIDER_SOURCE.split("/")))).toBe(false);
          const plan = await p.run(["plan", ...flags, "-detailed-exitcode"], { env, okCodes: [2] });
          expect(plan.stdout).toMatch(/files_file\.hello will be created/);
          await p.run(["apply", "-auto-approve", ...flags], { env });
          expect(readFileSync(path.join(p.files, "hello.txt"), "utf8")).toBe("reattached\n");
          expect((await p.resources(env))["files_file.hello"]).toMatchObject({ content: "reattached\n" });
          const again = await p.run(["plan", ...flags, "-detailed-exitcode"], { env });
          expect(again.code).toBe(0);
          await p.run(["destroy", "-auto-approve", ...flags], { env });
          expect(existsSync(path.join(p.files, "hello.txt"))).toBe(false);
          // Terraform started no provider of its own: the debug server is the only one, still serving.
          expect(processesMentioning(p.executable).filter((pid) => pid !== dbg.pid)).toEqual([]);
          expect(processesMentioning(dbg.command.at(-1) as string)).toEqual([dbg.pid]);

          const exit = await dbg.stop();
          expect(exit).toEqual({ code: 0, signal: null });
          expect(existsSync(socket)).toBe(false);
        } finally {
          if (processesMentioning(dbg.command.at(-1) as string).length > 0) await dbg.stop().catch(() => undefined);
        }
      }, STEP_TIMEOUT_MS);
      }

      it("TF_DISABLE_PLUGIN_TLS=1: the provider serves plaintext in managed mode (plan, apply, destroy)", async () => {
        const p = await project({ env: { TF_DISABLE_PLUGIN_TLS: "1" } });
        await p.writeConfig(resource("plain", "plain.txt", "no tls\n"));
        await p.run(["init", ...flags]);
        const apply = await p.run(["apply", "-auto-approve", ...flags]);
        // go-plugin's client without TLS can only talk to a plaintext server; with AutoMTLS it would log this.
        expect(apply.log).toMatch(/using plugin: version=6/);
        expect(apply.log).not.toMatch(/configuring client automatic mTLS/);
        expect(readFileSync(path.join(p.files, "plain.txt"), "utf8")).toBe("no tls\n");
        await p.run(["destroy", "-auto-approve", ...flags]);
        expect(existsSync(path.join(p.files, "plain.txt"))).toBe(false);
      }, STEP_TIMEOUT_MS);

      it("provider errors are diagnostics on the attribute; provider logs reach TF_LOG with level and module", async () => {
        const p = await project();
        await p.writeConfig(resource("bad", "../escape.txt", "x"));
        await p.run(["init", ...flags]);
        const bad = await p.run(["plan", ...flags], { okCodes: [1] });
        const pathLine = lineOf(p, "../escape.txt");
        expect(bad.stderr).toMatch(/Error: Invalid file path/);
        // Terraform points at the attribute's own line only when the diagnostic carries its path.
        expect(bad.stderr).toContain(`on main.tf line ${pathLine}, in resource "files_file" "bad":`);
        expect(bad.stderr).toMatch(new RegExp(`${pathLine}:\\s+path\\s+= "\\.\\./escape\\.txt"`));

        // An apply-time diagnostic: the file exists already.
        await writeFile(path.join(p.files, "taken.txt"), "someone else's\n");
        await p.writeConfig(resource("clash", "taken.txt", "mine\n"));
        const clash = await p.run(["apply", "-auto-approve", ...flags], { okCodes: [1] });
        expect(clash.stderr).toMatch(/Error: File already exists/);
        expect(clash.stderr).toContain(`with files_file.clash,`);
        expect(clash.stderr).toContain(`on main.tf line ${lineOf(p, '"taken.txt"')}, in resource "files_file" "clash":`);
        expect(readFileSync(path.join(p.files, "taken.txt"), "utf8")).toBe("someone else's\n");

        // The provider's hclog records, relayed by go-plugin into Terraform's log with their level.
        const text = clash.log;
        expect(text).toMatch(/configuring client automatic mTLS/);
        expect(text).toMatch(/\[(WARN|ERROR|INFO|DEBUG|TRACE)\]\s+provider\.terraform-provider-files(\.[\w.-]+)?: /);
        await writeFile(path.join(p.files, "taken.txt"), "");
        await p.writeConfig(resource("fresh", "fresh.txt", "logged\n"));
        const fresh = await p.run(["apply", "-auto-approve", ...flags]);
        const created = fresh.log
          .split("\n")
          .find((l) => l.includes("created file"));
        expect(created, "the provider's 'created file' record in TF_LOG").toBeDefined();
        expect(created).toMatch(/\[INFO\]\s+provider\.terraform-provider-files[^:]*: created file: /);
        expect(created).toMatch(/path=fresh\.txt/);
        expect(created).toMatch(/@module=provider\.files|provider\.terraform-provider-files\.provider\.files/);
        await p.run(["destroy", "-auto-approve", ...flags]);
      }, STEP_TIMEOUT_MS);

      it("a provider crash gives Terraform's 'plugin crashed' path and leaves no process", async () => {
        const p = await project();
        await p.writeConfig(resource("boom", "boom.txt", "never written\n"));
        await p.run(["init", ...flags]);
        const r = await p.run(["apply", "-auto-approve", ...flags], { okCodes: [1], env: { FILES_PROVIDER_CRASH_ON_CREATE: "1" } });
        const out = `${r.stdout}\n${r.stderr}`;
        // The failed call; wording differs by version ("Request cancelled", "Plugin did not respond").
        expect(out).toMatch(/Error: (Request cancelled|Plugin did not respond)[\s\S]*ApplyResourceChange/);
        // The provider's Go-style panic on its stderr, which go-plugin relays into the log.
        expect(r.log).toMatch(/provider\.terraform-provider-files[^:]*: panic: files provider crashed on purpose/);
        if (spec.kind === "terraform") {
          // Terraform's crash report quotes the panic. OpenTofu 1.12.6 prints none, for Go providers too:
          // its go-plugin v1.7.0 logs panic lines at ERROR, and OpenTofu's panic recorder only sees DEBUG.
          expect(out).toMatch(/Stack trace from the terraform-provider-files plugin:\s+panic: files provider crashed on purpose/);
          expect(out).toMatch(/Error: The terraform-provider-files plugin crashed!/);
        }
        expect(r.leftoverPids).toEqual([]);
        expect(processesMentioning(p.executable)).toEqual([]);
        expect(existsSync(path.join(p.files, "boom.txt"))).toBe(false);
        expect((await p.resources())["files_file.boom"]).toBeUndefined();
      }, STEP_TIMEOUT_MS);
    });
  }
});
