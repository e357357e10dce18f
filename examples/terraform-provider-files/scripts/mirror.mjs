#!/usr/bin/env node
/**
 * Lays out a Terraform/OpenTofu filesystem_mirror holding this provider, so
 * that `terraform init` installs it with no network:
 *
 *   <mirror>/example.com/rpcplugin/files/<version>/<os>_<arch>/terraform-provider-files
 *
 * The executable is a small launcher of the built provider (run `npx tsc -b`
 * first) whose shebang names this node by absolute path, so it runs even when
 * terraform's PATH has no node. With --cli-config <file>, also writes a CLI
 * config whose provider_installation points at the mirror (use it through
 * TF_CLI_CONFIG_FILE).
 *
 * Usage: node scripts/mirror.mjs <mirror-dir> [--version 0.1.0] [--cli-config <file>]
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const PROVIDER_SOURCE = "example.com/rpcplugin/files";
export const DEFAULT_VERSION = "0.1.0";

const here = dirname(fileURLToPath(import.meta.url));
const builtMain = resolve(here, "../dist/main.js");

/** Go's name of this platform, as provider packages are named (`linux_amd64`). */
export function platformName() {
  const arch = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" }[process.arch] ?? process.arch;
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}_${arch}`;
}

/** The launcher's text: absolute node in the shebang when it fits the kernel's limit, else `env node`. */
function launcherText() {
  const shebang = Buffer.byteLength(process.execPath) < 120 && !/\s/.test(process.execPath) ? `#!${process.execPath}` : "#!/usr/bin/env node";
  // A dynamic import: the mirror directory has no package.json, so this file is read as CommonJS.
  return `${shebang}\n// Launcher of the files provider, written by scripts/mirror.mjs.\nimport(${JSON.stringify(pathToFileURL(builtMain).href)}).catch((error) => {\n  process.stderr.write(String(error?.stack ?? error) + "\\n");\n  process.exit(1);\n});\n`;
}

/**
 * Writes the mirror (and the CLI config when `cliConfig` is given).
 * Returns the paths it wrote.
 */
export function layOutMirror({ mirrorDir, version = DEFAULT_VERSION, cliConfig } = {}) {
  if (!mirrorDir) throw new Error("layOutMirror needs mirrorDir");
  if (!existsSync(builtMain)) throw new Error(`${builtMain} does not exist: build first with \`npx tsc -b\` at the repository root`);
  const mirror = resolve(mirrorDir);
  const packageDir = join(mirror, ...PROVIDER_SOURCE.split("/"), version, platformName());
  mkdirSync(packageDir, { recursive: true });
  const executable = join(packageDir, "terraform-provider-files");
  writeFileSync(executable, launcherText());
  chmodSync(executable, 0o755);
  let cliConfigFile;
  if (cliConfig) {
    cliConfigFile = resolve(cliConfig);
    mkdirSync(dirname(cliConfigFile), { recursive: true });
    writeFileSync(
      cliConfigFile,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = [${JSON.stringify(PROVIDER_SOURCE)}]\n  }\n  direct {\n    exclude = [${JSON.stringify(PROVIDER_SOURCE)}]\n  }\n}\n`,
    );
  }
  return { mirror, packageDir, executable, cliConfigFile };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const index = args.indexOf(name);
    if (index < 0) return undefined;
    const value = args[index + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    args.splice(index, 2);
    return value;
  };
  try {
    const version = option("--version");
    const cliConfig = option("--cli-config");
    if (args.length !== 1) throw new Error("usage: node scripts/mirror.mjs <mirror-dir> [--version 0.1.0] [--cli-config <file>]");
    const written = layOutMirror({ mirrorDir: args[0], ...(version ? { version } : {}), ...(cliConfig ? { cliConfig } : {}) });
    process.stdout.write(`provider executable: ${written.executable}\n`);
    if (written.cliConfigFile) process.stdout.write(`CLI config: ${written.cliConfigFile}\n  export TF_CLI_CONFIG_FILE=${written.cliConfigFile}\n`);
  } catch (error) {
    process.stderr.write(`mirror.mjs: ${error.message}\n`);
    process.exit(1);
  }
}
