/**
 * The `files` provider: manages text files under one directory.
 *
 * ```hcl
 * provider "files" { directory = "/tmp/out" }
 * resource "files_file" "hello" { path = "greetings/hello.txt"  content = "hi" }
 * data "files_file" "motd" { path = "motd.txt" }
 * output "where" { value = provider::files::path_join("greetings", "hello.txt") }
 * ephemeral "files_file" "token" { path = "token.txt" }
 * ```
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import {
  DiagnosticError,
  defineDataSource,
  defineEphemeralResource,
  defineFunction,
  defineProvider,
  defineResource,
  FunctionError,
  isUnknown,
  type RequestContext,
} from "@rpcplugin/terraform";

/** The source address the README and tests install the provider under. */
export const FILES_PROVIDER_ADDRESS = "example.com/rpcplugin/files";

/** What `configure` returns: every resource call gets it as `context.provider`. */
export interface FilesRoot {
  directory: string;
}

/** Test hook: when set to "1", creating a file crashes the provider process (to see Terraform's "plugin crashed" path). */
export const CRASH_ON_CREATE_ENV = "FILES_PROVIDER_CRASH_ON_CREATE";

const sha256 = (content: string) => createHash("sha256").update(content).digest("hex");

/** The absolute file of `path` under the root; a DiagnosticError on `path` if it leaves the root. */
function fileOf(root: FilesRoot, path: string): string {
  const file = resolve(root.directory, path);
  const inside = relative(root.directory, file);
  if (path === "" || isAbsolute(path) || inside === "" || inside.startsWith("..")) {
    throw new DiagnosticError("Invalid file path", {
      detail: `${JSON.stringify(path)} must be a relative path to a file inside the provider's directory ${root.directory}.`,
      path: ["path"],
    });
  }
  return file;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

const fileSchema = {
  description: "A text file under the provider's directory.",
  attributes: {
    path: { type: "string", required: true, requiresReplace: true, description: "Path of the file, relative to the provider's directory." },
    content: { type: "string", required: true, description: "The file's content (UTF-8)." },
    sha256: { type: "string", computed: true, description: "SHA-256 of the content, hex." },
    id: { type: "string", computed: true, useStateForUnknown: true, description: "Same as path." },
  },
} as const;

/**
 * resource "files_file": creates, updates in place (content) or replaces (path), deletes, imports
 * by path, or by its identity (`import { identity = { path = "…" } }`, Terraform/OpenTofu ≥ 1.12).
 */
export const fileResource = defineResource({
  schema: fileSchema,
  version: 1,
  identity: {
    attributes: { path: { type: "string", requiredForImport: true, description: "Path of the file, relative to the provider's directory." } },
    of: ({ state }) => ({ path: state.path }),
  },

  validate({ config }) {
    const path = config.path;
    if (typeof path === "string" && (path === "" || isAbsolute(path) || path.split(/[\\/]/).includes(".."))) {
      throw new DiagnosticError("Invalid file path", { detail: `${JSON.stringify(path)} must be relative and must not contain "..".`, path: ["path"] });
    }
  },

  // Annotating one context types `context.provider` as FilesRoot in every function.
  async create({ config }, context: RequestContext<FilesRoot>) {
    const root = context.provider;
    if (process.env[CRASH_ON_CREATE_ENV] === "1") {
      // A bug outside the request's promise chain: nothing catches it, so the process crashes.
      await new Promise(() =>
        setImmediate(() => {
          throw new Error(`files provider crashed on purpose (${CRASH_ON_CREATE_ENV}=1)`);
        }),
      );
    }
    const file = fileOf(root, config.path);
    if ((await readIfExists(file)) !== null) {
      throw new DiagnosticError("File already exists", {
        detail: `${file} exists already. Remove it, or bring it under Terraform with: terraform import <address> ${config.path}`,
        path: ["path"],
      });
    }
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, config.content);
    context.logger.info("created file", { path: config.path, bytes: Buffer.byteLength(config.content) });
    return { id: config.path, sha256: sha256(config.content) };
  },

  async read({ state }, context) {
    const content = await readIfExists(fileOf(context.provider, state.path));
    if (content === null) {
      context.logger.warn("file is gone; removing it from state", { path: state.path });
      return null;
    }
    return { ...state, id: state.path, content, sha256: sha256(content) };
  },

  async update({ config }, context) {
    await writeFile(fileOf(context.provider, config.path), config.content);
    context.logger.info("updated file", { path: config.path });
    return { id: config.path, sha256: sha256(config.content) };
  },

  async delete({ state }, context) {
    await rm(fileOf(context.provider, state.path), { force: true });
    context.logger.info("deleted file", { path: state.path });
  },

  importState({ id, identity }) {
    const path = identity?.path ?? id;
    return { path, id: path };
  },

  // Version 0 called the path attribute `filename`.
  upgradeState({ version, state }) {
    if (version !== 0) throw new DiagnosticError("Unknown state version", { detail: `files_file has no schema version ${version}.` });
    const { filename, ...rest } = state;
    return { ...(rest as object), path: filename as string, id: filename as string };
  },
});

/**
 * resource "files_secret_file": a file whose content is write-only (Terraform ≥ 1.11, OpenTofu ≥
 * 1.11). The content is written and never kept: plan and state hold only its sha256. Raise
 * content_wo_version to write new content (a change of content_wo alone plans nothing).
 */
export const secretFileResource = defineResource({
  schema: {
    description: "A file whose content never reaches plan or state.",
    attributes: {
      path: { type: "string", required: true, requiresReplace: true, description: "Path of the file, relative to the provider's directory." },
      content_wo: { type: "string", required: true, writeOnly: true, sensitive: true, description: "The content to write (write-only)." },
      content_wo_version: { type: "number", optional: true, description: "Change it to write content_wo again." },
      sha256: { type: "string", computed: true, description: "SHA-256 of the content written, hex." },
    },
  },
  async create({ config }, context: RequestContext<FilesRoot>) {
    const file = fileOf(context.provider, config.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, config.content_wo);
    context.logger.info("wrote secret file", { path: config.path });
    return { sha256: sha256(config.content_wo) };
  },
  async read({ state }, context) {
    const content = await readIfExists(fileOf(context.provider, state.path));
    return content === null ? null : { ...state, sha256: sha256(content) };
  },
  async update({ config }, context) {
    await writeFile(fileOf(context.provider, config.path), config.content_wo);
    context.logger.info("rewrote secret file", { path: config.path });
    return { sha256: sha256(config.content_wo) };
  },
  async delete({ state }, context) {
    await rm(fileOf(context.provider, state.path), { force: true });
  },
  // moved { from = files_file.x, to = files_secret_file.x }: the same file, its content now write-only.
  moveState({ sourceTypeName, sourceProviderAddress, state }) {
    if (sourceTypeName !== "files_file" || !sourceProviderAddress.endsWith("/files")) return undefined;
    return { path: state.path as string, sha256: state.sha256 as string };
  },
});

/** data "files_file": reads a file under the provider's directory. */
export const fileDataSource = defineDataSource({
  schema: {
    description: "Reads a text file under the provider's directory.",
    attributes: {
      path: { type: "string", required: true, description: "Path of the file, relative to the provider's directory." },
      content: { type: "string", computed: true, description: "The file's content." },
      sha256: { type: "string", computed: true, description: "SHA-256 of the content, hex." },
    },
  },
  async read({ config }, context: RequestContext<FilesRoot>) {
    const content = await readIfExists(fileOf(context.provider, config.path));
    if (content === null)
      throw new DiagnosticError("File not found", { detail: `There is no file ${JSON.stringify(config.path)} in the provider's directory.`, path: ["path"] });
    return { content, sha256: sha256(content) };
  },
});

/**
 * ephemeral "files_file": reads a file for the length of one operation, for places that must not
 * keep it (another provider's configuration, write-only arguments); never in plan or state.
 */
export const fileEphemeral = defineEphemeralResource({
  schema: {
    description: "Reads a text file under the provider's directory without recording it in plan or state.",
    attributes: {
      path: { type: "string", required: true, description: "Path of the file, relative to the provider's directory." },
      content: { type: "string", computed: true, sensitive: true, description: "The file's content." },
      sha256: { type: "string", computed: true, description: "SHA-256 of the content, hex." },
    },
  },
  async open({ config }, context: RequestContext<FilesRoot>) {
    const content = await readIfExists(fileOf(context.provider, config.path));
    if (content === null)
      throw new DiagnosticError("File not found", { detail: `There is no file ${JSON.stringify(config.path)} in the provider's directory.`, path: ["path"] });
    context.logger.info("opened ephemeral files_file", { path: config.path });
    return { result: { content, sha256: sha256(content) }, private: { path: config.path } };
  },
  close({ private: data }, context) {
    context.logger.info("closed ephemeral files_file", { path: (data as { path: string }).path });
  },
});

/** provider::files::path_join("a", "b.txt"): "a/b.txt"; a segment that is absolute or climbs out ("..") fails, naming its position. */
export const pathJoin = defineFunction({
  summary: "Joins path segments into a path for files_file",
  description: "Joins one or more relative path segments with `/`. A segment that is absolute or contains `..` is an error on that argument.",
  parameters: [{ name: "first", type: "string", description: "The first segment." }],
  variadic: { name: "rest", type: "string", description: "More segments, in order." },
  returns: "string",
  run([first, ...rest]) {
    const segments = [first, ...rest];
    for (const [index, segment] of segments.entries()) {
      if (segment === "" || isAbsolute(segment) || segment.split(/[\\/]/).includes("..")) {
        throw new FunctionError(`${JSON.stringify(segment)} is not a relative path segment: it must be non-empty, not absolute and without "..".`, {
          argument: index,
        });
      }
    }
    return segments.join("/");
  },
});

/** provider::files::sha256("text"): the hex SHA-256 a files_file of that content has in its sha256 attribute. */
export const contentSha256 = defineFunction({
  summary: "The sha256 attribute a files_file with this content has",
  parameters: [{ name: "content", type: "string", description: "The file's content." }],
  returns: "string",
  run: ([content]) => sha256(content),
});

/** The provider: `directory` (required) is where every path points. */
export const filesProvider = defineProvider({
  name: "files",
  schema: {
    description: "Manages text files under one directory: files, write-only secret files, reads as data and as ephemeral values, and path functions.",
    attributes: {
      directory: { type: "string", required: true, description: "The directory the provider's files live in (created if missing)." },
    },
  },
  async configure({ config }): Promise<FilesRoot> {
    if (isUnknown(config.directory)) {
      throw new DiagnosticError("Directory not known", { detail: "directory must be known when the provider is configured.", path: ["directory"] });
    }
    const directory = resolve(config.directory as string);
    await mkdir(directory, { recursive: true });
    if (!(await stat(directory)).isDirectory())
      throw new DiagnosticError("Not a directory", { detail: `${directory} is not a directory.`, path: ["directory"] });
    return { directory };
  },
  resources: { files_file: fileResource, files_secret_file: secretFileResource },
  dataSources: { files_file: fileDataSource },
  ephemeralResources: { files_file: fileEphemeral },
  functions: { path_join: pathJoin, sha256: contentSha256 },
});
