/** `rpcplugin` — the command line entry point. */
import { BUILD_USAGE, build } from "./build.js";
import { BUNDLE_USAGE, bundle } from "./bundle.js"; // esbuild loads only when the command runs
import { DOCS_USAGE, docs } from "./docs.js";
import { probe } from "./probe.js";
import { RELEASE_USAGE, release } from "./release.js";

// Kept in sync with scaffold.ts; that module (and ts-morph) loads only when the command runs.
const SCAFFOLD_USAGE = `  rpcplugin scaffold <service> [--gen DIR] [--proto-dir DIR] [--out FILE] [--host-out FILE] [--name NAME]
      Write a plugin implementation of a service from the code protoc-gen-rpcplugin generated
      (a class with a stub per RPC, and the serve() call) and a host that launches it; run again
      after the proto changed to add the missing methods. \`rpcplugin scaffold --help\` for details.
`;

const PROBE_USAGE = `  rpcplugin probe [--cookie KEY=VALUE] [--tls] [--versions 1,2,...] [--timeout MS] [--env KEY=VALUE]... -- <command> [args...]
      Launch any go-plugin plugin (TypeScript or Go), print its handshake, negotiated version,
      transport, certificate, health and services, then shut it down cleanly.
`;

const USAGE = `Usage:
${PROBE_USAGE}${SCAFFOLD_USAGE}${BUNDLE_USAGE}${BUILD_USAGE}${RELEASE_USAGE}${DOCS_USAGE}`;

const COMMAND_USAGE: Record<string, () => Promise<string> | string> = {
  probe: () => PROBE_USAGE,
  scaffold: async () => (await import("./scaffold.js")).SCAFFOLD_USAGE,
  bundle: () => BUNDLE_USAGE,
  build: () => BUILD_USAGE,
  release: () => RELEASE_USAGE,
  docs: () => DOCS_USAGE,
};

/** `--help` or `-h` among a command's own arguments (for probe: before the `--` that starts the plugin's command). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const own = end === -1 ? args : args.slice(0, end);
  return own.includes("--help") || own.includes("-h");
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(text)): Promise<number> {
  const [command, ...rest] = argv;
  const usage = command !== undefined && Object.hasOwn(COMMAND_USAGE, command) ? COMMAND_USAGE[command] : undefined;
  if (usage && asksForHelp(rest)) {
    out(`Usage:\n${await usage()}`);
    return 0;
  }
  switch (command) {
    case "probe":
      return probe(rest, out);
    case "scaffold":
      return (await import("./scaffold.js")).scaffold(rest, out);
    case "bundle":
      return bundle(rest, out);
    case "build":
      return build(rest, out);
    case "release":
      return release(rest, out);
    case "docs":
      return docs(rest, out);
    case undefined:
    case "-h":
    case "--help":
    case "help":
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      out(`rpcplugin: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}
