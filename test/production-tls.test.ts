// Supplied TLS through a real plugin process: RSA and ECDSA certificates
// signed by a test CA (made fresh with openssl for each run), a wrong CA
// refused at connect, wrong files refused at start on either side.
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { addService, type PluginClient, type PluginClientContext, PluginExitedError, type PluginSet, startPlugin, TLSError } from "@rpcplugin/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AddHelper } from "../examples/go-plugin/gen/counter/counter_pb.js";
import { CounterClient } from "../examples/go-plugin/gen/counter/counter_rpcplugin.js";
import { makeCa, makeLeaf, makePki } from "../packages/runtime/src/testdata/certs.js";
import { examplePlugin, handshake, kvPlugins, processGone, repoRoot, tempDir } from "./fixture.js";
import { buildGo, describeGo, runGo } from "./support/go.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "production-plugin.mjs");
const dir = tempDir("rpcplugin-tls-");
let pki: Record<"rsa" | "ec", ReturnType<typeof makePki>>;
let otherCa: ReturnType<typeof makeCa>;
beforeAll(() => {
  pki = { rsa: makePki(dir.path, "rsa"), ec: makePki(dir.path, "ec") };
  otherCa = makeCa(dir.path, "other-ca", "ec");
  // The names the fixture's explicit `tls` option reads (FIXTURE_TLS_DIR).
  const optionDir = join(dir.path, "option");
  mkdirSync(optionDir);
  const ca = makeCa(optionDir, "ca", "ec");
  makeLeaf(optionDir, "server", "ec", ca);
  makeLeaf(optionDir, "client", "ec", ca);
});
afterAll(() => dir.cleanup());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

const pluginEnv = (type: "rsa" | "ec", withCa = true) => ({
  PLUGIN_TLS_CERT_FILE: pki[type].server.cert,
  PLUGIN_TLS_KEY_FILE: pki[type].server.key,
  ...(withCa ? { PLUGIN_TLS_CA_FILE: pki[type].ca.cert } : {}),
});

describe.each(["rsa", "ec"] as const)("supplied %s certificates", (type) => {
  it.each(["unix", "tcp"])("mutual TLS over %s: calls work, the handshake's certificate field is empty", async (network) => {
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        env: { ...pluginEnv(type), PLUGIN_TRANSPORT: network },
        tls: { caFile: pki[type].ca.cert, certFile: pki[type].client.cert, keyFile: pki[type].client.key },
        onLog: () => {},
      }),
    );
    expect(client.tls).toBe(true);
    expect(client.handshake?.line.split("|")[5]).toBe("");
    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "k", value: Buffer.from(type) });
    expect(Buffer.from((await kv.get({ key: "k" })).value).toString()).toBe(type);
  });
});

describe("supplied TLS failures", () => {
  it("a host whose CA did not sign the plugin's certificate refuses it with a TLSError naming the CA file", async () => {
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: pluginEnv("ec", false),
      tls: { caFile: otherCa.cert },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TLSError);
    expect((error as Error).message).toContain(`the plugin's certificate is not signed by the CA in tls.caFile=${otherCa.cert}`);
  });

  it("a plugin requiring client certificates refuses a host with none, and one signed by another CA", async () => {
    const withoutCert = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: pluginEnv("ec"),
      tls: { caFile: pki.ec.ca.cert },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(withoutCert).toBeInstanceOf(TLSError);
    expect((withoutCert as Error).message).toContain("the plugin requires a client certificate and this host has none: give tls.certFile and tls.keyFile");
    const foreign = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: pluginEnv("ec"),
      tls: { caFile: pki.ec.ca.cert, certFile: pki.rsa.client.cert, keyFile: pki.rsa.client.key },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(foreign).toBeInstanceOf(TLSError);
    expect((foreign as Error).message).toContain(`the plugin refused this host's certificate (tls.certFile=${pki.rsa.client.cert})`);
  });

  it("server-only TLS (no PLUGIN_TLS_CA_FILE): a host without a client certificate is served", async () => {
    const client = track(
      await startPlugin({ command: plugin, handshake, plugins: kvPlugins, env: pluginEnv("rsa", false), tls: { caFile: pki.rsa.ca.cert }, onLog: () => {} }),
    );
    await client.dispense("kv_grpc").put({ key: "k", value: Buffer.from("v") });
    expect(client.tls).toBe(true);
  });

  it("a plugin given a key that is not its certificate's exits at start (code 1) naming the variables", async () => {
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: { ...pluginEnv("ec"), PLUGIN_TLS_KEY_FILE: pki.ec.client.key },
      tls: { caFile: pki.ec.ca.cert },
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).exitCode).toBe(1);
    expect((error as Error).message).toContain(
      `the key in PLUGIN_TLS_KEY_FILE=${pki.ec.client.key} does not belong to the certificate in PLUGIN_TLS_CERT_FILE=${pki.ec.server.cert}`,
    );
  });

  it("a host with an unreadable CA file fails before starting anything", async () => {
    const missing = join(dir.path, "missing-ca.pem");
    let spawned = false;
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      tls: { caFile: missing },
      onLog: () => {
        spawned = true;
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TLSError);
    expect((error as Error).message).toContain(`cannot read tls.caFile=${missing}`);
    expect(spawned).toBe(false);
  });

  it("the host's files can come from PLUGIN_TLS_* in its configEnv, and the plugin's from its explicit option", async () => {
    const optionDir = join(dir.path, "option");
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        env: { FIXTURE_TLS_DIR: optionDir },
        configEnv: {
          PLUGIN_TLS_CA_FILE: join(optionDir, "ca.pem"),
          PLUGIN_TLS_CERT_FILE: join(optionDir, "client.pem"),
          PLUGIN_TLS_KEY_FILE: join(optionDir, "client.key"),
        },
        onLog: () => {},
      }),
    );
    const reported = JSON.parse(Buffer.from((await client.dispense("kv_grpc").get({ key: "config" })).value).toString());
    expect(reported.tls).toEqual({ certFile: join(optionDir, "server.pem"), keyFile: join(optionDir, "server.key"), caFile: join(optionDir, "ca.pem") });
    expect(client.tls).toBe(true);
    const pid = client.pid;
    await client.close();
    expect(processGone(pid)).toBe(true);
  });

  it("broker callbacks run over the supplied files too (the counter example calls the host's AddHelper)", async () => {
    const sums: string[] = [];
    const cwd = tempDir("rpcplugin-tls-counter-"); // the counter keeps its values in files in its cwd
    cleanups.push(cwd.cleanup);
    const counterClient = ({ transport, broker }: PluginClientContext) => ({
      counter: new CounterClient(transport),
      broker,
    });
    const client = track(
      await startPlugin({
        command: examplePlugin("counter"),
        cwd: cwd.path,
        handshake,
        plugins: { counter: { client: counterClient } },
        env: pluginEnv("ec"),
        tls: { caFile: pki.ec.ca.cert, certFile: pki.ec.client.cert, keyFile: pki.ec.client.key },
        onLog: () => {},
      }),
    );
    const { counter, broker } = client.dispense("counter");
    for (const value of [1n, 2n]) {
      const id = broker.nextId();
      const helper = await broker.acceptAndServe(id, (server) =>
        addService(server, AddHelper, {
          sum: ({ a, b }) => {
            sums.push(`${a}+${b}`);
            return { r: a + b };
          },
        }),
      );
      await counter.put({ addServer: id, key: "hits", value });
      await helper.close();
    }
    expect(sums).toEqual(["0+1", "1+2"]);
    expect((await counter.get({ key: "hits" })).value).toBe(3n);
    expect(client.tls).toBe(true);
  });
});

describeGo("a go-plugin host with its own TLSConfig (no AutoMTLS)", () => {
  // go-plugin's TLSProvider contract: the plugin's certificate field stays empty and the Go host
  // verifies the plugin against its own RootCAs; a field there would replace them.
  const run = async (ca: string, client: "rsa" | "ec" | undefined, type: "rsa" | "ec") => {
    const host = await buildGo("tlshost", "./cmd/tlshost");
    const args = ["-plugin", plugin, "-ca", ca];
    if (client) args.push("-cert", pki[client].client.cert, "-key", pki[client].client.key);
    const sockets = tempDir("rpcplugin-tlshost-");
    try {
      const result = await runGo(host, args, { env: { ...pluginEnv(type), TMPDIR: sockets.path } });
      expect(result.code).toBe(0);
      expect(result.leftoverPids).toEqual([]);
      return { ...(JSON.parse(result.stdout) as { value?: string; error?: string }), socketsLeft: readdirSync(sockets.path) };
    } finally {
      sockets.cleanup();
    }
  };

  it.each(["rsa", "ec"] as const)("talks mutual TLS with our plugin's supplied %s files", async (type) => {
    expect(await run(pki[type].ca.cert, type, type)).toEqual({ value: "over supplied TLS", socketsLeft: [] });
  });

  it("refuses our plugin when its CA did not sign the plugin's certificate", async () => {
    const report = await run(otherCa.cert, "ec", "ec");
    expect(report.value).toBeUndefined();
    expect(report.error).toContain("tls: failed to verify certificate: x509: certificate signed by unknown authority");
    // go-plugin's Kill() could not ask the plugin to stop over gRPC, so it killed it: a killed
    // process cannot remove its socket file, and go-plugin's host does not (ours does).
    expect(report.socketsLeft).toEqual([expect.stringMatching(/^plugin\d+$/)]);
  });
});
