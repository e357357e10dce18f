/**
 * Interop between our yamux (packages/runtime/src/yamux) and Go's
 * github.com/hashicorp/yamux v0.1.2 with DefaultConfig(), the library and
 * configuration go-plugin uses for its multiplexed gRPC broker.
 *
 * The Go side is fixtures/go/cmd/yamux-peer (see its doc comment): it echoes
 * the streams we open and opens streams of its own for us to echo, checking
 * SHA-256 checksums. Both roles are covered: TS server <-> Go client and TS
 * client <-> Go server.
 *
 * Needs Go on PATH; set RPCPLUGIN_SKIP_GO=1 to skip.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { YamuxSession, type YamuxStream } from "../packages/runtime/src/yamux/index.js";
import { goSkipped } from "./support/go.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const goDir = join(repoRoot, "fixtures", "go");
const binDir = process.env.RPCPLUGIN_GO_CACHE || join(tmpdir(), "rpcplugin-go-bin");
const peerBin = join(binDir, process.platform === "win32" ? "yamux-peer.exe" : "yamux-peer");
const skipGo = goSkipped();
if (skipGo) process.stderr.write(`[go] skipping the yamux interop suite: RPCPLUGIN_SKIP_GO=${process.env.RPCPLUGIN_SKIP_GO}\n`);

const STREAMS = 6;
const BYTES_PER_STREAM = 4 * 1024 * 1024;

interface PeerEvent {
  event: string;
  stream?: number;
  bytes?: number;
  sentSha?: string;
  receivedSha?: string;
  ok?: boolean;
  message?: string;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

class GoPeer {
  readonly child: ChildProcess;
  readonly events: PeerEvent[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  #waiters: Array<() => void> = [];
  #exited = false;

  constructor(args: string[]) {
    this.child = spawn(peerBin, args, { stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as PeerEvent);
      } catch {
        this.events.push({ event: "unparsable", message: line });
      }
      this.#wake();
    });
    this.exited = new Promise((resolveExit) => {
      this.child.once("close", (code) => {
        this.#exited = true;
        this.#wake();
        resolveExit(code);
      });
      this.child.once("error", (err) => {
        this.events.push({ event: "spawn-error", message: err.message });
        this.#exited = true;
        this.#wake();
        resolveExit(null);
      });
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  describe(): string {
    return `Go peer events:\n${this.events.map((e) => JSON.stringify(e)).join("\n")}\nGo peer stderr:\n${this.stderr}`;
  }

  async waitFor(pred: (e: PeerEvent) => boolean, what: string): Promise<PeerEvent> {
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const error = this.events.find((e) => e.event === "error" || e.event === "spawn-error");
      if (error) throw new Error(`Go peer failed while waiting for ${what}: ${error.message}\n${this.describe()}`);
      if (this.#exited) throw new Error(`Go peer exited while waiting for ${what}\n${this.describe()}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async waitCount(pred: (e: PeerEvent) => boolean, count: number, what: string): Promise<PeerEvent[]> {
    await this.waitFor(() => this.events.filter(pred).length >= count, what);
    return this.events.filter(pred);
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "yamux-interop-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readAll(stream: Duplex): Promise<{ bytes: number; sha: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Promise((resolveRead, reject) => {
    stream.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    stream.once("end", () => resolveRead({ bytes, sha: hash.digest("hex") }));
    stream.once("error", reject);
    stream.once("close", () => {
      if (!stream.readableEnded) reject(new Error(`stream closed before its end (${bytes} bytes read)`));
    });
  });
}

async function writeRandom(stream: Duplex, total: number): Promise<string> {
  const hash = createHash("sha256");
  let sent = 0;
  while (sent < total) {
    const size = Math.min(total - sent, 1 + Math.floor(Math.random() * 100 * 1024));
    const chunk = randomBytes(size);
    hash.update(chunk);
    sent += size;
    if (!stream.write(chunk)) await once(stream, "drain");
  }
  stream.end();
  return hash.digest("hex");
}

/** Runs the whole exchange once the session is up; asserts everything. */
async function exchange(session: YamuxSession, peer: GoPeer): Promise<void> {
  const echoed: Array<Promise<void>> = [];
  // Echo what the Go side sends on the streams it opens.
  session.on("stream", (s: YamuxStream) => {
    echoed.push(
      new Promise<void>((resolveEcho, reject) => {
        s.on("error", reject);
        s.on("close", () => resolveEcho());
        s.pipe(s);
      }),
    );
  });

  await peer.waitFor((e) => e.event === "ping" && e.ok === true, "the Go side's ping");
  expect(await session.ping()).toBeGreaterThanOrEqual(0);

  // Our streams: Go echoes them; the echo must match what we sent.
  const ours = await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const s = await session.open();
      const [sent, got] = await Promise.all([writeRandom(s, BYTES_PER_STREAM), readAll(s)]);
      return { id: s.id, sent, got };
    }),
  );
  for (const o of ours) {
    expect(o.got.bytes, `echo of stream ${o.id}`).toBe(BYTES_PER_STREAM);
    expect(o.got.sha, `echo checksum of stream ${o.id}`).toBe(o.sent);
  }
  const echoedByGo = await peer.waitCount((e) => e.event === "echoed", STREAMS, "the Go side's echoes");
  expect(echoedByGo.map((e) => e.stream).sort((a, b) => a! - b!)).toEqual(ours.map((o) => o.id).sort((a, b) => a - b));
  for (const e of echoedByGo) expect(e.bytes).toBe(BYTES_PER_STREAM);

  // Go's streams: it checks that our echo matches what it sent.
  const done = await peer.waitFor((e) => e.event === "done", "the Go side to verify its streams");
  const verified = peer.events.filter((e) => e.event === "verified");
  expect(verified, peer.describe()).toHaveLength(STREAMS);
  for (const v of verified) {
    expect(v.ok, JSON.stringify(v)).toBe(true);
    expect(v.bytes).toBe(BYTES_PER_STREAM);
    expect(v.receivedSha).toBe(v.sentSha);
  }
  expect(done.ok, peer.describe()).toBe(true);
  expect(echoed).toHaveLength(STREAMS);
  await Promise.all(echoed);
  // Every stream closed both ways: nothing left in either session.
  expect(session.numStreams).toBe(0);

  await session.close();
  const code = await peer.exited;
  expect(code, peer.describe()).toBe(0);
  expect(peer.events.some((e) => e.event === "closed")).toBe(true);
}

describe.skipIf(skipGo)("yamux interop with github.com/hashicorp/yamux v0.1.2", () => {
  beforeAll(() => {
    const probe = spawnSync("go", ["version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
      throw new Error(
        "The yamux interop test needs the Go toolchain, but `go` was not found on PATH " +
          `(${probe.error?.message ?? probe.stderr}). Install Go (https://go.dev/dl/) or set RPCPLUGIN_SKIP_GO=1 to skip it.`,
      );
    }
    mkdirSync(binDir, { recursive: true });
    const build = spawnSync("go", ["build", "-o", peerBin, "./cmd/yamux-peer"], { cwd: goDir, encoding: "utf8" });
    if (build.status !== 0) {
      throw new Error(`go build ./cmd/yamux-peer failed (exit ${build.status}):\n${build.stderr}${build.error?.message ?? ""}`);
    }
  });

  it("TS client <-> Go server (go-plugin's host/plugin roles)", async () => {
    const sock = join(tempDir(), "peer.sock");
    const peer = new GoPeer(["-mode", "server", "-socket", sock, "-streams", String(STREAMS), "-bytes", String(BYTES_PER_STREAM)]);
    await peer.waitFor((e) => e.event === "listening", "the Go side to listen");
    const socket = net.connect(sock);
    await once(socket, "connect");
    const session = new YamuxSession(socket, { role: "client" });
    cleanups.push(() => session.destroy());
    await exchange(session, peer);
    // Go's server opened even ids, we opened odd ones.
    expect(peer.events.filter((e) => e.event === "verified").every((e) => e.stream! % 2 === 0)).toBe(true);
    expect(peer.events.filter((e) => e.event === "echoed").every((e) => e.stream! % 2 === 1)).toBe(true);
  });

  it("TS server <-> Go client", async () => {
    const sock = join(tempDir(), "ts.sock");
    const server = net.createServer();
    cleanups.push(() => server.close());
    server.listen(sock);
    await once(server, "listening");
    const connection = once(server, "connection") as Promise<[net.Socket]>;
    const peer = new GoPeer(["-mode", "client", "-socket", sock, "-streams", String(STREAMS), "-bytes", String(BYTES_PER_STREAM)]);
    const [socket] = await Promise.race([
      connection,
      peer.exited.then(() => {
        throw new Error(`Go peer exited before connecting\n${peer.describe()}`);
      }),
    ]);
    const session = new YamuxSession(socket, { role: "server" });
    cleanups.push(() => session.destroy());
    await exchange(session, peer);
    expect(peer.events.filter((e) => e.event === "verified").every((e) => e.stream! % 2 === 1)).toBe(true);
    expect(peer.events.filter((e) => e.event === "echoed").every((e) => e.stream! % 2 === 0)).toBe(true);
  });
});
