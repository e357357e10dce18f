// Go↔Go baselines through the interop harness: go-plugin v1.8.0's own example
// hosts and plugins, and fixtures/go/cmd/host with fixtures/go/cmd/kvplugin in
// each mode. These are the reference rows of the interop matrix: whatever a
// TypeScript peer is later compared with was observed here, against the real
// Go library. They also prove the harness (builds, timeouts, leak checks).
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildGo, describeGo, type HostRun, reportBytes, runGo, runHost, shellQuote } from "./support/go.js";
import { isProcessGone, waitForProcessGone } from "./support/process.js";

const EX = "github.com/hashicorp/go-plugin/examples";

let tmp: string;
/** TMPDIR of every Go process in a test: go-plugin's default socket directory. */
let sockDir: string;

beforeEach(async () => {
  // Short names: unix socket paths are limited to 104 (macOS) / 108 bytes.
  tmp = await mkdtemp(path.join(os.tmpdir(), "rpg-"));
  sockDir = path.join(tmp, "s");
  await mkdir(sockDir);
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Hclog JSON lines from a host's stderr (the streaming example logs JSON). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("harness", () => {
  it("runGo kills the whole process group on timeout and reports it", async () => {
    const r = await runGo("/bin/sh", ["-c", "sleep 30 & echo $!; wait"], { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitForProcessGone(grandchild)).toBe(true);
  });

  it("runGo reports and kills processes left behind by a command that exited", async () => {
    const r = await runGo("/bin/sh", ["-c", "sleep 30 & echo $!"]);
    expect(r.code).toBe(0);
    const orphan = Number(r.stdout.trim());
    expect(r.leftoverPids).toEqual([orphan]);
    expect(isProcessGone(orphan)).toBe(true);
  });
});

describeGo("go-plugin v1.8.0 examples, Go host ↔ Go plugin", () => {
  const bin: Record<string, string> = {};

  beforeAll(async () => {
    // Sequential: on a 2-core CI machine parallel `go build`s only contend.
    const pkgs: [string, string][] = [
      ["kv", `${EX}/grpc`],
      ["kv-go-grpc", `${EX}/grpc/plugin-go-grpc`],
      ["counter", `${EX}/bidirectional`],
      ["counter-go-grpc", `${EX}/bidirectional/plugin-go-grpc`],
      ["streaming", `${EX}/streaming`],
      ["streamer", `${EX}/streaming/plugin`],
      ["negotiated", `${EX}/negotiated`],
      ["kv-plugin", `${EX}/negotiated/plugin-go`],
    ];
    for (const [name, pkg] of pkgs) bin[name] = await buildGo(name, pkg);
    bin["streaming-grpc161"] = await buildGo("streaming-grpc161", `${EX}/streaming`, {
      module: "fixtures/go/legacy-grpc",
    });
  });

  async function expectNoSockets(): Promise<void> {
    expect(await readdir(sockDir)).toEqual([]);
  }

  it("grpc: put then get through plugin-go-grpc (KV_PROTO=grpc)", async () => {
    const env = { KV_PLUGIN: shellQuote(bin["kv-go-grpc"]!), KV_PROTO: "grpc", TMPDIR: sockDir };
    const put = await runGo(bin.kv!, ["put", "hello", "world"], { env, cwd: tmp });
    expect(put.stdout).toBe("");
    expect(put.code).toBe(0);
    // The host logs in hclog's text format to its stderr.
    expect(put.stderr).toContain("[DEBUG] plugin: using plugin: version=1");
    expect(await readFile(path.join(tmp, "kv_hello"), "utf8")).toBe("world\n\nWritten from plugin-go-grpc");

    const get = await runGo(bin.kv!, ["get", "hello"], { env, cwd: tmp });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe("world\n\nWritten from plugin-go-grpc\n");

    const missing = await runGo(bin.kv!, ["get", "nope"], { env, cwd: tmp });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("error: rpc error: code = Unknown desc = open kv_nope: no such file or directory\n");
    for (const r of [put, get, missing]) expect(r.leftoverPids).toEqual([]);
    await expectNoSockets();
  });

  it("bidirectional: the plugin calls the host's AddHelper through the broker (1 + 2 = 3)", async () => {
    const env = { COUNTER_PLUGIN: shellQuote(bin["counter-go-grpc"]!), TMPDIR: sockDir };
    const runs = [
      await runGo(bin.counter!, ["put", "c", "1"], { env, cwd: tmp }),
      await runGo(bin.counter!, ["put", "c", "2"], { env, cwd: tmp }),
      await runGo(bin.counter!, ["get", "c"], { env, cwd: tmp }),
    ];
    for (const r of runs) {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.leftoverPids).toEqual([]);
    }
    expect(runs[2]!.stdout).toBe("3\n");
    expect(await readFile(path.join(tmp, "kv_c"), "utf8")).toBe('{"Value":3}');
    // The host's broker listener (AcceptAndServe) was a unix socket in TMPDIR too.
    await expectNoSockets();

    // On an error this host os.Exit(1)s from main, skipping its deferred
    // client.Kill(): `sh -c` and the plugin under it are left running.
    const missing = await runGo(bin.counter!, ["get", "nope"], { env, cwd: tmp });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("Error: rpc error: code = Unknown desc = open kv_nope: no such file or directory\n");
    expect(missing.leftoverPids).toHaveLength(2);
  });

  it("streaming (host built with grpc v1.61.0): bytes written through the plugin come back identical", async () => {
    await mkdir(path.join(tmp, "plugin"));
    await symlink(bin.streamer!, path.join(tmp, "plugin", "streamer")); // host runs ./plugin/streamer
    const r = await runGo(bin["streaming-grpc161"]!, ["myfile"], { env: { TMPDIR: sockDir }, cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(path.join(tmp, "myfile"), "utf8")).toBe("Lorem ipsum dolor sit amet");
    const received = jsonLines(r.stderr).find((l) => l["@message"] === "received 26 bytes");
    expect(received?.bytes).toBe("Lorem ipsum dolor sit amet");
    expect(r.leftoverPids).toEqual([]);
    await expectNoSockets();
  });

  it("streaming (host built with current grpc): Write fails on the example's missing response, and the host leaks its plugin", async () => {
    // The example's server-side Write handler returns without SendAndClose.
    // grpc-go releases that enforce response cardinality (grpc-go PR #8278)
    // turn that into an error on the client; the host then log.Fatal()s,
    // which skips its deferred client.Kill(). This row records that upstream
    // behaviour: if it changes, this test says so.
    await mkdir(path.join(tmp, "plugin"));
    await symlink(bin.streamer!, path.join(tmp, "plugin", "streamer"));
    const r = await runGo(bin.streaming!, ["myfile"], { env: { TMPDIR: sockDir }, cwd: tmp });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rpc error: code = Internal desc = cardinality violation: received no response message from non-server-streaming RPC");
    expect(await readFile(path.join(tmp, "myfile"), "utf8")).toBe("Lorem ipsum dolor sit amet");
    // (The plugin's "Write finished" record is not asserted here: the host may
    // log.Fatal before go-plugin has relayed that stderr line.)
    // The orphaned plugin: runGo found it in the host's process group and killed it.
    expect(r.leftoverPids).toHaveLength(1);
    expect(isProcessGone(r.leftoverPids[0]!)).toBe(true);
    // Killed with SIGKILL, it could not remove its socket.
    expect((await readdir(sockDir)).filter((f) => f.startsWith("plugin"))).toHaveLength(1);
  });

  it("negotiated: KV_PROTO=grpc negotiates version 3 with ./kv-plugin", async () => {
    await symlink(bin["kv-plugin"]!, path.join(tmp, "kv-plugin")); // host runs ./kv-plugin
    const env = { KV_PROTO: "grpc", TMPDIR: sockDir };
    const put = await runGo(bin.negotiated!, ["put", "hello", "world"], { env, cwd: tmp });
    expect(put.code, put.stdout + put.stderr).toBe(0);
    expect(put.stderr).toContain("[DEBUG] plugin: using plugin: version=3");
    expect(await readFile(path.join(tmp, "kv_hello"), "utf8")).toBe("world\n\nWritten from plugin version 3\n");
    const get = await runGo(bin.negotiated!, ["get", "hello"], { env, cwd: tmp });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe("world\n\nWritten from plugin version 3\nRead by plugin version 3\n\n");
    for (const r of [put, get]) expect(r.leftoverPids).toEqual([]);
    await expectNoSockets();
  });
});

describeGo("cmd/host ↔ cmd/kvplugin (Go↔Go reference rows)", () => {
  let kvplugin: string;
  beforeAll(async () => {
    kvplugin = await buildGo("kvplugin", "./cmd/kvplugin");
    await buildGo("host", "./cmd/host");
  });

  const PRINTED = "hello from go, ünïcode\n";

  interface Mode {
    name: string;
    automtls?: boolean;
    mux?: boolean;
    /** Pass a socket directory: via the env ourselves, or through go-plugin's RunnerFunc path. */
    socketDir?: "env" | "runner-func";
  }
  const modes: Mode[] = [
    { name: "plain" },
    { name: "AutoMTLS", automtls: true },
    { name: "socket dir (PLUGIN_UNIX_SOCKET_DIR set by the host)", socketDir: "env" },
    { name: "socket dir (RunnerFunc: go-plugin makes plugin-dir*)", socketDir: "runner-func" },
    { name: "broker multiplexing", mux: true },
    { name: "broker multiplexing + AutoMTLS", mux: true, automtls: true },
  ];

  function expectClean(r: HostRun): void {
    expect(r.killError).toBeNull();
    expect(r.forcedKill).toBe(false);
    expect(r.pluginGone).toBe(true);
    expect(r.harness.leftoverPids).toEqual([]);
  }

  it.each(modes)("$name", async (mode) => {
    const socketDir = mode.socketDir ? path.join(tmp, "d") : undefined;
    if (socketDir) await mkdir(socketDir);
    const r = await runHost(
      {
        plugin: kvplugin,
        ...(mode.automtls ? { automtls: true } : {}),
        ...(mode.mux ? { mux: true } : {}),
        ...(socketDir ? { socketDir } : {}),
        ...(mode.socketDir === "runner-func" ? { runnerFunc: true } : {}),
        ops: ["put:a=1,2", "get:a", `put:print=${PRINTED}`, "ping"],
        expectStdout: PRINTED,
        expectStderr: PRINTED,
        expectLog: "print",
      },
      { env: { TMPDIR: sockDir } },
    );
    expect(r.startError).toBeNull();
    expect(r.clientError).toBeNull();
    expect(r.dispenseError).toBeNull();
    expect(r.negotiatedVersion).toBe(1);
    expect(r.protocol).toBe("grpc");
    expect(r.network).toBe("unix");
    expect(r.ops.map((o) => [o.op, o.ok, o.error])).toEqual([
      ["put", true, null],
      ["get", true, null],
      ["put", true, null],
      ["ping", true, null],
    ]);
    expect(r.ops[1]!.value).toBe("1,2");

    // GRPCStdio: the plugin's os.Stdout/os.Stderr writes, byte for byte.
    expect(r.expectations).toEqual({ stdout: true, stderr: true, log: true });
    expect(reportBytes(r.stdout).toString("utf8")).toBe(PRINTED);
    expect(reportBytes(r.stderr).toString("utf8")).toBe(PRINTED);
    // The plugin's hclog record on its real stderr, re-logged by the host. The
    // plugin's own "@module" wins over the host's "plugin.kvplugin" name.
    const rec = r.logs.find((l) => l.message === "print");
    expect(rec).toMatchObject({ level: "info", module: "kvplugin", fields: { value: PRINTED } });

    expect(r.serverCertInHandshake).toBe(Boolean(mode.automtls));
    expect(r.tls?.used).toBe(Boolean(mode.automtls));
    if (mode.automtls) {
      expect(r.tls?.alpn).toBe("h2");
      expect(r.tls?.peerCertificates?.[0]).toMatchObject({
        dnsNames: ["localhost"],
        curve: "P-521",
        isCA: true,
        extKeyUsage: ["clientAuth", "serverAuth"],
      });
    }

    if (mode.socketDir === "env") {
      expect(path.dirname(r.address)).toBe(socketDir);
    } else if (mode.socketDir === "runner-func") {
      expect(path.dirname(path.dirname(r.address))).toBe(socketDir);
      expect(path.basename(path.dirname(r.address))).toMatch(/^plugin-dir\d+$/);
      expect(r.handshakeLine).toBe(`1|1|unix|${r.address}|grpc|`);
    } else {
      expect(path.dirname(r.address)).toBe(sockDir);
    }
    if (socketDir) expect(r.socketDirEntries).toEqual([]);

    expectClean(r);
    if (mode.mux) {
      // go-plugin v1.8.0 leaks the socket file in multiplexing mode: Serve
      // replaces its listener variable with the muxer, so the deferred Close
      // never reaches the listener wrapper that removes the file.
      expect(r.socketGone).toBe(false);
      expect(await readdir(sockDir)).toEqual([path.basename(r.address)]);
    } else {
      expect(r.socketGone).toBe(true);
      expect(await readdir(sockDir)).toEqual([]);
    }
  });

  it("negotiates the highest common version (host 1,2; plugin 2,3 → 2)", async () => {
    const r = await runHost({ plugin: kvplugin, versions: [1, 2], env: { KVPLUGIN_VERSIONS: "2,3" }, ops: ["put:k=v", "get:k"] }, { env: { TMPDIR: sockDir } });
    expect(r.startError).toBeNull();
    expect(r.negotiatedVersion).toBe(2);
    expect(r.ops[1]!.value).toBe("v");
    expectClean(r);
    expect(r.socketGone).toBe(true);
  });

  it("reports a plugin that crashes inside a call", async () => {
    const r = await runHost(
      {
        plugin: kvplugin,
        env: { KVPLUGIN_CRASH_ON: "boom" },
        ops: ["put:a=1", "get:boom"],
        waitExitMs: 5000,
      },
      { env: { TMPDIR: sockDir } },
    );
    expect(r.ops[0]!.ok).toBe(true);
    expect(r.ops[1]!.ok).toBe(false);
    expect(r.ops[1]!.error).toContain("code = Unavailable");
    expect(r.exitedBeforeKill).toBe(true);
    expect(r.logs.find((l) => l.message === "plugin process exited")).toMatchObject({
      level: "error",
      fields: { error: "exit status 3" },
    });
    expect(r.pluginGone).toBe(true);
    expect(r.harness.leftoverPids).toEqual([]);
  });

  it("reports a wrong magic cookie the way go-plugin does", async () => {
    const r = await runHost({ plugin: kvplugin, cookie: "BASIC_PLUGIN=wrong", ops: ["get:a"] }, { env: { TMPDIR: sockDir } });
    expect(r.startError).toContain("Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout\nThis usually means");
    expect(reportBytes(r.rawStderr).toString("utf8")).toBe(
      "This binary is a plugin. These are not meant to be executed directly.\n" +
        "Please execute the program that consumes these plugins, which will\n" +
        "load any plugins automatically\n",
    );
    expect(r.ops).toEqual([]);
    expect(r.pluginGone).toBe(true);
    expect(r.harness.leftoverPids).toEqual([]);
    expect(await readdir(sockDir)).toEqual([]);
  });
});
