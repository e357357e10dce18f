// The real binaries of test/terraform-e2e.test.ts in the other ways Terraform
// meets a provider: reattach mode (the provider started by hand with --debug,
// TF_REATTACH_PROVIDERS with Test:true, plaintext, one provider process serving
// every command) and TF_DISABLE_PLUGIN_TLS=1 (plaintext managed mode), each over
// protocol 6 and 5 through the e2e's steps (FilesLifecycle in
// test/support/terraform.ts); then provider diagnostics with attribute paths,
// provider logs under TF_LOG, and a provider crash (Terraform's "plugin
// crashed" path, nothing left running).
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeGo } from "./support/go.js";
import {
  BUILD_TIMEOUT_MS,
  binaryMatrix,
  type DebugProviderProcess,
  disposeProject,
  expectNegotiated,
  FilesLifecycle,
  TF_FLAGS as flags,
  lifecycleTests,
  NO_NETWORK,
  PROVIDER_SOURCE,
  processesMentioning,
  fileResource as resource,
  STARTED_PROVIDER,
  STEP_TIMEOUT_MS,
  TerraformProject,
} from "./support/terraform.js";

/** 1-based line of main.tf holding `needle`. */
function lineOf(p: TerraformProject, needle: string): number {
  const lines = readFileSync(path.join(p.work, "main.tf"), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} is not in main.tf`);
  return i + 1;
}

interface ReattachConfig {
  Protocol: string;
  ProtocolVersion: number;
  Pid: number;
  Test: boolean;
  Addr: { Network: string; String: string };
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
        // Every project is cleaned up (its leftovers killed) before any is judged.
        const left = await Promise.all(projects.map((p) => disposeProject(p)));
        expect(left).toEqual(projects.map(() => ({ processes: [], tmp: [] })));
      });

      for (const protocol of [6, 5] as const) {
        describe(`reattach, protocol ${protocol}: one provider in debug mode serves every command over plaintext`, () => {
          let p: TerraformProject;
          let dbg: DebugProviderProcess;
          let life: FilesLifecycle;
          let socket: string;
          const ran: string[] = [];
          /** The debug provider's processes (by the argument under the project's directory: the executable or the protocol 5 launcher). */
          const debugProcesses = () => processesMentioning(dbg.command.find((arg) => arg.startsWith(p.root)) ?? p.root);

          beforeAll(async () => {
            p = await project();
            dbg = await p.startDebugProvider({}, protocol);
            life = new FilesLifecycle(p, { TF_REATTACH_PROVIDERS: dbg.reattach }, (r) => {
              // Terraform started no provider of its own: the command reached the debug server.
              expect(r.log, `${r.command} started a provider`).not.toMatch(STARTED_PROVIDER);
              ran.push(r.command);
            });
          }, STEP_TIMEOUT_MS);

          afterAll(async () => {
            if (dbg && debugProcesses().length > 0) await dbg.stop().catch(() => undefined);
          });

          it("the debug provider prints a Test:true reattach config for its unix socket", () => {
            const cfg = (JSON.parse(dbg.reattach) as Record<string, ReattachConfig>)[PROVIDER_SOURCE];
            expect(cfg).toMatchObject({ Protocol: "grpc", ProtocolVersion: protocol, Pid: dbg.pid, Test: true, Addr: { Network: "unix" } });
            socket = cfg?.Addr.String ?? "";
            expect(existsSync(socket)).toBe(true);
          });

          it(
            "init skips the unmanaged provider: nothing is installed, every later command reaches the debug server",
            async () => {
              await life.writeFirstConfig();
              const r = await life.run(["init", ...flags]);
              expect(r.stdout).not.toMatch(/Installing example\.com\/rpcplugin\/files/);
              expect(existsSync(path.join(p.work, ".terraform", "providers", ...PROVIDER_SOURCE.split("/")))).toBe(false);
            },
            STEP_TIMEOUT_MS,
          );

          it("plan and apply create the file", () => life.create(), STEP_TIMEOUT_MS);
          lifecycleTests(() => life);

          it(
            "the one debug provider served every command, still runs, and stops on SIGINT: exit 0, socket removed",
            async () => {
              expect(new Set(ran.map((command) => command.split(" ")[1]))).toEqual(new Set(["init", "plan", "apply", "show", "import", "destroy"]));
              expect(processesMentioning(p.executable).filter((pid) => pid !== dbg.pid)).toEqual([]);
              expect(debugProcesses()).toEqual([dbg.pid]);
              expect(await dbg.stop()).toEqual({ code: 0, signal: null });
              expect(existsSync(socket)).toBe(false);
              expect(debugProcesses()).toEqual([]);
            },
            STEP_TIMEOUT_MS,
          );
        });
      }

      for (const protocol of [6, 5] as const) {
        describe(`TF_DISABLE_PLUGIN_TLS=1, protocol ${protocol}: the provider serves plaintext in managed mode`, () => {
          let p: TerraformProject;
          let life: FilesLifecycle;

          beforeAll(async () => {
            p = await project({ protocol, env: { TF_DISABLE_PLUGIN_TLS: "1" } });
            life = new FilesLifecycle(p, {}, (r) => {
              // go-plugin's client without TLS can only talk to a plaintext server; with AutoMTLS it would log this.
              expect(r.log, r.command).not.toMatch(/configuring client automatic mTLS/);
            });
          }, STEP_TIMEOUT_MS);

          it(
            "init installs the provider from the mirror",
            async () => {
              await life.writeFirstConfig();
              await life.run(["init", ...flags]);
            },
            STEP_TIMEOUT_MS,
          );

          it(
            `a plan with changes and apply create the file, over protocol ${protocol} without TLS`,
            async () => {
              const { plan, apply } = await life.create();
              for (const r of [plan, apply]) {
                expect(r.log).toMatch(STARTED_PROVIDER);
                expectNegotiated(r.log, protocol);
              }
            },
            STEP_TIMEOUT_MS,
          );

          it("a second plan is empty", () => life.emptyPlan(), STEP_TIMEOUT_MS);
          it("destroy removes the file", () => life.destroy(), STEP_TIMEOUT_MS);
        });
      }

      it(
        "provider errors are diagnostics on the attribute; provider logs reach TF_LOG with level and module",
        async () => {
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
          const created = fresh.log.split("\n").find((l) => l.includes("created file"));
          expect(created, "the provider's 'created file' record in TF_LOG").toBeDefined();
          expect(created).toMatch(/\[INFO\]\s+provider\.terraform-provider-files[^:]*: created file: /);
          expect(created).toMatch(/path=fresh\.txt/);
          expect(created).toMatch(/@module=provider\.files|provider\.terraform-provider-files\.provider\.files/);
          await p.run(["destroy", "-auto-approve", ...flags]);
        },
        STEP_TIMEOUT_MS,
      );

      it(
        "a provider crash gives Terraform's 'plugin crashed' path and leaves no process",
        async () => {
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
        },
        STEP_TIMEOUT_MS,
      );
    });
  }
});
