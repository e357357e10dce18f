/**
 * The TypeScript host of the benchmarks: the twin of
 * fixtures/go/cmd/benchhost. It launches a plugin with startPlugin, runs one
 * job and prints one JSON object `{metrics: {name: samples[]}, info}`.
 *
 *   node --expose-gc bench/dist/src/host.js <job> '<params json>'
 *
 * Jobs and parameters are those of the Go host (see its Params); bench/run.mjs
 * sends both the same. Every plugin it starts is closed before it exits.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
  addService,
  type CertificateCurve,
  createClient,
  generateCertificate,
  type PluginClient,
  type PluginClientContext,
  startPlugin,
} from "@rpcplugin/runtime";
import { PingPong, Test } from "../gen/grpctest/test_pb.js";
import { KV } from "../gen/kv_pb.js";
import { StreamerService } from "../gen/streamer_pb.js";
import { applyOptionOverrides, cpuMs, handshake, quantile, rssMiB, sizeName } from "./common.js";

interface Params {
  plugin: string;
  pluginEnv?: Record<string, string>;
  commands?: { name: string; argv: string[] }[];
  n?: number;
  configs?: { name: string; mtls: boolean; env?: Record<string, string>; enabled: boolean }[];
  warmMs?: number;
  durMs?: number;
  sizes?: number[];
  conc?: number[];
  streamMiB?: number;
  streamReps?: number;
  stdioMiB?: number;
  stdioReps?: number;
  brokerReps?: number;
  pings?: number;
  plugins?: number;
  settleMs?: number;
  calls?: number;
  checkpoints?: number;
  /** memcalls: stop after the segment that crosses this many seconds (the calls made are reported). */
  maxSeconds?: number;
  curves?: CertificateCurve[];
  /** Steady job: unmeasured unary calls (100 B, 16 in flight) for this long first, so that the JIT has settled. */
  jitWarmMs?: number;
  /** Phases of the steady job to run (default all): unary, stream, bidi, stdio, broker. */
  phases?: string[];
}

applyOptionOverrides();

const metrics: Record<string, number[]> = {};
const info: Record<string, unknown> = { nodeVersion: process.version };
function add(name: string, ...values: number[]): void {
  (metrics[name] ??= []).push(...values);
}
const ms = (t0: number) => performance.now() - t0;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Counts the bytes of the plugin's stdout (SyncStdout) and wakes waiters. */
class Counter {
  count = 0;
  private waiters: { target: number; resolve: () => void }[] = [];
  add(n: number): void {
    this.count += n;
    const ready = this.waiters.filter((w) => w.target <= this.count);
    this.waiters = this.waiters.filter((w) => w.target > this.count);
    for (const w of ready) w.resolve();
  }
  async waitFor(target: number, timeoutMs: number): Promise<void> {
    if (this.count >= target) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push({ target, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`stdout: ${this.count} of ${target} bytes after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}

const plugins = { bench: { client: (context: PluginClientContext) => context } };

interface Session {
  plugin: PluginClient<typeof plugins>;
  context: PluginClientContext;
  kv: ReturnType<typeof createClient<typeof KV>>;
  stdout: Counter;
}

/** Launch → handshake → TLS → health (startPlugin) → dispense: the cold-start path. */
async function start(p: Params, mtls: boolean, env: Record<string, string> | undefined): Promise<Session> {
  const stdout = new Counter();
  const plugin = await startPlugin({
    command: p.plugin,
    env: env ?? {},
    handshake,
    autoMTLS: mtls,
    plugins,
    syncStdout: (chunk) => stdout.add(chunk.length),
    onLog: () => undefined,
    startTimeoutMs: 30_000,
  });
  const context = plugin.dispense("bench");
  return { plugin, context, kv: createClient(KV, context.transport), stdout };
}

async function get(s: Session, size: number): Promise<void> {
  const { value } = await s.kv.get({ key: String(size) });
  if (value.length !== size) throw new Error(`get ${size}: got ${value.length} bytes`);
}

/** CPU ms of host and plugin together. */
const cpuBoth = (pid: number | undefined) => cpuMs() + (pid === undefined ? 0 : cpuMs(pid));

/**
 * Runs `call` from `conc` loops: warm-up, then a measured window. Calls/s, per-call µs at
 * conc 1, and host + plugin CPU µs per call over the window.
 */
async function runFor(
  conc: number,
  warmMs: number,
  durMs: number,
  call: () => Promise<void>,
  pid: number | undefined,
): Promise<{ tput: number; lat: number[]; cpuUs: number }> {
  let stop = false;
  let measuring = false;
  let done = 0;
  let failure: unknown;
  const lat: number[] = [];
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      try {
        await call();
      } catch (error) {
        failure ??= error;
        stop = true;
        return;
      }
      if (conc === 1 && measuring) lat.push((performance.now() - t0) * 1e3);
      done++;
    }
  };
  const workers = Array.from({ length: conc }, worker);
  await sleep(warmMs);
  measuring = true;
  const n0 = done;
  const t0 = performance.now();
  const cpu0 = cpuBoth(pid);
  await sleep(durMs);
  const n1 = done;
  const elapsed = ms(t0);
  const cpu = cpuBoth(pid) - cpu0;
  measuring = false;
  stop = true;
  await Promise.all(workers);
  if (failure) throw failure;
  lat.sort((a, b) => a - b);
  return { tput: (n1 - n0) / (elapsed / 1e3), lat, cpuUs: (cpu * 1e3) / Math.max(1, n1 - n0) };
}

/** A request stream fed one message at a time (for ping-pong over a bidi call). */
class Feed<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

const jobs: Record<string, (p: Params) => Promise<void>> = {
  /** spawn → exit of bare runtimes (node -e 0, a Go no-op binary); the first round warms the page cache. */
  async floor(p) {
    for (let i = 0; i <= (p.n ?? 5); i++) {
      for (const { name, argv } of p.commands ?? []) {
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) => {
          const child = spawn(argv[0] as string, argv.slice(1), { stdio: "ignore" });
          child.on("error", reject);
          child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`))));
        });
        if (i > 0) add(`floor.${name}`, ms(t0));
      }
    }
  },

  /** Cold start per config, round-robin, after one unmeasured start. */
  async coldstart(p) {
    let first = true;
    for (let i = 0; i < (p.n ?? 3); i++) {
      for (const c of p.configs ?? []) {
        if (!c.enabled) continue;
        const t0 = performance.now();
        const s = await start(p, c.mtls, c.env);
        try {
          await get(s, 100);
        } finally {
          const d = ms(t0);
          await s.plugin.close();
          if (!first) add(`cold.${c.name}`, d);
        }
        if (first) {
          first = false;
          i--;
          break;
        }
      }
    }
  },

  /** One plugin (AutoMTLS on): unary, streaming, bidi, stdio and broker phases. */
  async steady(p) {
    const s = await start(p, true, p.pluginEnv);
    try {
      const warm = p.warmMs ?? 100;
      const dur = p.durMs ?? 300;
      const phase = (name: string) => !p.phases || p.phases.includes(name);
      if (p.jitWarmMs) {
        // Reported too: what a fresh process gets before the JIT has settled.
        const cold = await runFor(16, 0, p.jitWarmMs, () => get(s, 100), s.plugin.pid);
        add("unary.coldjit.tput", cold.tput);
        add("unary.coldjit.cpu", cold.cpuUs);
      }
      for (const size of phase("unary") ? (p.sizes ?? []) : []) {
        const key = String(size);
        const call = async () => {
          const { value } = await s.kv.get({ key });
          if (value.length !== size) throw new Error(`got ${value.length} bytes`);
        };
        for (const c of p.conc ?? []) {
          const { tput, lat, cpuUs } = await runFor(c, warm, dur, call, s.plugin.pid);
          add(`unary.tput.c${c}.${sizeName(size)}`, tput);
          add(`unary.cpu.c${c}.${sizeName(size)}`, cpuUs);
          if (c === 1) {
            add(`unary.p50.${sizeName(size)}`, quantile(lat, 0.5));
            add(`unary.p99.${sizeName(size)}`, quantile(lat, 0.99));
          }
        }
      }

      const st = createClient(StreamerService, s.context.transport);
      const chunk = 64 * 1024;
      const buf = Buffer.alloc(chunk, "w");
      for (let i = 0; phase("stream") && i <= (p.streamReps ?? 2); i++) {
        const n = i === 0 ? 4 << 20 : (p.streamMiB ?? 32) << 20;
        await st.configure({ path: String(n), chunkSize: BigInt(chunk) });
        const pid = s.plugin.pid;
        let t0 = performance.now();
        let cpu0 = cpuBoth(pid);
        let got = 0;
        for await (const m of st.read({})) got += m.readBytes.length;
        if (got !== n) throw new Error(`server stream: ${got} of ${n} bytes`);
        if (i > 0) {
          add("stream.server", n / 1e6 / (ms(t0) / 1e3));
          add("stream.server.cpu", (cpuBoth(pid) - cpu0) / (n / 1e6));
        }

        t0 = performance.now();
        cpu0 = cpuBoth(pid);
        await st.write(
          (function* () {
            for (let left = n; left > 0; left -= chunk) yield { bytesToWrite: left < chunk ? buf.subarray(0, left) : buf };
          })(),
        );
        if (i > 0) {
          add("stream.client", n / 1e6 / (ms(t0) / 1e3));
          add("stream.client.cpu", (cpuBoth(pid) - cpu0) / (n / 1e6));
        }
      }

      const test = createClient(Test, s.context.transport);
      if (phase("bidi")) {
        const feed = new Feed<{ Input: number }>();
        const responses = test.stream(feed)[Symbol.asyncIterator]();
        let seq = 0;
        const { lat, cpuUs } = await runFor(
          1,
          warm,
          dur,
          async () => {
            seq++;
            feed.push({ Input: seq });
            const r = await responses.next();
            if (r.done || r.value.Output !== seq) throw new Error(`bidi: sent ${seq}, got ${r.done ? "end" : r.value.Output}`);
          },
          s.plugin.pid,
        );
        add("bidi.cpu", cpuUs);
        feed.end();
        await responses.return?.();
        add("bidi.p50", quantile(lat, 0.5));
        add("bidi.p99", quantile(lat, 0.99));
      }

      for (let i = 0; phase("stdio") && i <= (p.stdioReps ?? 2); i++) {
        const n = i === 0 ? 1 << 20 : (p.stdioMiB ?? 8) << 20;
        const target = s.stdout.count + n;
        const t0 = performance.now();
        await s.kv.get({ key: `stdout:${n}` });
        await s.stdout.waitFor(target, 60_000);
        if (i > 0) add("stdio", n / 1e6 / (ms(t0) / 1e3));
      }

      const broker = s.context.broker;
      for (let i = 0; phase("broker") && i <= (p.brokerReps ?? 3); i++) {
        const t0 = performance.now();
        const id = broker.nextId();
        const server = await broker.acceptAndServe(id, (srv) => addService(srv, PingPong, { ping: () => ({ msg: "pong" }) }));
        try {
          await test.bidirectional({ id });
          const open = ms(t0);
          const { value } = await s.kv.get({ key: `broker:rtt:${p.pings ?? 200}` });
          const rtt = JSON.parse(Buffer.from(value).toString()) as { p50Ns: number };
          if (i > 0) {
            add("broker.open", open);
            add("broker.rtt.p50", rtt.p50Ns / 1e3);
          }
        } finally {
          await server.close();
        }
      }
    } finally {
      await s.plugin.close();
    }
  },

  /** Host RSS per running plugin, and the idle plugin's RSS. */
  async memidle(p) {
    const warm = await start(p, true, p.pluginEnv);
    await get(warm, 100).finally(() => warm.plugin.close());
    gc();
    await sleep(100);
    const rss0 = rssMiB();
    const sessions: Session[] = [];
    try {
      for (let i = 0; i < (p.plugins ?? 3); i++) {
        const s = await start(p, true, p.pluginEnv);
        sessions.push(s);
        await get(s, 100);
      }
      await sleep(p.settleMs ?? 300);
      gc();
      const rss1 = rssMiB();
      add("mem.hostPerPlugin", (rss1 - rss0) / sessions.length);
      for (const s of sessions) add("mem.pluginIdle", rssMiB(s.plugin.pid));
    } finally {
      await Promise.all(sessions.map((s) => s.plugin.close()));
    }
  },

  /** RSS (and live heap after a full GC) of plugin and host over many unary calls (100 B, conc[0] in flight, default 16). */
  async memcalls(p) {
    const s = await start(p, true, p.pluginEnv);
    try {
      const calls = p.calls ?? 50_000;
      const checkpoints = p.checkpoints ?? 4;
      const segment = Math.floor(calls / checkpoints);
      const series: { calls: number; pluginMiB: number; pluginHeapMiB: number; hostMiB: number; hostHeapMiB: number }[] = [];
      let done = 0;
      let t0 = performance.now();
      const deadline = performance.now() + (p.maxSeconds ?? Number.POSITIVE_INFINITY) * 1e3;
      for (let seg = 0; seg <= checkpoints && performance.now() < deadline; seg++) {
        const n = seg === 0 ? Math.floor(segment / 5) : segment;
        let next = 0;
        await Promise.all(
          Array.from({ length: p.conc?.[0] ?? 16 }, async () => {
            while (++next <= n) await s.kv.get({ key: "100" });
          }),
        );
        done += n;
        if (seg === 0) t0 = performance.now();
        const { value } = await s.kv.get({ key: "mem" });
        const plugin = JSON.parse(Buffer.from(value).toString()) as { rssMiB: number; heapMiB: number };
        const hostMiB = rssMiB();
        gc();
        const { heapUsed, external } = process.memoryUsage();
        series.push({ calls: done, pluginMiB: plugin.rssMiB, pluginHeapMiB: plugin.heapMiB, hostMiB, hostHeapMiB: (heapUsed + external) / 2 ** 20 });
      }
      const first = series[0] as (typeof series)[number];
      const last = series[series.length - 1] as (typeof series)[number];
      add("memcalls.pluginStart", first.pluginMiB);
      add("memcalls.pluginEnd", last.pluginMiB);
      add("memcalls.pluginGrowth", last.pluginMiB - first.pluginMiB);
      add("memcalls.hostStart", first.hostMiB);
      add("memcalls.hostEnd", last.hostMiB);
      add("memcalls.hostGrowth", last.hostMiB - first.hostMiB);
      add("memcalls.pluginHeapGrowth", last.pluginHeapMiB - first.pluginHeapMiB);
      add("memcalls.hostHeapGrowth", last.hostHeapMiB - first.hostHeapMiB);
      add("memcalls.tput", (last.calls - first.calls) / (ms(t0) / 1e3));
      add("memcalls.calls", last.calls);
      info.memcallsSeries = series;
    } finally {
      await s.plugin.close();
    }
  },

  /** generateCertificate per curve. */
  async certgen(p) {
    for (const curve of p.curves ?? []) {
      for (let i = 0; i <= (p.n ?? 10); i++) {
        const t0 = performance.now();
        generateCertificate({ curve });
        if (i > 0) add(`certgen.${curve}`, ms(t0));
      }
    }
  },
};

const [jobName = "", paramsText = "{}"] = process.argv.slice(2);
const job = jobs[jobName];
if (!job) {
  process.stderr.write(`bench host: unknown job ${JSON.stringify(jobName)} (${Object.keys(jobs).join(", ")})\n`);
  process.exit(2);
}
try {
  await job(JSON.parse(paramsText) as Params);
} catch (error) {
  process.stderr.write(`bench host: ${jobName}: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ metrics, info })}\n`, () => process.exit(0));
