// Soak: the lifecycle run many times on purpose, with processes killed on purpose. A short
// version runs in `npm test`; `npm run soak` runs the counts below for real (bounded in time too)
// and writes the figures to .cache/soak-results.json and the test output:
//
//   cycles      start → put → close, TS→TS and TS→Go; open fds, child processes, socket files,
//               host RSS and heap sampled ten times: they must not grow
//   crowd       64 plugins running at once from one host, all called concurrently
//   host-kill   a host SIGKILLed in the middle of calls: every plugin gone within a bound, no socket
//   plugin-kill a plugin SIGKILLed mid-stream: the caller gets an error naming the exit, no hang
//   stopped     a plugin that stops reading (SIGSTOP, full socket buffers): the call's deadline
//               fires, close() still reclaims the process and its socket
//
// Heap figures are after a full GC when the worker has one (`npm run soak` passes --expose-gc).
// Counts and time limits (full / short): SOAK=full selects the first; SOAK_CYCLES, SOAK_SECONDS
// (per cycling side) and SOAK_KILLS change them.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Code, clientPlugin, type PluginClient, RpcError, startPlugin } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StreamerService } from "../examples/go-plugin/gen/streamer/streamer_pb.js";
import { examplePlugin, fixturePlugin, handshake, kvPlugins, repoRoot, socketsIn, tempDir, waitProcessGone } from "./fixture.js";
import { buildGo, goSkipped } from "./support/go.js";
import { isProcessGone, listProcesses, waitForProcessGone } from "./support/process.js";

const full = process.env.SOAK === "full";
const LIMITS = {
  ...(full
    ? { cycles: 10_000, cycleSeconds: 900, crowd: 64, kills: 100, killSeconds: 600 }
    : { cycles: 20, cycleSeconds: 60, crowd: 8, kills: 3, killSeconds: 60 }),
  ...(process.env.SOAK_CYCLES ? { cycles: Number(process.env.SOAK_CYCLES) } : {}),
  ...(process.env.SOAK_SECONDS ? { cycleSeconds: Number(process.env.SOAK_SECONDS) } : {}),
  ...(process.env.SOAK_KILLS ? { kills: Number(process.env.SOAK_KILLS) } : {}),
};
// Each test stops itself at its own bound; the timeout only catches a hang beyond it.
const TIMEOUT_MS = (Math.max(LIMITS.cycleSeconds, LIMITS.killSeconds) + (full ? 300 : 60)) * 1000;

const figures: Record<string, unknown> = { mode: full ? "full" : "short", limits: LIMITS };
const dir = tempDir("rpcplugin-soak-");
let goKv: string | undefined;

beforeAll(async () => {
  if (!goSkipped()) goKv = await buildGo("kvplugin", "./cmd/kvplugin");
}, 300_000);

afterAll(() => {
  dir.cleanup();
  mkdirSync(path.join(repoRoot, ".cache"), { recursive: true });
  writeFileSync(path.join(repoRoot, ".cache", "soak-results.json"), `${JSON.stringify(figures, null, 1)}\n`);
  console.log(`soak figures (${figures.mode}):\n${JSON.stringify(figures, null, 1)}`);
});

const childrenOfThisProcess = () => listProcesses().filter((p) => p.ppid === process.pid && p.state !== "Z").length;
const openFds = () => readdirSync("/proc/self/fd").length;
const openConnections = () =>
  (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().filter((h) => h.constructor.name === "TLSSocket").length;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface Sample {
  cycle: number;
  fds: number;
  children: number;
  sockets: number;
  /** Connections the host holds open (TLS sockets among its handles). */
  connections: number;
  rssMiB: number;
  heapMiB: number;
}

function sample(cycle: number, socketDir: string): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  return {
    cycle,
    fds: openFds(),
    children: childrenOfThisProcess(),
    sockets: socketsIn(socketDir).length,
    connections: openConnections(),
    rssMiB: mib(memory.rss),
    heapMiB: mib(memory.heapUsed),
  };
}

describe("soak", () => {
  for (const side of ["TS→TS", "TS→Go"] as const) {
    it(
      `${side}: start/put/close cycles leave fds, processes, sockets and memory flat`,
      async (context) => {
        if (side === "TS→Go" && goKv === undefined) context.skip(); // goSkipped(): RPCPLUGIN_SKIP_GO=1, said loudly by the Go suites
        const command = side === "TS→TS" ? fixturePlugin : (goKv as string);
        const socketDir = path.join(dir.path, side === "TS→TS" ? "ts" : "go");
        mkdirSync(socketDir, { recursive: true });
        const samples: Sample[] = [];
        const every = Math.max(1, Math.floor(LIMITS.cycles / 10));
        const deadline = Date.now() + LIMITS.cycleSeconds * 1000;
        const started = Date.now();
        // Ten samples whichever bound ends the run: by count, or by time.
        const sampleEveryMs = (LIMITS.cycleSeconds * 1000) / 10;
        let nextSampleAt = started + sampleEveryMs;
        let cycle = 0;
        // A first cycle warms the host (modules, JIT) before the baseline.
        for (; cycle <= LIMITS.cycles && Date.now() < deadline; cycle++) {
          const client = await startPlugin({ command, handshake, plugins: kvPlugins, unixSocketDir: socketDir, onLog: () => {} });
          await client.dispense("kv_grpc").put({ key: "k", value: Buffer.from(String(cycle)) });
          await client.close();
          if (cycle === 1 || cycle % every === 0 || Date.now() >= nextSampleAt) {
            samples.push(sample(cycle, socketDir));
            nextSampleAt = Date.now() + sampleEveryMs;
          }
        }
        const done = cycle - 1;
        const last = sample(done, socketDir);
        samples.push(last);
        const first = samples[0] as Sample;
        figures[`cycles ${side}`] = {
          cycles: done,
          seconds: Math.round((Date.now() - started) / 100) / 10,
          msPerCycle: Math.round(((Date.now() - started) / Math.max(1, done)) * 10) / 10,
          fds: `${first.fds} → ${last.fds}`,
          connections: `${first.connections} → ${last.connections}`,
          rssMiB: `${first.rssMiB} → ${last.rssMiB}`,
          heapMiB: `${first.heapMiB} → ${last.heapMiB}`,
          samples,
        };
        expect(last.children).toBe(0);
        expect(last.sockets).toBe(0);
        // Flat: what a cycle opens, it closes (a few fds of slack for the event loop's own handles).
        expect(last.fds - first.fds).toBeLessThanOrEqual(4);
        // Exactly: the fd slack above hid one connection left open in four TS→Go cycles for a while.
        expect(last.connections).toBe(first.connections);
        if (full) expect(last.heapMiB - first.heapMiB).toBeLessThan(20);
      },
      TIMEOUT_MS,
    );
  }

  it(
    `${LIMITS.crowd} plugins at once from one host, all called concurrently, then all closed`,
    async () => {
      const socketDir = path.join(dir.path, "crowd");
      mkdirSync(socketDir, { recursive: true });
      const started = Date.now();
      const clients = await Promise.all(
        Array.from({ length: LIMITS.crowd }, () =>
          startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins, unixSocketDir: socketDir, onLog: () => {} }),
        ),
      );
      const startedAll = Date.now();
      try {
        expect(new Set(clients.map((c) => c.pid)).size).toBe(LIMITS.crowd);
        await Promise.all(
          clients.map(async (client, i) => {
            const kv = client.dispense("kv_grpc");
            for (let round = 0; round < 5; round++) await kv.put({ key: `k${round}`, value: Buffer.from(`${i}`) });
            expect(Buffer.from((await kv.get({ key: "k4" })).value).toString()).toContain(String(i));
          }),
        );
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
      figures.crowd = { plugins: LIMITS.crowd, startAllMs: startedAll - started, totalMs: Date.now() - started, hostRssMiB: mib(process.memoryUsage().rss) };
      for (const client of clients) expect(isProcessGone(client.pid as number)).toBe(true);
      expect(socketsIn(socketDir)).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    "a host SIGKILLed in the middle of calls: its plugins are gone within a bound, their sockets removed",
    async () => {
      const socketDir = path.join(dir.path, "host-kill");
      mkdirSync(socketDir, { recursive: true });
      const script = `
      import { startPlugin, clientPlugin } from "@rpcplugin/runtime";
      import { KV } from "./examples/go-plugin/dist/gen/kv/kv_pb.js";
      const plugins = await Promise.all([1, 2].map(() => startPlugin({ command: ${JSON.stringify(fixturePlugin)}, handshake: ${JSON.stringify(handshake)}, plugins: { kv_grpc: clientPlugin(KV) }, stdin: "ignore", onLog: () => {} })));
      process.stdout.write(plugins.map((p) => p.pid).join(",") + "\\n");
      for (;;) await Promise.all(plugins.map((p) => p.dispense("kv_grpc").put({ key: "busy", value: new Uint8Array(1024) })));
    `;
      const gone: number[] = [];
      const deadline = Date.now() + LIMITS.killSeconds * 1000;
      for (let i = 0; i < LIMITS.kills && Date.now() < deadline; i++) {
        const host = spawn(process.execPath, ["--input-type=module", "-e", script], {
          cwd: repoRoot,
          stdio: ["ignore", "pipe", "inherit"],
          env: { ...process.env, TMPDIR: socketDir },
        });
        const pids = await new Promise<number[]>((resolve, reject) => {
          host.stdout.once("data", (data: Buffer) => resolve(data.toString().trim().split(",").map(Number)));
          host.once("exit", (code) => reject(new Error(`the host exited (${code}) before starting its plugins`)));
        });
        await new Promise((resolve) => setTimeout(resolve, 50)); // calls in flight
        const killedAt = Date.now();
        host.kill("SIGKILL");
        // Gone = exited (a zombie waiting for init to reap it runs nothing and holds no socket).
        for (const pid of pids) expect(await waitForProcessGone(pid, 15_000), `plugin ${pid} outlived its host`).toBe(true);
        gone.push(Date.now() - killedAt);
        expect(socketsIn(socketDir)).toEqual([]);
      }
      figures["host-kill"] = { kills: gone.length, msUntilPluginsGone: { median: median(gone), max: Math.max(...gone) } };
      expect(gone.length).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    "a plugin SIGKILLed mid-stream: the caller's stream fails naming the exit, no hang",
    async () => {
      const file = path.join(dir.path, "stream.bin");
      writeFileSync(file, Buffer.alloc(4 * 2 ** 20, 7));
      const errors: string[] = [];
      const deadline = Date.now() + LIMITS.killSeconds * 1000;
      for (let i = 0; i < LIMITS.kills && Date.now() < deadline; i++) {
        const client: PluginClient<{ streamer: ReturnType<typeof clientPlugin<typeof StreamerService>> }> = await startPlugin({
          command: examplePlugin("streamer"),
          handshake,
          plugins: { streamer: clientPlugin(StreamerService) },
          onLog: () => {},
        });
        try {
          const streamer = client.dispense("streamer");
          await streamer.configure({ path: file, chunkSize: 1024n });
          let chunks = 0;
          const error = await (async () => {
            for await (const _ of streamer.read({}, { timeoutMs: 30_000 })) {
              if (++chunks === 10) process.kill(client.pid as number, "SIGKILL");
            }
          })().then(
            () => undefined,
            (caught: unknown) => caught,
          );
          expect(error).toBeInstanceOf(RpcError);
          expect((error as RpcError).code).not.toBe(Code.DEADLINE_EXCEEDED);
          expect((error as Error).message).toMatch(/exited|SIGKILL/);
          errors.push((error as Error).message);
        } finally {
          await client.close();
        }
        expect(await waitProcessGone(client.pid)).toBe(true);
      }
      figures["plugin-kill"] = { kills: errors.length, firstError: errors[0] };
    },
    TIMEOUT_MS,
  );

  it(
    "a plugin that stops reading (SIGSTOP, buffers full): the deadline fires, close() reclaims it",
    async () => {
      const socketDir = path.join(dir.path, "stopped");
      mkdirSync(socketDir, { recursive: true });
      const client = await startPlugin({ command: fixturePlugin, handshake, plugins: kvPlugins, unixSocketDir: socketDir, killGraceMs: 1000, onLog: () => {} });
      const pid = client.pid as number;
      let closeMs = Number.NaN;
      try {
        const kv = client.dispense("kv_grpc");
        await kv.put({ key: "k", value: Buffer.from("v") });
        process.kill(pid, "SIGSTOP");
        const big = new Uint8Array(4 * 2 ** 20);
        const results = await Promise.allSettled(Array.from({ length: 4 }, () => kv.put({ key: "big", value: big }, { timeoutMs: 2000 })));
        for (const result of results) {
          expect(result.status).toBe("rejected");
          expect(((result as PromiseRejectedResult).reason as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
        }
      } finally {
        const t0 = Date.now();
        await client.close();
        closeMs = Date.now() - t0;
      }
      expect(await waitProcessGone(pid, 10_000)).toBe(true);
      expect(socketsIn(socketDir)).toEqual([]);
      figures.stopped = { closeMs, exit: client.exit };
    },
    TIMEOUT_MS,
  );
});
