import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { HealthClient } from "../gen/grpc/health/v1/health_rpcplugin.js";
import { createClient } from "../rpc/client.js";
import { Code } from "../rpc/code.js";
import { RpcError } from "../rpc/errors.js";
import { addService, useInterceptors } from "../rpc/server.js";
import { EchoService } from "../rpc/testdata/gen/echo_pb.js";
import { Health, HealthState } from "../services/health.js";
import { checkRateLimitMethods, decodeRetryDelayMs, encodeRetryStatus, rateLimitInterceptor, retryDelayMs, TokenBucket } from "./rate-limit.js";

/** A clock the test moves by hand. */
function manualClock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("TokenBucket", () => {
  it("starts full: `burst` calls pass at once, the next waits 1/rate", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 }, clock.now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([0, 0, 0]);
    expect(bucket.tryTake()).toBe(100);
    clock.advance(40);
    expect(bucket.tryTake()).toBe(60);
    clock.advance(60);
    expect(bucket.tryTake()).toBe(0);
    expect(bucket.tryTake()).toBe(100);
  });

  it("refills at `rate` per second but never above `burst`", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2 }, clock.now);
    bucket.tryTake();
    bucket.tryTake();
    clock.advance(60_000);
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([0, 0]);
    expect(bucket.tryTake()).toBe(500);
  });

  it("admits exactly burst + rate × T calls offered at twice the rate", () => {
    const clock = manualClock();
    const rate = 20;
    const burst = 4;
    const bucket = new TokenBucket({ ratePerSecond: rate, burst }, clock.now);
    let passed = 0;
    const calls = 200;
    const interval = 1000 / (2 * rate);
    for (let call = 0; call < calls; call++) {
      if (bucket.tryTake() === 0) passed++;
      clock.advance(interval);
    }
    // Arrivals span (calls - 1) intervals; the bucket refills rate × that time.
    const elapsedSeconds = ((calls - 1) * interval) / 1000;
    expect(passed).toBe(Math.floor(burst + rate * elapsedSeconds));
  });

  it("ignores a clock that goes backwards", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, clock.now);
    bucket.tryTake();
    clock.advance(-5000);
    expect(bucket.tryTake()).toBe(1000);
  });

  it("refuses nonsense limits with a ConfigError naming the value", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond is 0: it must be a number of calls per second greater than 0/);
    expect(() => new TokenBucket({ ratePerSecond: Number.NaN, burst: 1 })).toThrow(ConfigError);
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0.5 })).toThrow(/burst is 0.5: it must be a whole number of calls, at least 1/);
  });
});

describe("retry hints", () => {
  it("round-trips google.rpc.RetryInfo inside google.rpc.Status", () => {
    for (const ms of [0, 1, 999, 1000, 1500, 123_456]) {
      expect(decodeRetryDelayMs(encodeRetryStatus(Code.RESOURCE_EXHAUSTED, "x", ms))).toBe(ms);
    }
  });

  it("encodes the status code and message a google.rpc.Status reader expects", () => {
    const bytes = encodeRetryStatus(Code.RESOURCE_EXHAUSTED, "slow down", 250);
    // field 1 varint 8; field 2 "slow down"
    expect([...bytes.subarray(0, 4)]).toEqual([0x08, 8, 0x12, 9]);
    expect(bytes.subarray(4, 13).toString()).toBe("slow down");
    expect(bytes.includes(Buffer.from("type.googleapis.com/google.rpc.RetryInfo"))).toBe(true);
  });

  it("reads retry-after-ms first, then RetryInfo, else nothing", () => {
    expect(retryDelayMs(new RpcError("x", Code.RESOURCE_EXHAUSTED, { metadata: { "retry-after-ms": "42" } }))).toBe(42);
    const details = encodeRetryStatus(Code.RESOURCE_EXHAUSTED, "x", 1500);
    expect(retryDelayMs(new RpcError("x", Code.RESOURCE_EXHAUSTED, { metadata: { "grpc-status-details-bin": details } }))).toBe(1500);
    expect(retryDelayMs(new RpcError("x", Code.RESOURCE_EXHAUSTED))).toBeUndefined();
    expect(retryDelayMs(new RpcError("x", Code.RESOURCE_EXHAUSTED, { metadata: { "grpc-status-details-bin": Buffer.from([0xff]) } }))).toBeUndefined();
  });
});

describe("options checks", () => {
  it("refuses a method key that is not a method path", () => {
    for (const key of ["KV.Put", "/kv.KV.Put", "/kv.KV/Put/", "kv.KV/Put"]) {
      expect(() => rateLimitInterceptor({ methods: { [key]: { ratePerSecond: 1, burst: 1 } } })).toThrow(
        `rateLimit.methods key ${JSON.stringify(key)} is not a method path: write it as "/package.Service/Method"`,
      );
    }
    // A service without a proto package has no dot.
    expect(() => rateLimitInterceptor({ methods: { "/KV/Put": { ratePerSecond: 1, burst: 1 } } })).not.toThrow();
  });

  it("refuses methods the plugin does not serve, and lifecycle methods", () => {
    const limit = { ratePerSecond: 1, burst: 1 };
    expect(() => checkRateLimitMethods({ methods: { "/rpcplugin.test.echo.v1.EchoService/Echo": limit } }, [EchoService])).not.toThrow();
    expect(() => checkRateLimitMethods({ methods: { "/rpcplugin.test.echo.v1.EchoService/Ech": limit } }, [EchoService])).toThrow(
      /does not serve \(served methods: \/rpcplugin.test.echo.v1.EchoService\/Echo,/,
    );
    expect(() => checkRateLimitMethods({ methods: { "/grpc.health.v1.Health/Check": limit } }, [EchoService, Health])).toThrow(
      /lifecycle service grpc.health.v1.Health: those are never rate limited/,
    );
  });
});

describe("rateLimitInterceptor on a real server", () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    close?.();
    close = undefined;
  });

  async function serveEcho(options: Parameters<typeof rateLimitInterceptor>[0], clock: { now: () => number }) {
    const server = new grpc.Server();
    useInterceptors(server, [rateLimitInterceptor(options, clock.now)]);
    addService(server, Health, new HealthState().handler);
    let handled = 0;
    addService(server, EchoService, {
      echo: (request) => {
        handled++;
        return { text: request.text };
      },
      async *serverStream(request) {
        handled++;
        yield { text: request.text };
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    close = () => {
      transport.close();
      server.forceShutdown();
    };
    return { echo: createClient(EchoService, transport), health: new HealthClient(transport), handled: () => handled };
  }

  async function failure(promise: Promise<unknown>): Promise<RpcError> {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }

  it("answers RESOURCE_EXHAUSTED with the limit's name and a retry hint, without running the handler", async () => {
    const clock = manualClock();
    const path = "/rpcplugin.test.echo.v1.EchoService/Echo";
    const { echo, handled } = await serveEcho({ methods: { [path]: { ratePerSecond: 4, burst: 2 } } }, clock);
    await echo.echo({ text: "1" });
    await echo.echo({ text: "2" });
    const error = await failure(echo.echo({ text: "3" }));
    expect(error.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(error.rawMessage).toBe(`the rate limit of ${path} (4 calls/s, burst 2) is exceeded: retry in 250 ms`);
    expect(error.metadata.get("retry-after-ms")).toEqual(["250"]);
    expect(retryDelayMs(error)).toBe(250);
    const details = error.metadata.get("grpc-status-details-bin")[0];
    expect(Buffer.isBuffer(details) && decodeRetryDelayMs(details)).toBe(250);
    expect(handled()).toBe(2);
    clock.advance(250);
    await echo.echo({ text: "4" });
    expect(handled()).toBe(3);
  });

  it("limits only the named method; the global bucket covers all application methods, streams included", async () => {
    const clock = manualClock();
    const { echo } = await serveEcho({ global: { ratePerSecond: 1, burst: 2 } }, clock);
    await echo.echo({ text: "a" });
    for await (const response of echo.serverStream({ text: "b" })) expect(response.text).toBe("b");
    const error = await failure(
      (async () => {
        for await (const _ of echo.serverStream({ text: "c" })) {
          // no responses expected
        }
      })(),
    );
    expect(error.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(error.rawMessage).toMatch(/^the plugin's global rate limit \(1 calls\/s, burst 2\) is exceeded: retry in 1000 ms$/);
  });

  it("a call must pass both its method's bucket and the global one; a refused call takes no token", async () => {
    const clock = manualClock();
    const path = "/rpcplugin.test.echo.v1.EchoService/Echo";
    const { echo } = await serveEcho({ global: { ratePerSecond: 1, burst: 3 }, methods: { [path]: { ratePerSecond: 1, burst: 1 } } }, clock);
    await echo.echo({ text: "1" });
    expect((await failure(echo.echo({ text: "2" }))).rawMessage).toMatch(/the rate limit of \/rpcplugin/);
    // The refused Echo took no global token: two streams still pass.
    for (const text of ["x", "y"]) for await (const response of echo.serverStream({ text })) expect(response.text).toBe(text);
    expect((await failure(echo.echo({ text: "3" }))).code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it("never limits the health service", async () => {
    const clock = manualClock();
    const { echo, health } = await serveEcho({ global: { ratePerSecond: 1, burst: 1 } }, clock);
    await echo.echo({ text: "1" });
    expect((await failure(echo.echo({ text: "2" }))).code).toBe(Code.RESOURCE_EXHAUSTED);
    for (let check = 0; check < 20; check++) expect((await health.check({ service: "plugin" })).status).toBe(1);
  });
});
