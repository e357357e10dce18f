// Bad inputs, each with its exact error and nothing leaked: no process, no
// socket file. Plugins here are real processes.
import { execFile, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { connect as tlsConnect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import {
  buildPluginEnvironment,
  type CertificateKeyPair,
  Code,
  clientPlugin,
  createClient,
  generateCertificate,
  HandshakeError,
  IncompatibleVersionError,
  PluginExitedError,
  parseHandshakeLine,
  RpcError,
  StartTimeoutError,
  startPlugin,
  TLSError,
  TransportError,
} from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { KV } from "../examples/go-plugin/gen/kv/kv_pb.js";
import { fixturePlugin, handshake, kvPlugins, processGone, socketsIn, tempDir } from "./fixture.js";
import { buildGo, describeGo, runGo } from "./support/go.js";

/** How plugin errors introduce the plugin's stderr tail. */
const STDERR_HEADING = "Last lines the plugin wrote to stderr:";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function socketDir(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** Starts the fixture expecting failure; returns the error and checks nothing was left behind. */
async function startFailing(options: Partial<Parameters<typeof startPlugin>[0]> & { env?: Record<string, string> }) {
  const dir = options.unixSocketDir ?? socketDir();
  const before = new Set(await childPids());
  const sets = options.versionedPlugins ? {} : { plugins: kvPlugins };
  const error = await startPlugin({ command: fixturePlugin, handshake, ...sets, unixSocketDir: dir, onLog: () => {}, ...options }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  expect(socketsIn(dir)).toEqual([]);
  const leaked = (await childPids()).filter((pid) => !before.has(pid) && !processGone(pid));
  expect(leaked).toEqual([]);
  return error as Error;
}

/** Direct children of this process (Linux /proc). */
async function childPids(): Promise<number[]> {
  const { readFileSync, readdirSync } = await import("node:fs");
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      if (ppid === process.pid && state !== "Z") pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("the plugin run without the host's cookie", () => {
  for (const env of [{}, { BASIC_PLUGIN: "wrong" }]) {
    it(`prints go-plugin's message, exits 1 and listens on nothing (${JSON.stringify(env)})`, async () => {
      const dir = socketDir();
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [fixturePlugin],
          { env: { PATH: process.env.PATH, PLUGIN_UNIX_SOCKET_DIR: dir, ...env }, timeout: 10_000 },
          (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
        );
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically\n",
      );
      expect(socketsIn(dir)).toEqual([]);
    });
  }

  it("gives the host a PluginExitedError quoting that message", async () => {
    const error = await startFailing({ handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "other" } });
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).exitCode).toBe(1);
    expect(error.message).toMatch(/plugin exited before we could connect.*exit code 1/);
    expect(error.message).toContain("This binary is a plugin. These are not meant to be executed directly.");
  });
});

describe("handshake failures", () => {
  it("no common protocol version → IncompatibleVersionError", async () => {
    const error = await startFailing({ versionedPlugins: { 7: kvPlugins, 8: kvPlugins } });
    expect(error).toBeInstanceOf(IncompatibleVersionError);
    expect(error.message).toContain("incompatible API version with plugin. Plugin version: 1, Client versions: [7 8]");
    expect(error.message).toContain("no protocol version in common with the host");
  });

  it("garbage on stdout → HandshakeError quoting the line and the stderr tail", async () => {
    const error = await startFailing({ env: { FIXTURE_MODE: "garbage" } });
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).line).toBe("hello, I am not a handshake line");
    expect(error.message).toContain('"hello, I am not a handshake line"');
    expect(error.message).toContain(`${STDERR_HEADING}\n  fixture: printing garbage instead of a handshake line`);
  });

  it("exit before the handshake → PluginExitedError with the exit code and stderr", async () => {
    const error = await startFailing({ env: { FIXTURE_MODE: "exit-early" } });
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).exitCode).toBe(3);
    expect(error.message).toContain("exit code 3");
    expect((error as PluginExitedError).stderrTail).toContain("fixture: failing before the handshake on purpose");
  });

  it("never handshakes → StartTimeoutError, and the plugin is killed", async () => {
    const error = await startFailing({ env: { FIXTURE_MODE: "hang" }, startTimeoutMs: 3000 });
    expect(error).toBeInstanceOf(StartTimeoutError);
    expect(error.message).toContain("within 3000 ms");
    expect(error.message).toContain("fixture: never handshaking");
  });

  it("a start timeout also ends what a launcher script started (the plugin's process group)", async () => {
    const { readFileSync } = await import("node:fs");
    const dir = socketDir();
    const script = `${dir}/launcher.sh`;
    writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > "${dir}/child.pid"\nwait\n`, { mode: 0o755 });
    const error = await startPlugin({ command: script, handshake, plugins: kvPlugins, startTimeoutMs: 500 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StartTimeoutError);
    const grandchild = Number(readFileSync(`${dir}/child.pid`, "utf8"));
    expect(grandchild).toBeGreaterThan(0);
    const { waitProcessGone } = await import("./fixture.js");
    expect(await waitProcessGone(grandchild)).toBe(true);
  });

  it("a certificate field that is not a certificate → TLSError quoting the stderr tail", async () => {
    const error = await startFailing({ env: { FIXTURE_MODE: "bad-cert" } });
    expect(error).toBeInstanceOf(TLSError);
    expect(error.message).toContain("the plugin's certificate in its handshake line is not a valid X.509 certificate");
    expect(error.message).toContain(`${STDERR_HEADING}\n  fixture: announcing a certificate that is not one`);
  });

  it("a certificate the plugin does not serve with → TLSError from the TLS handshake", async () => {
    const error = await startFailing({ env: { FIXTURE_MODE: "wrong-cert" } });
    expect(error).toBeInstanceOf(TLSError);
    expect(error.message).toMatch(/TLS handshake with the plugin at tcp 127\.0\.0\.1:\d+ failed: .*certificate/);
    expect(error.message).toContain(`${STDERR_HEADING}\n  fixture: announcing a certificate it does not serve with`);
  });

  it("an address nothing listens on → TransportError naming it and quoting the stderr tail", async () => {
    const error = await startFailing({ env: { FIXTURE_MODE: "no-listener" }, autoMTLS: false });
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toContain("could not connect to the plugin at unix /nonexistent/sock");
    expect(error.message).toContain(`${STDERR_HEADING}\n  fixture: announcing an address nothing listens on`);
  });

  for (const what of ["does not exist", "is not executable"] as const) {
    it(`a command that ${what} → TransportError naming it, at once`, async () => {
      let command = "/nonexistent/plugin";
      if (what === "is not executable") {
        command = `${socketDir()}/plugin.mjs`;
        writeFileSync(command, "#!/usr/bin/env node\n", { mode: 0o644 });
      }
      const error = await startFailing({ command });
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(new RegExp(`^could not start plugin ${command}: spawn ${command} E(NOENT|ACCES)`));
    });
  }
});

describe("listener failures", () => {
  it("no free port in the range → the plugin exits 1 naming the range", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const error = await startFailing({ env: { FIXTURE_NETWORK: "tcp" }, minPort: port, maxPort: port });
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).exitCode).toBe(1);
    expect(error.message).toContain(`no free port on 127.0.0.1 in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (${port}..${port})`);
  });

  it("an unusable socket dir → the plugin exits 1 naming the dir", async () => {
    // /proc refuses new files even to root (CI runs as root, which permission bits do not stop).
    const error = await startFailing({ unixSocketDir: "/proc" });
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).exitCode).toBe(1);
    expect(error.message).toMatch(/could not listen on unix socket \/proc\/plugin\d+/);
  });
});

describe("TLS", () => {
  it("refuses a client without the host's certificate, and one with another certificate", async () => {
    const { hostCert, pluginCertPem, socket } = await launchWithAutoMTLS();
    // Every client trusts the plugin's certificate, so a refusal is the plugin's doing.
    const trustPlugin = Buffer.from(pluginCertPem);
    const impostorCert = generateCertificate();
    const credentials = {
      host: grpc.credentials.createSsl(trustPlugin, Buffer.from(hostCert.keyPem), Buffer.from(hostCert.certPem)),
      anonymous: grpc.credentials.createSsl(trustPlugin),
      impostor: grpc.credentials.createSsl(trustPlugin, Buffer.from(impostorCert.keyPem), Buffer.from(impostorCert.certPem)),
      plaintext: grpc.credentials.createInsecure(),
    };
    const put = async (name: keyof typeof credentials) => {
      const transport = new grpc.Client(`unix://${socket}`, credentials[name], { "grpc.ssl_target_name_override": "localhost" });
      try {
        return await createClient(KV, transport).put({ key: name, value: new Uint8Array([1]) }, { timeoutMs: 3000 });
      } finally {
        transport.close();
      }
    };
    await expect(put("host")).resolves.toBeDefined();
    const errors: Record<string, unknown> = {};
    for (const name of ["anonymous", "impostor", "plaintext"] as const) {
      errors[name] = await put(name).catch((caught: unknown) => caught);
      expect(errors[name], name).toBeInstanceOf(RpcError);
      expect((errors[name] as RpcError).code, name).toBe(Code.UNAVAILABLE);
    }
    expect((errors.anonymous as Error).message).toContain("alert certificate required");
    // The real host is unaffected by the refused clients.
    await expect(put("host")).resolves.toBeDefined();

    // The same at the TLS level. The client accepts the plugin's certificate each time; the
    // plugin ends a handshake without the host's certificate with a certificate_required alert,
    // closes one with another certificate without a word, and speaks HTTP/2 (SETTINGS) to the host.
    expect(await tlsHandshake(socket, pluginCertPem)).toEqual({
      pluginVerified: true,
      pluginSpoke: false,
      errorCode: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
    });
    expect(await tlsHandshake(socket, pluginCertPem, impostorCert)).toMatchObject({ pluginVerified: true, pluginSpoke: false });
    expect(await tlsHandshake(socket, pluginCertPem, hostCert)).toEqual({ pluginVerified: true, pluginSpoke: true });
    await expect(put("host")).resolves.toBeDefined();
  });
});

describeGo("TLS: the host's certificate without its key", () => {
  it("a local client presenting the host's certificate, signing with another key (Go: fixtures/go cmd/tlsimpostor), is refused; the host's calls go on", async () => {
    const impostor = await buildGo("tlsimpostor", "./cmd/tlsimpostor");
    const { hostCert, pluginCertPem, socket } = await launchWithAutoMTLS();
    const files = tempDir("rpcplugin-impostor-");
    cleanups.push(files.cleanup);
    writeFileSync(join(files.path, "host.pem"), hostCert.certPem);
    writeFileSync(join(files.path, "plugin.pem"), pluginCertPem);
    const run = await runGo(impostor, ["-unix", socket, "-cert", join(files.path, "host.pem"), "-trust", join(files.path, "plugin.pem")]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { handshake: string; write?: string; read?: string };
    // TLS 1.3: the client may finish its side of the handshake before the plugin checks the
    // signature; the plugin's alert then ends the first read (or, when the plugin has already
    // closed, the connection is reset). Either way no HTTP/2 SETTINGS comes.
    expect(result.read ?? result.handshake).toMatch(
      /remote error: tls: (error decrypting message|bad certificate|handshake failure)|connection reset by peer|broken pipe/,
    );
    expect(result.read ?? "").not.toMatch(/^frame type/);
    const transport = new grpc.Client(
      `unix://${socket}`,
      grpc.credentials.createSsl(Buffer.from(pluginCertPem), Buffer.from(hostCert.keyPem), Buffer.from(hostCert.certPem)),
      {
        "grpc.ssl_target_name_override": "localhost",
      },
    );
    try {
      await expect(createClient(KV, transport).put({ key: "after", value: new Uint8Array([1]) }, { timeoutMs: 3000 })).resolves.toBeDefined();
    } finally {
      transport.close();
    }
  });
});

/**
 * Starts the fixture plugin by hand, as a host does with AutoMTLS on, keeping the host's
 * certificate and key (startPlugin keeps its own private).
 */
async function launchWithAutoMTLS(): Promise<{ hostCert: CertificateKeyPair; pluginCertPem: string; socket: string }> {
  const dir = socketDir();
  const hostCert = generateCertificate();
  const env = buildPluginEnvironment({ handshake, protocolVersions: [1], clientCertPem: hostCert.certPem, unixSocketDir: dir });
  const child = spawn(process.execPath, [fixturePlugin], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanups.push(async () => {
    child.kill("SIGTERM"); // the plugin drains, exits and removes its socket file
    await exited;
    expect(socketsIn(dir)).toEqual([]);
  });
  const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
  const info = parseHandshakeLine(line, { hostVersions: [1] });
  if (!info.serverCert) throw new Error(`the plugin sent no certificate: ${line}`);
  return { hostCert, pluginCertPem: new X509Certificate(info.serverCert).toString(), socket: info.address };
}

/**
 * A TLS 1.3 handshake with the plugin through node:tls, trusting only the plugin's certificate
 * and presenting `clientCert` if given: whether the client verified the plugin, whether the
 * plugin then sent anything (an HTTP/2 server's SETTINGS frame), and the error, if any.
 */
function tlsHandshake(
  socket: string,
  pluginCertPem: string,
  clientCert?: CertificateKeyPair,
): Promise<{ pluginVerified: boolean; pluginSpoke: boolean; errorCode?: string }> {
  return new Promise((resolve) => {
    let pluginVerified = false;
    const connection = tlsConnect({
      path: socket,
      ca: pluginCertPem,
      servername: "localhost",
      ALPNProtocols: ["h2"],
      minVersion: "TLSv1.3",
      ...(clientCert ? { key: clientCert.keyPem, cert: clientCert.certPem } : {}),
    });
    const done = (result: { pluginSpoke: boolean; errorCode?: string }) => {
      resolve({ pluginVerified, ...result });
      connection.destroy();
    };
    connection.once("secureConnect", () => (pluginVerified = connection.authorized));
    connection.once("data", () => done({ pluginSpoke: true }));
    connection.once("error", (error: NodeJS.ErrnoException) => done({ pluginSpoke: false, errorCode: error.code ?? error.message }));
    connection.once("close", () => done({ pluginSpoke: false }));
  });
}

describe("a plugin that dies during a call", () => {
  it("fails the call with an error naming the exit, without hanging", async () => {
    const dir = socketDir();
    const client = await startPlugin({ command: fixturePlugin, handshake, plugins: { kv_grpc: clientPlugin(KV) }, unixSocketDir: dir });
    cleanups.push(() => client.close());
    const error = await client
      .dispense("kv_grpc")
      .put({ key: "crash", value: new Uint8Array() })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
    expect((error as Error).message).toContain("plugin exited with exit code 3 during the call");
    await client.close();
    expect(client.exit).toEqual({ code: 3, signal: null });
    expect(socketsIn(dir)).toEqual([]);
  });
});
