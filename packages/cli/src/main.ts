/** `rpcplugin` — the command line entry point. */
import { probe } from "./probe.js";

const USAGE = `Usage:
  rpcplugin probe [--cookie KEY=VALUE] [--tls] [--versions 1,2,...] [--timeout MS] [--env KEY=VALUE]... -- <command> [args...]
      Launch any go-plugin plugin (TypeScript or Go), print its handshake, negotiated version,
      transport, certificate, health and services, then shut it down cleanly.
`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(text)): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "probe":
      return probe(rest, out);
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
