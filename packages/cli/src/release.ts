/**
 * `rpcplugin release`: a Terraform/OpenTofu provider built with `rpcplugin
 * build` and laid out as the provider registry and goreleaser's Terraform
 * template publish a release:
 *
 *   terraform-provider-<name>_<version>_<os>_<arch>.zip   holding terraform-provider-<name>_v<version>
 *   terraform-provider-<name>_<version>_manifest.json     terraform-registry-manifest.json: the protocol versions
 *   terraform-provider-<name>_<version>_SHA256SUMS        of every zip of the version in the folder, and the manifest
 *
 * The protocol versions are asked of the built executable (a handshake
 * offering only 5, then only 6), not typed by hand. Run it on each platform
 * into one folder: the sums then cover every zip; sign them with
 * `gpg --detach-sign` for the registry.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { buildExecutable, runEnvironment, runToEnd } from "./build.js";
import { BuildError } from "./sea-inject.js";

export const RELEASE_USAGE = `  rpcplugin release <entry> --name NAME --version VERSION [--out-dir DIR] [--snapshot] [--no-code-cache]
      Build a Terraform/OpenTofu provider (as rpcplugin build does) and write its registry release for
      this platform into DIR (default: dist): terraform-provider-NAME_VERSION_OS_ARCH.zip, the
      _manifest.json with the protocol versions the built provider serves, and the _SHA256SUMS of every
      zip of that version in DIR (run it on each platform into one DIR, then sign the sums).
      --snapshot: the executable starts from a V8 startup snapshot (see rpcplugin build --snapshot).
`;

/** Terraform's and OpenTofu's magic cookie (as @rpcplugin/terraform's TERRAFORM_HANDSHAKE). */
const TERRAFORM_COOKIE = { TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2" };

/** The provider protocols Terraform and OpenTofu speak. */
const PROVIDER_PROTOCOLS = [5, 6] as const;

export interface ReleaseOptions {
  /** The provider's entry module. */
  entry: string;
  /** The provider type name (`files` for terraform-provider-files). */
  name: string;
  /** Semantic version, without a leading `v`. */
  version: string;
  /** The release folder (made when missing). */
  outDir: string;
  /** As {@link BuildOptions.codeCache}. */
  codeCache?: boolean;
  /** As {@link BuildOptions.snapshot}. */
  snapshot?: boolean;
}

export interface ReleaseResult {
  zip: string;
  manifest: string;
  sums: string;
  /** The protocol versions the provider served, as in the manifest ("5.0", "6.0"). */
  protocolVersions: string[];
  /** Size of the executable inside the zip. */
  executableBytes: number;
}

/** Go's name of this platform, as provider packages are named (`linux_amd64`). */
export function platformName(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const goArch = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" }[arch] ?? arch;
  return `${platform === "win32" ? "windows" : platform}_${goArch}`;
}

/** Builds the provider and writes its release; rejects with a {@link BuildError}. */
export async function releaseProvider({ entry, name, version, outDir, codeCache = true, snapshot = false }: ReleaseOptions): Promise<ReleaseResult> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) || name.startsWith("terraform-provider-")) {
    throw new BuildError(
      "arguments",
      `--name ${JSON.stringify(name)} is not a provider type name: give the part after terraform-provider- (lower-case letters, digits and hyphens, e.g. files)`,
    );
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new BuildError("arguments", `--version ${JSON.stringify(version)} is not a semantic version such as 1.2.3 (without a leading v)`);
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new BuildError("output", `cannot make the release folder ${outDir}: ${(error as Error).message}`);
  }
  const base = `terraform-provider-${name}_${version}`;
  const work = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-release-"));
  try {
    const executable = path.join(work, `terraform-provider-${name}_v${version}${process.platform === "win32" ? ".exe" : ""}`);
    const built = await buildExecutable({ entry, out: executable, codeCache, snapshot });
    const protocols = await servedProtocols(executable, work);
    if (protocols.length === 0) {
      throw new BuildError(
        "no-serve",
        `${entry} does not serve Terraform's provider protocol 5 or 6 when offered it: a provider's entry calls serveProvider() from @rpcplugin/terraform`,
      );
    }
    const protocolVersions = protocols.map((p) => `${p}.0`);
    const manifest = path.join(outDir, `${base}_manifest.json`);
    const manifestText = `${JSON.stringify({ version: 1, metadata: { protocol_versions: protocolVersions } }, null, 2)}\n`;
    if (existsSync(manifest) && readFileSync(manifest, "utf8") !== manifestText) {
      throw new BuildError(
        "output",
        `${manifest} (from an earlier run) lists other protocol versions than the ${protocolVersions.join(", ")} this build serves; the same version must serve the same protocols on every platform`,
      );
    }
    writeFileSync(manifest, manifestText);
    const zip = path.join(outDir, `${base}_${platformName()}.zip`);
    await writeZip(zip, executable);
    const sums = path.join(outDir, `${base}_SHA256SUMS`);
    const listed = readdirSync(outDir)
      .filter((file) => file === path.basename(manifest) || (file.startsWith(`${base}_`) && file.endsWith(".zip")))
      .sort();
    const lines = await Promise.all(listed.map(async (file) => `${await sha256(path.join(outDir, file))}  ${file}\n`));
    writeFileSync(sums, lines.join(""));
    return { zip, manifest, sums, protocolVersions, executableBytes: built.bytes };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The protocols the executable accepts when offered one alone (its handshake line names the one it serves). */
async function servedProtocols(executable: string, work: string): Promise<number[]> {
  const served: number[] = [];
  for (const protocol of PROVIDER_PROTOCOLS) {
    const env = { ...runEnvironment(), ...TERRAFORM_COOKIE, PLUGIN_PROTOCOL_VERSIONS: String(protocol), TMPDIR: work };
    const run = await runToEnd(executable, [], env, 30_000);
    const line = /^(\d+)\|(\d+)\|/m.exec(run.output);
    if (line && Number(line[2]) === protocol) served.push(protocol);
  }
  return served;
}

/** A zip holding the executable alone, mode 0755 (Terraform keeps the mode when it unpacks). */
async function writeZip(zip: string, executable: string): Promise<void> {
  const { ZipFile } = await import("yazl");
  const archive = new ZipFile();
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  archive.addFile(executable, path.basename(executable), { mode: 0o100755, ...(Number.isFinite(epoch) && epoch > 0 ? { mtime: new Date(epoch * 1000) } : {}) });
  archive.end();
  try {
    await pipeline(archive.outputStream, createWriteStream(zip));
  } catch (error) {
    rmSync(zip, { force: true });
    throw new BuildError("output", `cannot write ${zip}: ${(error as Error).message}`);
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** The `release` command: returns the exit code (2: bad arguments, 1: the release failed). */
export async function release(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const positional: string[] = [];
  const values: Record<string, string | undefined> = {};
  let codeCache = true;
  let snapshot = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--name" || arg === "--version" || arg === "--out-dir") {
      values[arg] = argv[++i];
      if (values[arg] === undefined) return usageError(out, `${arg} needs a value`);
    } else if (arg === "--no-code-cache") codeCache = false;
    else if (arg === "--snapshot") snapshot = true;
    else if (arg.startsWith("-")) return usageError(out, `unknown option ${JSON.stringify(arg)}`);
    else positional.push(arg);
  }
  if (positional.length !== 1)
    return usageError(out, positional.length === 0 ? "give the provider's entry module" : `one entry module, not ${positional.length}`);
  const name = values["--name"];
  const version = values["--version"]?.replace(/^v(?=\d)/, "");
  if (name === undefined) return usageError(out, "--name is required (the provider type: files for terraform-provider-files)");
  if (version === undefined) return usageError(out, "--version is required (e.g. 1.2.3)");
  const entry = path.resolve(positional[0] as string);
  const outDir = path.resolve(values["--out-dir"] ?? "dist");
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) return usageError(out, `--out-dir ${outDir} is a file`);
  try {
    const result = await releaseProvider({ entry, name, version, outDir, codeCache, snapshot });
    out(`wrote ${result.zip} (protocol ${result.protocolVersions.join(", ")}; executable ${(result.executableBytes / 2 ** 20).toFixed(1)} MiB)\n`);
    out(`wrote ${result.manifest}\nwrote ${result.sums}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    out(`rpcplugin release: ${error.message}\n`);
    return error.reason === "entry" || error.reason === "output" || error.reason === "arguments" ? 2 : 1;
  }
}

function usageError(out: (text: string) => void, message: string): number {
  out(`rpcplugin release: ${message}\n\nUsage:\n${RELEASE_USAGE}`);
  return 2;
}
