// The README's "Quick start from an empty folder", run as a new user runs it
// (scripts/quickstart.sh): packages installed into an empty folder outside
// the repo (@rpcplugin/* packed from this checkout, the rest from the npm
// registry), buf generate, rpcplugin scaffold, one method filled in, tsc,
// the host calling the plugin. Needs the npm registry; set
// RPCPLUGIN_SKIP_QUICKSTART=1 to skip it deliberately (offline).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const script = join(repoRoot, "scripts", "quickstart.sh");

function runScript(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, dir], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe.skipIf(process.env.RPCPLUGIN_SKIP_QUICKSTART === "1")("quick start from an empty folder", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rpcplugin-quickstart-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("installs, generates, scaffolds, compiles and gets the plugin's answer", { timeout: 240_000 }, async () => {
    const { code, output } = await runScript(dir);
    expect(code, output).toBe(0);
    expect(output).toContain("created: src/greeter-plugin.ts (class GreeterImpl implements GreeterHandler)\nadded: sayHello\n");
    expect(output).toContain("created: src/greeter-host.ts");
    // The last line is the host printing what the plugin process answered.
    expect(output.trimEnd().split("\n").at(-1)).toBe("{ '$typeName': 'greet.v1.SayHelloResponse', message: 'Hello, world!' }");
    const project = join(dir, "greeter");
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies["@rpcplugin/runtime"]).toMatch(/^file:.*rpcplugin-runtime-0\.1\.0\.tgz$/);
  });

  it("keeps the README in step with the script", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Quick start from an empty folder"), readme.indexOf("## Examples"));
    const shell = readFileSync(script, "utf8");
    for (const step of ["npm pkg set type=module", "npx buf generate", "npx rpcplugin scaffold greet.v1.Greeter", "node dist/src/greeter-host.js"]) {
      expect(section, step).toContain(step);
      expect(shell, step).toContain(step);
    }
    // The files the README has the reader write are the ones the script writes.
    for (const block of ["proto/greet/v1/greet.proto", "buf.yaml", "buf.gen.yaml", "tsconfig.json"]) {
      const inScript = new RegExp(`cat > ${block.replace(/[./]/g, "\\$&")} <<'EOF'\\n([^]*?)\\nEOF\\n`).exec(shell)?.[1];
      expect(inScript, block).toBeDefined();
      expect(section, block).toContain(inScript!);
    }
  });
});
