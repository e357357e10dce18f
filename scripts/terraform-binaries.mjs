#!/usr/bin/env node
// Real Terraform/OpenTofu binaries for the end-to-end tests and the bench,
// obtained only through the project's own files and the Go module proxy:
//   terraform v1.5.7  `go install github.com/hashicorp/terraform@v1.5.7` (the last MPL release)
//   tofu v1.12.6      `go build github.com/opentofu/opentofu/cmd/tofu` in fixtures/tofu, a module
//                     of ours that repeats OpenTofu's replace directive (`go install …@v` refuses it)
//   terraform on PATH used as it is, when there is one.
// Built binaries are cached outside the repository in
// ${RPCPLUGIN_TERRAFORM_CACHE:-${XDG_CACHE_HOME:-~/.cache}/rpcplugin/terraform}/<name>-<version>/,
// next to a stamp naming what they were built from (the Go version and, for tofu, the hash of
// fixtures/tofu/go.mod+go.sum): a version change rebuilds. Builds run one after another.
//
//   node scripts/terraform-binaries.mjs           build what is missing, print the list as JSON
//   node scripts/terraform-binaries.mjs --print   the same without building (missing ones marked)
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** @typedef {{ name: string, kind: "terraform" | "tofu", version: string, path: string, origin: string }} TerraformBinary */

/** The binaries built from source, in build order. */
export const BUILT_BINARIES = [
  {
    name: "terraform",
    kind: "terraform",
    version: "1.5.7",
    origin: "go install github.com/hashicorp/terraform@v1.5.7",
  },
  {
    name: "tofu",
    kind: "tofu",
    version: "1.12.6",
    module: "fixtures/tofu",
    pkg: "github.com/opentofu/opentofu/cmd/tofu",
    // As OpenTofu's release builds (.goreleaser.yaml): without it the binary says 1.12.6-dev.
    ldflags: "-X github.com/opentofu/opentofu/version.dev=no",
    origin: "go build github.com/opentofu/opentofu/cmd/tofu (fixtures/tofu)",
  },
];

/** Where built binaries are cached. */
export function terraformCacheDir() {
  if (process.env.RPCPLUGIN_TERRAFORM_CACHE) return process.env.RPCPLUGIN_TERRAFORM_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "rpcplugin", "terraform");
}

function goVersion() {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** What a cached build must match to be reused. */
function stampFor(spec, goVer) {
  const h = createHash("sha256");
  h.update(`${spec.name}\0${spec.version}\0${goVer}\0${spec.ldflags ?? ""}\0`);
  if (spec.module) {
    for (const f of ["go.mod", "go.sum"]) h.update(readFileSync(path.join(repoRoot, spec.module, f)));
  }
  return h.digest("hex").slice(0, 20);
}

function binDir(spec) {
  return path.join(terraformCacheDir(), `${spec.name}-${spec.version}`);
}

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, out }));
  });
}

/** The last `n` lines of a command's output, for an error message. */
function tail(text, n = 40) {
  const lines = text.trimEnd().split("\n");
  return (lines.length > n ? [`… (${lines.length - n} earlier lines)`] : []).concat(lines.slice(-n)).join("\n");
}

/** `<binary> version -json`, or the first line of `version`. */
function reportedVersion(bin) {
  const r = spawnSync(bin, ["version", "-json"], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
    timeout: 30_000,
  });
  try {
    return JSON.parse(r.stdout).terraform_version;
  } catch {
    return null;
  }
}

async function build(spec, log) {
  const goVer = goVersion();
  if (!goVer) {
    throw new Error(
      "Go is required to build the Terraform/OpenTofu binaries for the end-to-end tests, but `go` " +
        "was not found on PATH. Install Go 1.26 or newer (https://go.dev/doc/install), or opt out " +
        "of the Go suites with RPCPLUGIN_SKIP_GO=1.",
    );
  }
  const dir = binDir(spec);
  const bin = path.join(dir, spec.name);
  const stamp = stampFor(spec, goVer);
  const stampFile = path.join(dir, "stamp");
  if (existsSync(bin) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === stamp) return bin;

  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.build-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp, { recursive: true });
  // GOTOOLCHAIN=local: build with the installed Go, never a toolchain fetched behind our back.
  const env = { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false" };
  let cmd;
  let cwd;
  if (spec.module) {
    cwd = path.join(repoRoot, spec.module);
    cmd = ["build", `-ldflags=-s -w${spec.ldflags ? ` ${spec.ldflags}` : ""}`, "-o", path.join(tmp, spec.name), spec.pkg];
  } else {
    cwd = tmp;
    env.GOBIN = tmp;
    cmd = ["install", "-ldflags=-s -w", `github.com/hashicorp/terraform@v${spec.version}`];
  }
  const shown = `${spec.module ? `(cd ${spec.module} && ` : ""}go ${cmd.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}${spec.module ? ")" : ""}`;
  log(`building ${spec.name} ${spec.version}: ${shown} (several minutes on a cold cache)`);
  const started = Date.now();
  const r = await run("go", cmd, { cwd, env });
  if (r.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`building ${spec.name} ${spec.version} failed: \`${shown}\` exited with ${r.signal ?? r.code}:\n${tail(r.out)}`);
  }
  const built = path.join(tmp, spec.name);
  const v = reportedVersion(built);
  if (v !== spec.version) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`${shown} built a binary that reports version ${v}, expected ${spec.version}`);
  }
  await rename(built, bin);
  await writeFile(stampFile, `${stamp}\n`);
  await rm(tmp, { recursive: true, force: true });
  log(`built ${spec.name} ${spec.version} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${bin}`);
  return bin;
}

/** The first `terraform` on PATH, if any, as an extra binary of the matrix. */
export function terraformOnPath() {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, "terraform");
    try {
      accessSync(p, constants.X_OK);
      if (!statSync(p).isFile()) continue;
    } catch {
      continue;
    }
    const version = reportedVersion(p);
    if (!version) continue;
    return { name: `terraform-path`, kind: "terraform", version, path: p, origin: `PATH (${p})` };
  }
  return null;
}

/** Whether a process exists. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * Runs `fn` holding <cache>/<name>-<version>.lock, so that test files running
 * in parallel processes build each binary once: the others wait, then find it
 * cached. A lock whose owner is gone is taken over.
 */
async function withBuildLock(spec, log, fn) {
  await mkdir(terraformCacheDir(), { recursive: true });
  const lock = path.join(terraformCacheDir(), `${spec.name}-${spec.version}.lock`);
  let said = false;
  for (;;) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const owner = Number(readFileSync(lock, "utf8").trim() || "0");
      if (owner > 0 && !alive(owner)) {
        await rm(lock, { force: true });
        continue;
      }
      if (!said) log(`waiting for process ${owner} building ${spec.name} ${spec.version}`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

const defaultLog = (line) => process.stderr.write(`[terraform-binaries] ${line}\n`);
let pending = Promise.resolve();

/**
 * One built binary (`"terraform"` or `"tofu"`), built on first use and cached
 * outside the repo. Builds are serialized within a process and across
 * processes (a lock file). Rejects naming the failing command and quoting its output.
 * @param {string} name
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {Promise<TerraformBinary>}
 */
export function ensureTerraformBinary(name, opts = {}) {
  const spec = BUILT_BINARIES.find((s) => s.name === name);
  if (!spec) return Promise.reject(new Error(`unknown binary ${name}; known: ${BUILT_BINARIES.map((s) => s.name).join(", ")}`));
  const log = opts.log ?? defaultLog;
  const result = pending.then(() =>
    withBuildLock(spec, log, async () => ({
      name: spec.name,
      kind: spec.kind,
      version: spec.version,
      path: await build(spec, log),
      origin: spec.origin,
    })),
  );
  pending = result.catch(() => undefined);
  return result;
}

/**
 * Builds (once; cached outside the repo) terraform 1.5.7 and tofu 1.12.6 and
 * returns them, plus a `terraform` found on PATH when it is another version.
 * @param {{ log?: (line: string) => void, includePath?: boolean }} [opts]
 * @returns {Promise<TerraformBinary[]>}
 */
export async function ensureTerraformBinaries(opts = {}) {
  const out = [];
  for (const spec of BUILT_BINARIES) out.push(await ensureTerraformBinary(spec.name, opts));
  if (opts.includePath !== false) {
    const onPath = terraformOnPath();
    if (onPath && !out.some((b) => b.kind === onPath.kind && b.version === onPath.version)) out.push(onPath);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--print")) {
    const list = BUILT_BINARIES.map((s) => {
      const p = path.join(binDir(s), s.name);
      return { name: s.name, version: s.version, path: p, built: existsSync(p) };
    });
    const onPath = terraformOnPath();
    if (onPath) list.push({ ...onPath, built: true });
    console.log(JSON.stringify(list, null, 2));
  } else {
    ensureTerraformBinaries().then(
      (list) => console.log(JSON.stringify(list, null, 2)),
      (err) => {
        console.error(String(err instanceof Error ? err.message : err));
        process.exit(1);
      },
    );
  }
}
