// Our TypeScript host (startPlugin / reattachPlugin) drives Go plugins built on
// the real hashicorp/go-plugin v1.8.0: go-plugin's own example plugins
// (compared, where cheap, with go-plugin's own example hosts run on the same
// plugin in the same directory) and fixtures/go/cmd/kvplugin. Every test has a
// private working dir and socket dir (asserted empty at the end) and asserts
// that the plugin process is gone after close().
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  addService,
  Code,
  clientPlugin,
  createClient,
  HandshakeError,
  IncompatibleVersionError,
  type LogRecord,
  type PluginClient,
  type PluginClientContext,
  PluginExitedError,
  type PluginSet,
  RpcError,
  reattachPlugin,
  StartTimeoutError,
  startPlugin,
} from "@rpcplugin/runtime";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AddHelper, Counter } from "../examples/go-plugin/gen/counter/counter_pb.js";
import { KV } from "../examples/go-plugin/gen/kv/kv_pb.js";
import { StreamerService } from "../examples/go-plugin/gen/streamer/streamer_pb.js";
import { testEngine } from "./support/engine.js";
import { buildGo, describeGo, runGo, runHost, shellQuote } from "./support/go.js";
import { isProcessGone, waitForProcessGone } from "./support/process.js";

const EX = "github.com/hashicorp/go-plugin/examples";
const handshake = { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "hello" };
const kvPlugins = { kv_grpc: clientPlugin(KV) };
const NOT_A_PLUGIN =
  "This binary is a plugin. These are not meant to be executed directly.\n" +
  "Please execute the program that consumes these plugins, which will\n" +
  "load any plugins automatically\n";

/** Binaries, built once per test process (cached across runs by the harness). */
const bin: Record<string, string> = {};

let tmp: string;
/** The working directory of plugins and Go hosts (kv_<key> files land here). */
let work: string;
/** PLUGIN_UNIX_SOCKET_DIR and TMPDIR of everything in a test; must end empty. */
let sockDir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  // Short paths: unix socket paths are limited to 108 bytes.
  tmp = await mkdtemp(path.join(os.tmpdir(), "rth-"));
  work = path.join(tmp, "w");
  sockDir = path.join(tmp, "s");
  await mkdir(work);
  await mkdir(sockDir);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(tmp, { recursive: true, force: true });
});

/** Closes the client at the end of the test even if an assertion failed first. */
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

/** Collects log records and GRPCStdio bytes. */
function collector() {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const logs: LogRecord[] = [];
  return {
    options: {
      syncStdout: (chunk: Buffer) => stdout.push(Buffer.from(chunk)),
      syncStderr: (chunk: Buffer) => stderr.push(Buffer.from(chunk)),
      onLog: (record: LogRecord) => logs.push(record),
    },
    stdout: () => Buffer.concat(stdout),
    stderr: () => Buffer.concat(stderr),
    logs,
  };
}

/** Waits (bounded) for a condition that other events make true. */
async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}

/** The options every launch in this file shares: private socket dir, TMPDIR, working dir. */
function where(): { cwd: string; unixSocketDir: string; env: Record<string, string> } {
  return { cwd: work, unixSocketDir: sockDir, env: { TMPDIR: sockDir } };
}

/** close(), then: the process is gone, and no socket (plugin's or broker's) is left. */
async function closeAndExpectClean(client: PluginClient<PluginSet>): Promise<void> {
  const pid = client.pid;
  expect(pid).toBeGreaterThan(0);
  await client.close();
  expect(await waitForProcessGone(pid as number)).toBe(true);
  expect(await readdir(sockDir)).toEqual([]);
}

/** A wrapper script that records its pid and execs `target` (same pid), for start failures that give no client. */
async function pidRecordingWrapper(target: string): Promise<{ command: string; pid: () => Promise<number> }> {
  const command = path.join(tmp, "wrap.sh");
  const pidFile = path.join(tmp, "wrap.pid");
  await writeFile(command, `#!/bin/sh\necho $$ > ${shellQuote(pidFile)}\nexec ${shellQuote(target)} "$@"\n`);
  await chmod(command, 0o755);
  return { command, pid: async () => Number((await readFile(pidFile, "utf8")).trim()) };
}

describeGo("TypeScript host ↔ go-plugin v1.8.0 example plugins", () => {
  beforeAll(async () => {
    // Same names and packages as test/go-harness.test.ts: one build cache entry each.
    const pkgs: [string, string][] = [
      ["kv", `${EX}/grpc`],
      ["kv-go-grpc", `${EX}/grpc/plugin-go-grpc`],
      ["counter", `${EX}/bidirectional`],
      ["counter-go-grpc", `${EX}/bidirectional/plugin-go-grpc`],
      ["streamer", `${EX}/streaming/plugin`],
      ["negotiated", `${EX}/negotiated`],
      ["kv-plugin", `${EX}/negotiated/plugin-go`],
    ];
    for (const [name, pkg] of pkgs) bin[name] = await buildGo(name, pkg);
    bin["streaming-grpc161"] = await buildGo("streaming-grpc161", `${EX}/streaming`, { module: "fixtures/go/legacy-grpc" });
  });

  const goEnv = () => ({ TMPDIR: sockDir });

  it.each([{ autoMTLS: true }, { autoMTLS: false }])(
    "grpc/plugin-go-grpc (AutoMTLS $autoMTLS): kv_grpc put/get, same bytes as go-plugin's kv host",
    async ({ autoMTLS }) => {
      const seen = collector();
      const client = track(await startPlugin({ command: bin["kv-go-grpc"]!, handshake, plugins: kvPlugins, autoMTLS, ...where(), ...seen.options }));
      expect(client.tls).toBe(autoMTLS);
      expect(client.protocolVersion).toBe(1);
      expect(client.address.network).toBe("unix");
      expect(path.dirname(client.address.address)).toBe(sockDir);

      const kv = client.dispense("kv_grpc");
      await kv.put({ key: "hello", value: Buffer.from("world") });
      expect(await readFile(path.join(work, "kv_hello"), "utf8")).toBe("world\n\nWritten from plugin-go-grpc");
      const got = Buffer.from((await kv.get({ key: "hello" })).value).toString();
      expect(got).toBe("world\n\nWritten from plugin-go-grpc");

      // go-plugin's own host, same plugin binary, same directory: it reads what we wrote…
      const env = { KV_PLUGIN: shellQuote(bin["kv-go-grpc"]!), KV_PROTO: "grpc", ...goEnv() };
      const goGet = await runGo(bin.kv!, ["get", "hello"], { env, cwd: work });
      expect(goGet.code, goGet.stderr).toBe(0);
      expect(goGet.stdout).toBe(`${got}\n`);
      // …and we read what it wrote.
      const goPut = await runGo(bin.kv!, ["put", "fromgo", "gopher"], { env, cwd: work });
      expect(goPut.code, goPut.stderr).toBe(0);
      expect(Buffer.from((await kv.get({ key: "fromgo" })).value).toString()).toBe("gopher\n\nWritten from plugin-go-grpc");
      for (const r of [goGet, goPut]) expect(r.leftoverPids).toEqual([]);

      // A failing call: the same status the Go host prints ("rpc error: code = Unknown desc = …").
      const missing = await kv.get({ key: "nope" }).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(RpcError);
      expect((missing as RpcError).code).toBe(Code.UNKNOWN);
      expect((missing as RpcError).rawMessage).toBe("open kv_nope: no such file or directory");

      await client.ping();
      await closeAndExpectClean(client);
      expect(client.exit).toEqual({ code: 0, signal: null });
    },
  );

  it.each(["P-384", "P-521"] as const)("grpc/plugin-go-grpc: AutoMTLS with a %s host certificate", async (curve) => {
    const client = track(
      await startPlugin({ command: bin["kv-go-grpc"]!, handshake, plugins: kvPlugins, certificateCurve: curve, ...where(), onLog: () => {} }),
    );
    expect(client.tls).toBe(true);
    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "c", value: Buffer.from(curve) });
    expect(Buffer.from((await kv.get({ key: "c" })).value).toString()).toBe(`${curve}\n\nWritten from plugin-go-grpc`);
    await closeAndExpectClean(client);
  });

  /** The counter's host side: each put serves AddHelper through our broker and passes its id. */
  function counterPlugins(sums: [bigint, bigint][]) {
    return {
      counter: {
        client: ({ transport, broker }: PluginClientContext) => {
          const counter = createClient(Counter, transport);
          return {
            get: async (key: string) => (await counter.get({ key })).value,
            async put(key: string, value: bigint) {
              const id = broker.nextId();
              const helper = await broker.acceptAndServe(id, (server) =>
                addService(server, AddHelper, {
                  sum: ({ a, b }) => {
                    sums.push([a, b]);
                    return { r: a + b };
                  },
                }),
              );
              try {
                await counter.put({ addServer: id, key, value });
              } finally {
                await helper.close();
              }
            },
          };
        },
      },
    };
  }

  it.each([{ autoMTLS: true }, { autoMTLS: false }])(
    "bidirectional/plugin-go-grpc (AutoMTLS $autoMTLS): the Go plugin calls our AddHelper through the broker (1 + 2 = 3)",
    async ({ autoMTLS }) => {
      const sums: [bigint, bigint][] = [];
      const seen = collector();
      const client = track(
        await startPlugin({
          command: bin["counter-go-grpc"]!,
          handshake,
          plugins: counterPlugins(sums),
          autoMTLS,
          ...where(),
          ...seen.options,
        }),
      );
      expect(client.tls).toBe(autoMTLS);
      const counter = client.dispense("counter");
      await counter.put("c", 1n);
      await counter.put("c", 2n);
      expect(await counter.get("c")).toBe(3n);
      // With AutoMTLS the Go plugin dialled our broker listener over TLS with its own certificate.
      expect(sums).toEqual([
        [0n, 1n],
        [1n, 2n],
      ]);
      expect(await readFile(path.join(work, "kv_c"), "utf8")).toBe('{"Value":3}');

      // go-plugin's own counter host on the same file.
      const goGet = await runGo(bin.counter!, ["get", "c"], {
        env: { COUNTER_PLUGIN: shellQuote(bin["counter-go-grpc"]!), ...goEnv() },
        cwd: work,
      });
      expect(goGet.code, goGet.stderr).toBe(0);
      expect(goGet.stdout).toBe("3\n");
      expect(goGet.leftoverPids).toEqual([]);

      await closeAndExpectClean(client);
      expect(client.exit).toEqual({ code: 0, signal: null });
    },
  );

  const streamerPlugins = { streamer: clientPlugin(StreamerService) };

  /** Splits bytes into chunks of `size` (the example client's Write). */
  function* chunks(data: Buffer, size: number): Generator<{ bytesToWrite: Buffer }> {
    for (let i = 0; i < data.length; i += size) yield { bytesToWrite: data.subarray(i, i + size) };
  }

  /**
   * Write as go-plugin's example client does. The example's Write handler
   * returns without SendAndClose: an OK status with no response message.
   * The h2 engine answers that as current grpc-go does, INTERNAL (grpc-go:
   * "cardinality violation"); grpc-js turns it into UNIMPLEMENTED "No message
   * received" (grpc-go ≤ 1.61: io.EOF, which the example client accepts). The
   * status comes after the handler wrote the file, so the bytes are there
   * either way.
   */
  async function exampleWrite(streamer: ReturnType<typeof createClient<typeof StreamerService>>, data: Buffer, size: number) {
    const error = await streamer.write(chunks(data, size)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RpcError);
    if (testEngine() === "h2") {
      expect((error as RpcError).code).toBe(Code.INTERNAL);
      expect((error as RpcError).rawMessage).toBe("the server sent no response message to a client-streaming call");
    } else {
      expect((error as RpcError).code).toBe(Code.UNIMPLEMENTED);
      expect((error as RpcError).rawMessage).toBe("No message received");
    }
  }

  async function readAll(streamer: ReturnType<typeof createClient<typeof StreamerService>>): Promise<{ data: Buffer; sizes: number[] }> {
    const parts: Buffer[] = [];
    for await (const chunk of streamer.read({})) parts.push(Buffer.from(chunk.readBytes));
    return { data: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
  }

  it("streaming/plugin: Configure(path, 10) → Write (client stream) → Read (server stream) returns the same bytes", async () => {
    const seen = collector();
    const client = track(await startPlugin({ command: bin.streamer!, handshake, plugins: streamerPlugins, ...where(), ...seen.options }));
    const streamer = client.dispense("streamer");
    const text = Buffer.from("Lorem ipsum dolor sit amet");
    await streamer.configure({ path: "myfile", chunkSize: 10n });
    await exampleWrite(streamer, text, 10);
    expect(await readFile(path.join(work, "myfile"))).toEqual(text);
    const { data, sizes } = await readAll(streamer);
    expect(data).toEqual(text);
    expect(sizes).toEqual([10, 10, 6]);
    // The plugin's hclog JSON (no @module: its logger has no name), as go-plugin's host logs it.
    expect(await eventually(() => seen.logs.some((l) => l.message === "FileStreamer: Write finished"))).toBe(true);
    expect(seen.logs.find((l) => l.message === "FileStreamer: Write finished")).toMatchObject({
      level: "debug",
      module: undefined,
      fields: { "bytes written": 26 },
    });
    await closeAndExpectClean(client);

    // go-plugin's own streaming host (grpc v1.61.0 build, which tolerates the missing response) in the same dir.
    await mkdir(path.join(work, "plugin"));
    await symlink(bin.streamer!, path.join(work, "plugin", "streamer"));
    const go = await runGo(bin["streaming-grpc161"]!, ["gofile"], { env: goEnv(), cwd: work });
    expect(go.code, go.stderr).toBe(0);
    expect(go.stderr).toContain('"@message":"received 26 bytes"');
    expect(await readFile(path.join(work, "gofile"))).toEqual(text);
    expect(go.leftoverPids).toEqual([]);
    expect(await readdir(sockDir)).toEqual([]);
  });

  it("streaming/plugin: 1 MiB of random bytes in 1000-byte chunks (the example host's message limit), and one 16 MiB message back", async () => {
    const client = track(await startPlugin({ command: bin.streamer!, handshake, plugins: streamerPlugins, ...where(), onLog: () => {} }));
    const streamer = client.dispense("streamer");
    // Not 10-byte chunks: grpc-js client streams of >~60k tiny messages slow down ~10x
    // (seen with raw grpc-js and with our TS streamer plugin too), which only costs time here.
    const mib = randomBytes(1 << 20);
    await streamer.configure({ path: "big", chunkSize: 1000n });
    await exampleWrite(streamer, mib, 1000);
    expect((await readFile(path.join(work, "big"))).equals(mib)).toBe(true);
    const small = await readAll(streamer);
    expect(small.data.equals(mib)).toBe(true);
    expect(small.sizes.length).toBe(Math.ceil(mib.length / 1000));
    expect(small.sizes.at(-1)).toBe(mib.length % 1000);

    // 16 MiB: written in 1 MiB messages (the Go server's default receive limit is 4 MiB),
    // read back as ONE 16 MiB message (the Go server's send limit is MaxInt32; ours to receive too).
    const big = randomBytes(16 << 20);
    await streamer.configure({ path: "big", chunkSize: BigInt(big.length) });
    await exampleWrite(streamer, big, 1 << 20);
    const back = await readAll(streamer);
    expect(back.sizes).toEqual([big.length]);
    expect(back.data.equals(big)).toBe(true);
    await closeAndExpectClean(client);
  });

  it("negotiated/plugin-go: offering {3: kv} negotiates version 3; go-plugin's negotiated host reads the same file", async () => {
    const client = track(
      await startPlugin({ command: bin["kv-plugin"]!, handshake, versionedPlugins: { 3: { kv: clientPlugin(KV) } }, ...where(), onLog: () => {} }),
    );
    expect(client.protocolVersion).toBe(3);
    const kv = client.dispense("kv");
    await kv.put({ key: "hello", value: Buffer.from("world") });
    expect(await readFile(path.join(work, "kv_hello"), "utf8")).toBe("world\n\nWritten from plugin version 3\n");
    const got = Buffer.from((await kv.get({ key: "hello" })).value).toString();
    expect(got).toBe("world\n\nWritten from plugin version 3\nRead by plugin version 3\n");

    await symlink(bin["kv-plugin"]!, path.join(work, "kv-plugin")); // the host runs ./kv-plugin
    const go = await runGo(bin.negotiated!, ["get", "hello"], { env: { KV_PROTO: "grpc", ...goEnv() }, cwd: work });
    expect(go.code, go.stderr).toBe(0);
    expect(go.stderr).toContain("using plugin: version=3");
    expect(go.stdout).toBe(`${got}\n`);
    expect(go.leftoverPids).toEqual([]);
    await closeAndExpectClean(client);
  });

  it("negotiated/plugin-go: offering only {2: kv} gets version 2 over netrpc → HandshakeError naming netrpc, nothing left running", async () => {
    const wrapper = await pidRecordingWrapper(bin["kv-plugin"]!);
    const logs: LogRecord[] = [];
    const error = await startPlugin({
      command: wrapper.command,
      handshake,
      versionedPlugins: { 2: { kv: clientPlugin(KV) } },
      ...where(),
      onLog: (r) => logs.push(r),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error).not.toBeInstanceOf(IncompatibleVersionError);
    expect((error as Error).message).toContain('unsupported plugin protocol "netrpc"');
    expect((error as HandshakeError).line).toMatch(new RegExp(`^1\\|2\\|unix\\|${sockDir}/plugin\\d+\\|netrpc\\|`));
    // The plugin had listened and printed its line: it was killed, its socket file removed.
    expect(await waitForProcessGone(await wrapper.pid())).toBe(true);
    expect(await readdir(sockDir)).toEqual([]);
  });

  it("negotiated/plugin-go: offering only {1: kv} gets the plugin's fallback version 2 → IncompatibleVersionError", async () => {
    const wrapper = await pidRecordingWrapper(bin["kv-plugin"]!);
    const error = await startPlugin({
      command: wrapper.command,
      handshake,
      plugins: { kv: clientPlugin(KV) },
      ...where(),
      onLog: () => {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IncompatibleVersionError);
    expect((error as IncompatibleVersionError).pluginVersion).toBe(2);
    expect((error as IncompatibleVersionError).hostVersions).toEqual([1]);
    expect((error as Error).message).toContain("incompatible API version with plugin. Plugin version: 2, Client versions: [1]");
    expect(await waitForProcessGone(await wrapper.pid())).toBe(true);
    expect(await readdir(sockDir)).toEqual([]);
  });

  it("a go-plugin plugin run with the wrong cookie: PluginExitedError quoting go-plugin's message", async () => {
    const logs: LogRecord[] = [];
    const error = await startPlugin({
      command: bin["kv-go-grpc"]!,
      handshake: { magicCookieKey: "BASIC_PLUGIN", magicCookieValue: "wrong" },
      plugins: kvPlugins,
      ...where(),
      onLog: (r) => logs.push(r),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PluginExitedError);
    const exited = error as PluginExitedError;
    expect(exited.exitCode).toBe(1);
    expect(exited.signal).toBeNull();
    expect(exited.message).toContain("plugin exited before we could connect (no handshake line on stdout): plugin exited with exit code 1");
    expect(exited.message).toContain("This binary is a plugin. These are not meant to be executed directly.");
    expect(exited.stderrTail.map((l) => `${l}\n`).join("")).toBe(NOT_A_PLUGIN);
    // The same lines reach onLog as (debug) text records.
    expect(logs.map((l) => [l.level, l.message])).toEqual(
      NOT_A_PLUGIN.trimEnd()
        .split("\n")
        .map((l) => ["debug", l]),
    );
    expect(await readdir(sockDir)).toEqual([]);
  });
});

describeGo("TypeScript host ↔ fixtures/go cmd/kvplugin", () => {
  beforeAll(async () => {
    bin.kvplugin = await buildGo("kvplugin", "./cmd/kvplugin");
  });

  const PRINTED = "hello from go, ünïcode\n";

  it.each([{ autoMTLS: true }, { autoMTLS: false }])(
    "AutoMTLS $autoMTLS: put/get over unix, GRPCStdio bytes exact, hclog records with level/module/fields/timestamp",
    async ({ autoMTLS }) => {
      const seen = collector();
      const client = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, autoMTLS, ...where(), ...seen.options }));
      expect(client.tls).toBe(autoMTLS);
      // Go plugins listen on unix sockets on Linux (go-plugin has no way to ask for TCP there).
      expect(client.address.network).toBe("unix");
      expect(path.dirname(client.address.address)).toBe(sockDir);
      expect(await readdir(sockDir)).toEqual([path.basename(client.address.address)]);

      const kv = client.dispense("kv_grpc");
      await kv.put({ key: "a", value: Buffer.from("1,2") });
      expect(Buffer.from((await kv.get({ key: "a" })).value).toString()).toBe("1,2");

      // os.Stdout/os.Stderr writes after Serve travel over GRPCStdio; bytes must be exact,
      // also past go-plugin's 1024-byte chunking.
      const long = Buffer.concat([Buffer.from(PRINTED), Buffer.alloc(3000, "x"), Buffer.from("€ end\n")]);
      await kv.put({ key: "print", value: Buffer.from(PRINTED) });
      await kv.put({ key: "print", value: long });
      const expected = Buffer.concat([Buffer.from(PRINTED), long]);
      expect(await eventually(() => seen.stdout().length >= expected.length && seen.stderr().length >= expected.length)).toBe(true);
      expect(seen.stdout().equals(expected)).toBe(true);
      expect(seen.stderr().equals(expected)).toBe(true);

      // The hclog JSON record from the plugin's real stderr.
      expect(await eventually(() => seen.logs.filter((l) => l.message === "print").length === 2)).toBe(true);
      const rec = seen.logs.find((l) => l.message === "print")!;
      expect(rec).toMatchObject({ level: "info", module: "kvplugin", fields: { value: PRINTED } });
      const raw = JSON.parse(rec.raw) as Record<string, unknown>;
      expect(raw["@timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/);
      expect(rec.timestamp).toBeInstanceOf(Date);
      // hclog's microseconds truncated to our Date's milliseconds.
      expect(rec.timestamp!.getTime()).toBe(new Date((raw["@timestamp"] as string).replace(/(\.\d{3})\d{3}/, "$1")).getTime());

      // Raw lines on the real stderr: hclog-style "[LEVEL]" text, plain text, hand-written JSON.
      await kv.put({ key: "log", value: Buffer.from("[WARN] careful now") });
      await kv.put({ key: "log", value: Buffer.from("just some text") });
      await kv.put({
        key: "log",
        value: Buffer.from('{"@level":"error","@message":"custom","@module":"m.sub","@timestamp":"2024-01-02T03:04:05.123456Z","k":1}'),
      });
      expect(await eventually(() => seen.logs.some((l) => l.message === "custom"))).toBe(true);
      const lines = ["[WARN] careful now", "just some text"];
      const tail = [...lines.map((line) => seen.logs.find((l) => l.raw === line)), seen.logs.find((l) => l.message === "custom")];
      expect(tail[0]).toMatchObject({ level: "warn", message: "careful now", module: undefined, timestamp: undefined, fields: {} });
      expect(tail[1]).toMatchObject({ level: "debug", message: "just some text", module: undefined, timestamp: undefined, fields: {} });
      expect(tail[2]).toMatchObject({ level: "error", message: "custom", module: "m.sub", fields: { k: 1 } });
      expect(tail[2]!.timestamp?.toISOString()).toBe("2024-01-02T03:04:05.123Z");

      await client.ping();
      await closeAndExpectClean(client);
      expect(client.exit).toEqual({ code: 0, signal: null });
    },
  );

  it.each([{ autoMTLS: true }, { autoMTLS: false }])(
    "AutoMTLS $autoMTLS: 64 calls in flight at once all answer (grpc-go writes HEADERS, DATA and trailers together)",
    async ({ autoMTLS }) => {
      const client = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, autoMTLS, ...where(), ...collector().options }));
      const kv = client.dispense("kv_grpc");
      await kv.put({ key: "c", value: Buffer.from("x".repeat(100)) });
      for (let round = 0; round < 5; round++) {
        const values = await Promise.all(Array.from({ length: 64 }, () => kv.get({ key: "c" })));
        expect(values.every((answer) => Buffer.from(answer.value).toString() === "x".repeat(100))).toBe(true);
      }
      await closeAndExpectClean(client);
    },
  );

  it("1 MiB of binary bytes on the plugin's os.Stdout/os.Stderr arrive over GRPCStdio exactly, in order", async () => {
    const seen = collector();
    const client = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, ...where(), ...seen.options }));
    const value = randomBytes(1 << 20);
    await client.dispense("kv_grpc").put({ key: "print", value });
    expect(await eventually(() => seen.stdout().length >= value.length && seen.stderr().length >= value.length, 10_000)).toBe(true);
    expect(seen.stdout().equals(value)).toBe(true);
    expect(seen.stderr().equals(value)).toBe(true);
    // …and the hclog record carrying it (one ~1 MiB JSON line on the real stderr) is still one record.
    expect(await eventually(() => seen.logs.some((l) => l.message === "print"))).toBe(true);
    const rec = seen.logs.find((l) => l.message === "print")!;
    expect(rec).toMatchObject({ level: "info", module: "kvplugin" });
    expect(typeof rec.fields.value).toBe("string");
    await closeAndExpectClean(client);
  });

  it("versioned plugin sets: host {1, 2} × plugin {2, 3} (KVPLUGIN_VERSIONS) negotiates 2, as cmd/host does", async () => {
    const client = track(
      await startPlugin({
        command: bin.kvplugin!,
        handshake,
        versionedPlugins: { 1: { v1: clientPlugin(KV) }, 2: { v2: clientPlugin(KV) } },
        ...where(),
        env: { ...where().env, KVPLUGIN_VERSIONS: "2,3" },
        onLog: () => {},
      }),
    );
    expect(client.protocolVersion).toBe(2);
    // The set of the negotiated version, and only it, is dispensable.
    expect(() => client.dispense("v1")).toThrow(/unknown plugin type: "v1"/);
    const kv = client.dispense("v2");
    await kv.put({ key: "k", value: Buffer.from("v") });
    expect(Buffer.from((await kv.get({ key: "k" })).value).toString()).toBe("v");
    await closeAndExpectClean(client);
  });

  it("a crash inside a call: RpcError naming the exit (exit code 3), no hang, socket file removed", async () => {
    const seen = collector();
    const client = track(
      await startPlugin({
        command: bin.kvplugin!,
        handshake,
        plugins: kvPlugins,
        ...where(),
        ...seen.options,
        env: { ...where().env, KVPLUGIN_CRASH_ON: "boom" },
      }),
    );
    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "a", value: Buffer.from("1") });
    const pid = client.pid as number;
    // The deadline only keeps a hang from looking like a test timeout; it must not be what ends the call.
    const error = await kv.get({ key: "boom" }, { timeoutMs: 30_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    const rpc = error as RpcError;
    expect(rpc.code).toBe(Code.UNAVAILABLE);
    expect(rpc.rawMessage).toContain("plugin exited with exit code 3 during the call");
    expect(rpc.rawMessage).toContain("crashing on purpose");
    expect(client.exit).toEqual({ code: 3, signal: null });
    expect(seen.logs.find((l) => l.message === "crashing on purpose")).toMatchObject({ level: "error", module: "kvplugin", fields: { key: "boom" } });
    // os.Exit skips the plugin's deferred socket cleanup; the host removes the file of the plugin it launched.
    await client.close();
    expect(isProcessGone(pid)).toBe(true);
    expect(await readdir(sockDir)).toEqual([]);
  });

  it("40 start/put/close cycles with AutoMTLS leave no connection open in the host (each close destroys its TLS sockets)", async () => {
    const openTls = () =>
      (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().filter((h) => h.constructor.name === "TLSSocket").length;
    const before = openTls();
    for (let cycle = 0; cycle < 40; cycle++) {
      const client = await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, ...where(), onLog: () => {} });
      await client.dispense("kv_grpc").put({ key: "k", value: Buffer.from(String(cycle)) });
      await client.close();
    }
    // Before the fix, one cycle in four left its connection open: the stdio stream's end reset a stream that was closing anyway.
    expect(openTls()).toBe(before);
  });

  it("a plugin SIGKILLed while idle: the next call names the signal, close() is clean", async () => {
    const client = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, ...where(), onLog: () => {} }));
    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "a", value: Buffer.from("1") });
    const pid = client.pid as number;
    process.kill(pid, "SIGKILL");
    expect(await waitForProcessGone(pid)).toBe(true);
    const error = await kv.get({ key: "a" }, { timeoutMs: 30_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
    expect((error as RpcError).rawMessage).toContain("plugin exited with signal SIGKILL");
    expect(client.exit).toEqual({ code: null, signal: "SIGKILL" });
    await client.close();
    // The killed plugin could not remove its socket file; the host that launched it did.
    expect(await readdir(sockDir)).toEqual([]);
  });

  it("large values: 16 MiB is refused by the Go server's 4 MiB receive limit (as for a Go host); just under 4 MiB round-trips", async () => {
    const sixteen = 16 << 20;
    // Reference: go-plugin's host (cmd/host) against the same plugin.
    const go = await runHost({ plugin: bin.kvplugin!, ops: [`putsize:big=${sixteen}`] }, { env: { TMPDIR: sockDir } });
    expect(go.startError).toBeNull();
    expect(go.ops[0]!.ok).toBe(false);
    expect(go.ops[0]!.error).toContain("code = ResourceExhausted");
    expect(go.pluginGone).toBe(true);
    expect(go.harness.leftoverPids).toEqual([]);
    const goDesc = /desc = (.*)$/.exec(go.ops[0]!.error!)![1];

    const client = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, ...where(), onLog: () => {} }));
    const kv = client.dispense("kv_grpc");
    const refused = await kv.put({ key: "big", value: randomBytes(sixteen) }).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(Code.RESOURCE_EXHAUSTED);
    expect((refused as RpcError).rawMessage).toBe(goDesc);

    const value = randomBytes((4 << 20) - 64);
    await kv.put({ key: "big", value });
    expect(Buffer.from((await kv.get({ key: "big" })).value).equals(value)).toBe(true);
    await closeAndExpectClean(client);
  });

  it("reattach: a second client on the running Go plugin (test mode), closing it leaves the plugin, then the owner stops it", async () => {
    const owner = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, autoMTLS: false, ...where(), onLog: () => {} }));
    await owner.dispense("kv_grpc").put({ key: "shared", value: Buffer.from("from the owner") });
    const config = { ...owner.reattachConfig, test: true };
    expect(config).toEqual({
      protocol: "grpc",
      protocolVersion: 1,
      address: owner.address,
      pid: owner.pid,
      test: true,
    });

    const attached = await reattachPlugin(config, { plugins: kvPlugins, onLog: () => {} });
    const kv = attached.dispense("kv_grpc");
    expect(Buffer.from((await kv.get({ key: "shared" })).value).toString()).toBe("from the owner");
    await kv.put({ key: "back", value: Buffer.from("from the reattached client") });
    await attached.ping();
    await attached.close();

    // Still running and serving.
    expect(owner.exit).toBeUndefined();
    expect(isProcessGone(owner.pid as number)).toBe(false);
    await owner.ping();
    expect(Buffer.from((await owner.dispense("kv_grpc").get({ key: "back" })).value).toString()).toBe("from the reattached client");
    await closeAndExpectClean(owner);
  });

  it("reattach without test mode: closing the reattached client shuts the Go plugin down", async () => {
    const owner = track(await startPlugin({ command: bin.kvplugin!, handshake, plugins: kvPlugins, autoMTLS: false, ...where(), onLog: () => {} }));
    const pid = owner.pid as number;
    const attached = await reattachPlugin(owner.reattachConfig, { plugins: kvPlugins, onLog: () => {} });
    expect(attached.reattachConfig.test).toBe(false);
    await attached.ping();
    await attached.close();
    expect(await waitForProcessGone(pid)).toBe(true);
    // It exited on GRPCController.Shutdown, not by a kill.
    expect(owner.exit).toEqual({ code: 0, signal: null });
    await owner.close();
    expect(await readdir(sockDir)).toEqual([]);
  });
});

describe("TypeScript host: start failures (no Go needed)", () => {
  it("startTimeoutMs shorter than a plugin that never prints its line: StartTimeoutError, and the process is killed", async () => {
    const script = path.join(tmp, "sleeper.sh");
    const pidFile = path.join(tmp, "sleeper.pid");
    await writeFile(script, `#!/bin/sh\necho $$ > ${shellQuote(pidFile)}\necho "about to sleep" >&2\nexec sleep 30\n`);
    await chmod(script, 0o755);
    const error = await startPlugin({ command: script, handshake, plugins: kvPlugins, startTimeoutMs: 500, ...where(), onLog: () => {} }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StartTimeoutError);
    expect((error as Error).message).toContain("timeout while waiting for plugin to start");
    expect((error as StartTimeoutError).stderrTail).toEqual(["about to sleep"]);
    expect(await waitForProcessGone(Number((await readFile(pidFile, "utf8")).trim()))).toBe(true);
    expect(await readdir(sockDir)).toEqual([]);
  });
});
