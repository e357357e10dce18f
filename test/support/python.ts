// Python peers for interop tests: pyvider-rpcplugin (the Python implementation of go-plugin's gRPC
// protocol this project's design comes from), pinned like the Go peers, in a virtual environment
// the harness builds once and caches outside the repo:
//
//   ${RPCPLUGIN_PYTHON_CACHE:-<tmpdir>/rpcplugin-python}/pyvider-rpcplugin-<version>-py<major.minor>/
//
// Python ≥ 3.11 is needed (pyvider's own floor). Without it the suites fail loudly, saying how to
// install it; RPCPLUGIN_SKIP_PYTHON=1 skips them on purpose, as RPCPLUGIN_SKIP_GO=1 does for Go.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { repoRoot } from "./go.js";

export const PYVIDER_VERSION = "0.5.5";
export const pythonFixtures = path.join(repoRoot, "fixtures", "python");

const INSTALL_HINT =
  "The pyvider-rpcplugin interop suites need Python ≥ 3.11 as `python3` on PATH (with venv and pip), " +
  "which the harness uses to install pyvider-rpcplugin " +
  PYVIDER_VERSION +
  " into a cached virtual environment. Install Python, or set RPCPLUGIN_SKIP_PYTHON=1 to skip these suites deliberately.";

let interpreter: { command: string; version: string } | null | undefined;

/** `python3` (or RPCPLUGIN_PYTHON) when it is ≥ 3.11, with its "major.minor". */
export function systemPython(): { command: string; version: string } | null {
  if (interpreter !== undefined) return interpreter;
  const command = process.env.RPCPLUGIN_PYTHON || "python3";
  const r = spawnSync(command, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
  const version = r.status === 0 ? r.stdout.trim() : "";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  interpreter = major > 3 || (major === 3 && minor >= 11) ? { command, version } : null;
  return interpreter;
}

/** The explicit opt-out: RPCPLUGIN_SKIP_PYTHON=1 (any value other than "", "0", "false"). */
export function pythonSkipped(): boolean {
  const v = process.env.RPCPLUGIN_SKIP_PYTHON ?? "";
  return v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/**
 * `describe` for suites that need pyvider: skipped only with RPCPLUGIN_SKIP_PYTHON=1; without a
 * Python ≥ 3.11 and without the opt-out the suite fails with the install hint.
 */
export function describePython(name: string, fn: () => void): void {
  const skip = pythonSkipped();
  if (skip)
    process.stderr.write(`[python] skipping "${name}": RPCPLUGIN_SKIP_PYTHON=${process.env.RPCPLUGIN_SKIP_PYTHON} (unset it to run the pyvider suites)\n`);
  describe.skipIf(skip)(name, () => {
    if (!skip && systemPython() === null) throw new Error(INSTALL_HINT);
    fn();
  });
}

/**
 * The virtual environment's python with pyvider-rpcplugin installed, built on first use (pip from
 * the package index, a minute or so) into a temporary folder and renamed into place, so that test
 * files racing to build it never see half an environment.
 */
export function pyviderPython(): string {
  const system = systemPython();
  if (system === null) throw new Error(INSTALL_HINT);
  const cache = process.env.RPCPLUGIN_PYTHON_CACHE || path.join(os.tmpdir(), "rpcplugin-python");
  const venv = path.join(cache, `pyvider-rpcplugin-${PYVIDER_VERSION}-py${system.version}`);
  const python = path.join(venv, "bin", "python");
  if (existsSync(python)) return python;
  mkdirSync(cache, { recursive: true });
  const building = `${venv}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const run = (command: string, args: string[]) => {
    const r = spawnSync(command, args, { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) {
      rmSync(building, { recursive: true, force: true });
      throw new Error(`${command} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}\n${r.stdout}`);
    }
  };
  run(system.command, ["-m", "venv", building]);
  run(path.join(building, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", `pyvider-rpcplugin==${PYVIDER_VERSION}`]);
  try {
    renameSync(building, venv);
  } catch (error) {
    // Another test file finished first: use its environment.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(python)) throw error;
  }
  return python;
}
