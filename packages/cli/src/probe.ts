/**
 * `rpcplugin probe`: launch a plugin, report what it says about itself, stop it.
 * For debugging a plugin that will not start, it prints the typed error
 * (which names the cause) and the plugin's last stderr lines.
 */
import { X509Certificate } from "node:crypto";
import { formatLogRecord, type LogRecord, type PluginClient, PluginError, startPlugin } from "@rpcplugin/runtime";
import { HealthClient, ServerReflectionClient, ServingStatus } from "@rpcplugin/runtime/services";

interface ProbeArgs {
  cookie: { magicCookieKey: string; magicCookieValue: string };
  tls: boolean;
  versions: number[];
  timeoutMs: number;
  env: Record<string, string>;
  command: string;
  args: string[];
}

/** Runs `probe`; returns the exit code. */
export async function probe(argv: readonly string[], out: (text: string) => void): Promise<number> {
  let args: ProbeArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    out(`rpcplugin probe: ${(error as Error).message}\n`);
    return 2;
  }
  const logs: LogRecord[] = [];
  const line = (label: string, value: string) => out(`${`${label}:`.padEnd(14)}${value}\n`);
  line("plugin", [args.command, ...args.args].join(" "));
  let client: PluginClient;
  const started = performance.now();
  try {
    client = await startPlugin({
      command: args.command,
      args: args.args,
      handshake: args.cookie,
      versionedPlugins: Object.fromEntries(args.versions.map((version) => [version, {}])),
      autoMTLS: args.tls,
      startTimeoutMs: args.timeoutMs,
      stdin: "ignore",
      onLog: (record) => logs.push(record),
      env: args.env,
    });
  } catch (error) {
    line("result", "the plugin did not start");
    out(`\n${error instanceof PluginError ? `${error.name}: ${error.message}` : String(error)}\n`);
    return 1;
  }
  try {
    const handshake = client.handshake;
    line("started in", `${Math.round(performance.now() - started)} ms (pid ${client.pid})`);
    if (handshake) line("handshake", handshake.line);
    line("core version", String(handshake?.info.coreVersion ?? 1));
    line("app version", `${client.protocolVersion} (offered: ${args.versions.join(",")})`);
    line("transport", `${client.address.network} ${client.address.address}`);
    line("protocol", "grpc");
    line("multiplexing", handshake?.info.multiplex ? "yes" : "no");
    line("tls", handshake?.info.serverCert ? describeCertificate(handshake.info.serverCert) : "off (no certificate in the handshake)");
    line("health", await health(client));
    const services = await listServices(client);
    line("services", services.length > 0 ? (services[0] ?? "") : "(the plugin does not serve gRPC reflection)");
    for (const service of services.slice(1)) out(`${"".padEnd(14)}${service}\n`);
  } finally {
    const stopping = performance.now();
    await client.close();
    const exit = client.exit;
    line("shutdown", `${exit?.signal ? `killed (${exit.signal})` : `exit code ${exit?.code ?? "?"}`} after ${Math.round(performance.now() - stopping)} ms`);
    const warnings = logs.filter((record) => record.level === "warn" || record.level === "error");
    for (const record of warnings) line("plugin log", formatLogRecord(record, "plugin"));
  }
  return 0;
}

function describeCertificate(der: Uint8Array): string {
  try {
    const cert = new X509Certificate(Buffer.from(der));
    const key = cert.publicKey.asymmetricKeyDetails;
    const algorithm =
      cert.publicKey.asymmetricKeyType === "ec" ? `ECDSA ${key?.namedCurve ?? ""}` : `${cert.publicKey.asymmetricKeyType} ${key?.modulusLength ?? ""}`;
    return `on — ${cert.subject.replace(/\n/g, ", ")}; ${algorithm.trim()}; ${cert.subjectAltName ?? "no SAN"}; valid ${cert.validFrom} → ${cert.validTo}; sha256 ${cert.fingerprint256}`;
  } catch (error) {
    return `on — certificate unreadable: ${(error as Error).message}`;
  }
}

async function health(client: PluginClient): Promise<string> {
  try {
    const response = await new HealthClient(client.transport).check({ service: "plugin" }, { timeoutMs: 5000 });
    return `${ServingStatus[response.status]} (grpc.health.v1 "plugin")`;
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

async function listServices(client: PluginClient): Promise<string[]> {
  try {
    const reflection = new ServerReflectionClient(client.transport);
    for await (const response of reflection.serverReflectionInfo([{ messageRequest: { case: "listServices", value: "" } }], { timeoutMs: 5000 })) {
      if (response.messageResponse.case === "listServicesResponse") return response.messageResponse.value.service.map((service) => service.name).sort();
    }
  } catch {
    // no reflection
  }
  return [];
}

function parseArgs(argv: readonly string[]): ProbeArgs {
  const separator = argv.indexOf("--");
  const flags = separator === -1 ? argv : argv.slice(0, separator);
  const command = separator === -1 ? [] : argv.slice(separator + 1);
  let cookie: ProbeArgs["cookie"] | undefined;
  let tls = false;
  const env: Record<string, string> = {};
  let versions = Array.from({ length: 10 }, (_, index) => index + 1);
  let timeoutMs = 60_000;
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index] as string;
    const value = () => {
      const next = flags[++index];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--cookie": {
        const pair = value();
        const equals = pair.indexOf("=");
        if (equals <= 0) throw new Error(`--cookie takes KEY=VALUE, got ${JSON.stringify(pair)}`);
        cookie = { magicCookieKey: pair.slice(0, equals), magicCookieValue: pair.slice(equals + 1) };
        break;
      }
      case "--tls":
        tls = true;
        break;
      case "--env": {
        const pair = value();
        const equals = pair.indexOf("=");
        if (equals <= 0) throw new Error(`--env takes KEY=VALUE, got ${JSON.stringify(pair)}`);
        env[pair.slice(0, equals)] = pair.slice(equals + 1);
        break;
      }
      case "--versions":
        versions = value()
          .split(",")
          .map((entry) => {
            const version = Number(entry);
            if (!Number.isInteger(version) || version < 0) throw new Error(`--versions takes a comma list of integers, got ${JSON.stringify(entry)}`);
            return version;
          });
        break;
      case "--timeout":
        timeoutMs = Number(value());
        if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error("--timeout takes milliseconds > 0");
        break;
      default:
        throw new Error(`unknown flag ${JSON.stringify(flag)}`);
    }
  }
  if (command.length === 0) throw new Error("give the plugin command after --, e.g. rpcplugin probe --cookie BASIC_PLUGIN=hello -- ./plugin");
  if (!cookie) {
    throw new Error(
      "--cookie KEY=VALUE is required: the plugin refuses to start without its host's magic cookie " +
        "(Terraform providers: TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2)",
    );
  }
  return { cookie, tls, env, versions, timeoutMs, command: command[0] as string, args: command.slice(1) };
}
