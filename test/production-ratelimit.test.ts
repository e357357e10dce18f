// Rate limiting through a real plugin process: a method offered calls at twice
// its allowed rate admits what the token bucket's arithmetic allows (bounds
// computed from the measured send/answer times, not guessed), answers the rest
// RESOURCE_EXHAUSTED with a retry hint, and the plugin's health checks keep
// passing throughout. With the bucket empty, the lifecycle services (stdio,
// broker, health, controller) still do their work.
import { join } from "node:path";
import { addService, Code, type PluginClient, type PluginSet, RpcError, retryDelayMs, ServingStatus, startPlugin } from "@rpcplugin/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { AddHelper } from "../examples/go-plugin/gen/counter/counter_pb.js";
import { CounterPlugin } from "../examples/go-plugin/gen/counter/counter_rpcplugin.js";
import { collector, eventually, handshake, kvPlugins, repoRoot } from "./fixture.js";

const plugin = join(repoRoot, "fixtures", "ts-plugin", "ratelimit-plugin.mjs");
const counterPlugin = join(repoRoot, "fixtures", "ts-plugin", "ratelimit-counter-plugin.mjs");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<P extends PluginSet>(client: PluginClient<P>): PluginClient<P> {
  cleanups.push(() => client.close());
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** What a call failed with, or undefined if it did not fail. */
function refusal(call: Promise<unknown>): Promise<RpcError | undefined> {
  return call.then(
    () => undefined,
    (error: unknown) => error as RpcError,
  );
}

interface Outcome {
  sent: number;
  answered: number;
  admitted: boolean;
  error?: RpcError;
}

describe("rate limiting (real plugin process)", () => {
  it("2× the allowed rate: the admitted share follows the bucket's arithmetic; health checks keep passing", async () => {
    const rate = 20; // calls per second
    const burst = 4;
    const calls = 80;
    const interval = 1000 / (2 * rate);
    const path = "/proto.KV/Put";
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        env: { FIXTURE_METHOD_LIMITS: JSON.stringify({ [path]: { ratePerSecond: rate, burst } }) },
        onLog: () => {},
      }),
    );
    const kv = client.dispense("kv_grpc");

    let loading = true;
    let healthChecks = 0;
    const healthFailures: unknown[] = [];
    const checking = (async () => {
      while (loading) {
        try {
          await client.ping({ timeoutMs: 5000 });
          expect(await client.health({ timeoutMs: 5000 })).toBe(1);
          healthChecks++;
        } catch (error) {
          healthFailures.push(error);
        }
        await sleep(10);
      }
    })();

    const outcomes: Outcome[] = [];
    const start = performance.now();
    for (let call = 0; call < calls; call++) {
      await sleep(start + call * interval - performance.now());
      const sent = performance.now();
      try {
        await kv.put({ key: "k", value: Buffer.from(String(call)) });
        outcomes.push({ sent, answered: performance.now(), admitted: true });
      } catch (error) {
        outcomes.push({ sent, answered: performance.now(), admitted: false, error: error as RpcError });
      }
      // An unlimited method of the same service passes whatever Put's bucket says.
      if (call % 10 === 0 && call > 0) expect((await kv.get({ key: "k" })).value.length).toBeGreaterThan(0);
    }
    loading = false;
    await checking;

    const refused = outcomes.filter((outcome) => !outcome.admitted);
    for (const { error } of refused) {
      expect(error).toBeInstanceOf(RpcError);
      expect(error?.code).toBe(Code.RESOURCE_EXHAUSTED);
      expect(error?.rawMessage).toMatch(new RegExp(`^the rate limit of /proto\\.KV/Put \\(${rate} calls/s, burst ${burst}\\) is exceeded: retry in \\d+ ms$`));
      const hint = retryDelayMs(error as RpcError) as number;
      expect(hint).toBeGreaterThan(0);
      expect(hint).toBeLessThanOrEqual(1000 / rate);
    }

    // Call i reached the plugin at some a_i in [sent_i, answered_i]. The bucket was full (burst) at a_1
    // and gained rate × (a_j - a_1) tokens by a_j, less what the cap threw away (with burst ≥ 2, at most
    // rate × gap - 1 per gap between arrivals); each admitted call took one.
    const admitted = outcomes.filter((outcome) => outcome.admitted).length;
    const first = outcomes[0] as Outcome;
    const last = outcomes[calls - 1] as Outcome;
    const seconds = (ms: number) => ms / 1000;
    // Upper bound: no more than the tokens supplied over the longest possible span.
    expect(admitted).toBeLessThanOrEqual(Math.floor(burst + rate * seconds(last.answered - first.sent)));
    // Lower bound, at the last refused call k: its bucket held < 1 token, so the calls up to k took
    // more than burst + rate × (a_k - a_1) - lost - 1 tokens; every call after k was admitted.
    const k = outcomes.findLastIndex((outcome) => !outcome.admitted);
    expect(k).toBeGreaterThan(0);
    let lost = 0;
    for (let index = 0; index < k; index++) {
      const longestGap = (outcomes[index + 1] as Outcome).answered - (outcomes[index] as Outcome).sent;
      lost += Math.max(0, rate * seconds(longestGap) - 1);
    }
    const admittedUpToK = outcomes.slice(0, k + 1).filter((outcome) => outcome.admitted).length;
    expect(admittedUpToK).toBeGreaterThan(burst + rate * seconds((outcomes[k] as Outcome).sent - first.answered) - lost - 1);
    // With arrivals at twice the rate the refused share is about a half (the burst and the ends aside).
    console.log(
      `rate limit e2e: ${admitted}/${calls} admitted over ${Math.round(last.answered - first.sent)} ms (bucket allows ≤ ${Math.floor(burst + rate * seconds(last.answered - first.sent))}); ` +
        `cap loss bound ${lost.toFixed(2)}; ${healthChecks} health checks passed`,
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(healthFailures).toEqual([]);
    expect(healthChecks).toBeGreaterThan(0);
  });

  it("a global limit from PLUGIN_RATE_LIMIT / PLUGIN_RATE_BURST: the burst passes, then RESOURCE_EXHAUSTED naming the global limit", async () => {
    const client = track(
      await startPlugin({
        command: plugin,
        handshake,
        plugins: kvPlugins,
        env: { PLUGIN_RATE_LIMIT: "0.2", PLUGIN_RATE_BURST: "2" },
        onLog: () => {},
      }),
    );
    const kv = client.dispense("kv_grpc");
    await kv.put({ key: "a", value: Buffer.from("1") });
    await kv.get({ key: "a" });
    const error = await kv.get({ key: "a" }).then(
      () => undefined,
      (caught: unknown) => caught as RpcError,
    );
    expect(error?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(error?.rawMessage).toMatch(/^the plugin's global rate limit \(0\.2 calls\/s, burst 2\) is exceeded: retry in \d+ ms$/);
    // A token comes back every 5 s: the hint is at most that.
    expect(retryDelayMs(error as RpcError)).toBeGreaterThan(0);
    expect(retryDelayMs(error as RpcError)).toBeLessThanOrEqual(5000);
    expect(error?.metadata.get("grpc-status-details-bin")).toHaveLength(1);
    // The lifecycle services are not limited.
    for (let check = 0; check < 10; check++) await client.ping();
  });

  it("with the global bucket empty, stdio still forwards, the broker still opens a callback, health passes and Shutdown stops the plugin with exit code 0", async () => {
    // One token, and the next one 1000 s away: after the first application call nothing refills it
    // during the test. Were the lifecycle services limited, the start's own health check, stdio and
    // broker streams would take that token, or a call below would be refused.
    const output = collector();
    const client = track(
      await startPlugin({
        command: counterPlugin,
        handshake,
        plugins: { counter: CounterPlugin },
        env: { PLUGIN_RATE_LIMIT: "0.001", PLUGIN_RATE_BURST: "1" },
        ...output.options,
      }),
    );
    const counter = client.dispense("counter");
    const exhausted = /^the plugin's global rate limit \(0\.001 calls\/s, burst 1\) is exceeded: retry in \d+ ms$/;

    // The only token goes to a Put, whose handler then waits for the host's AddHelper on broker id `id`.
    const id = client.broker.nextId();
    const put = counter.put({ addServer: id, key: "c", value: 2n });
    put.catch(() => {}); // awaited below; do not let an early failure go unhandled meanwhile
    expect(await eventually(() => output.stdout().includes("put c received\n")), "the Put was admitted and its handler's stdout forwarded").toBe(true);

    // The bucket is empty: the next application call is refused.
    const refused = await refusal(counter.get({ key: "c" }));
    expect(refused?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(refused?.rawMessage).toMatch(exhausted);

    // Broker: served only now, the AddHelper is dialled by the plugin and called back.
    const sums: [bigint, bigint][] = [];
    const helper = await client.broker.acceptAndServe(id, (server) =>
      addService(server, AddHelper, {
        sum: ({ a, b }) => {
          sums.push([a, b]);
          return { r: a + b };
        },
      }),
    );
    try {
      await put;
    } finally {
      await helper.close();
    }
    expect(sums).toEqual([[0n, 2n]]);

    // Stdio: what the plugin wrote after the refusal reaches the host.
    expect(await eventually(() => output.stdout().includes("put c = 2\n")), "stdout forwarded").toBe(true);
    expect(await eventually(() => output.stderr().includes("put c = 2\n")), "stderr forwarded").toBe(true);
    expect(output.stdout()).toBe("put c received\nput c = 2\n");

    // Health: go-plugin's liveness check and the application's status both answer.
    for (let check = 0; check < 5; check++) await client.ping();
    expect(await client.health()).toBe(ServingStatus.SERVING);

    // Still empty (the lifecycle calls took nothing), and Shutdown stops the plugin cleanly:
    // a refused Shutdown would leave it running until close() kills it (SIGKILL, no exit code).
    expect((await refusal(counter.get({ key: "c" })))?.rawMessage).toMatch(exhausted);
    await client.close();
    expect(client.exit).toEqual({ code: 0, signal: null });
  });

  it("a per-method limit naming a method the plugin does not serve fails the start, naming it", async () => {
    const error = await startPlugin({
      command: plugin,
      handshake,
      plugins: kvPlugins,
      env: { FIXTURE_METHOD_LIMITS: JSON.stringify({ "/proto.KV/Delete": { ratePerSecond: 1, burst: 1 } }) },
      onLog: () => {},
    }).then(
      (client) => {
        track(client);
        return undefined;
      },
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(
      /rateLimit.methods names \/proto.KV\/Delete, which this plugin does not serve \(served methods: \/proto.KV\/Get, \/proto.KV\/Put\)/,
    );
  });
});
