/**
 * Retries of unary calls on UNAVAILABLE over a real grpc-js connection:
 * methods marked idempotent in their proto retry by default, others only
 * with a per-call policy; no other code is retried; streams never are.
 */
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { Code } from "./code.js";
import { RpcError } from "./errors.js";
import { callRetryPolicy, DEFAULT_CALL_RETRY, isIdempotent } from "./retry.js";
import { addService } from "./server.js";
import { EchoService } from "./testdata/gen/echo_pb.js";
import { type EchoHarness, startEcho, within } from "./testdata/harness.js";

const harnesses: EchoHarness[] = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.close();
});

/** EchoService as if its proto said `option idempotency_level = <level>;` on every method. */
function markedService(level: MethodOptions_IdempotencyLevel): typeof EchoService {
  const methods = EchoService.methods.map((method) => ({ ...method, idempotency: level }));
  return { ...EchoService, methods, method: Object.fromEntries(methods.map((method) => [method.localName, method])) } as unknown as typeof EchoService;
}

/** An echo server whose Echo fails with `code` on its first `failures` calls; counts calls. */
async function flaky(failures: number, code = Code.UNAVAILABLE) {
  let calls = 0;
  const harness = await startEcho({
    echo: (request) => {
      calls++;
      if (calls <= failures) throw new RpcError(`flaky failure ${calls}`, code);
      return { text: request.text };
    },
    // biome-ignore lint/correctness/useYield: a stream that fails before its first response
    serverStream: async function* () {
      calls++;
      throw new RpcError("stream down", Code.UNAVAILABLE);
    },
  });
  harnesses.push(harness);
  return {
    client: (service: DescService = EchoService) => createClient(service as typeof EchoService, harness.transport),
    calls: () => calls,
  };
}

const fast = { initialDelayMs: 1, maxDelayMs: 5 };

describe("isIdempotent / callRetryPolicy", () => {
  it("reads the proto's idempotency_level", () => {
    const method = EchoService.method.echo;
    expect(isIdempotent(method)).toBe(false);
    expect(isIdempotent({ ...method, idempotency: MethodOptions_IdempotencyLevel.IDEMPOTENT })).toBe(true);
    expect(isIdempotent({ ...method, idempotency: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS })).toBe(true);
  });

  it("defaults only for marked methods; false turns it off; bad values are INVALID_ARGUMENT", () => {
    const marked = { ...EchoService.method.echo, idempotency: MethodOptions_IdempotencyLevel.IDEMPOTENT };
    expect(callRetryPolicy(EchoService.method.echo, undefined)).toBeUndefined();
    expect(callRetryPolicy(marked, undefined)).toEqual(DEFAULT_CALL_RETRY);
    expect(callRetryPolicy(marked, false)).toBeUndefined();
    expect(callRetryPolicy(EchoService.method.echo, { attempts: 5 })).toEqual({ ...DEFAULT_CALL_RETRY, attempts: 5 });
    expect(() => callRetryPolicy(marked, { attempts: 0 })).toThrow("call option retry.attempts=0 is invalid: use a whole number ≥ 1");
  });
});

describe("unary retries on UNAVAILABLE", () => {
  it.each([MethodOptions_IdempotencyLevel.IDEMPOTENT, MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS])(
    "a method marked %s is retried by default and succeeds on the third attempt",
    async (level) => {
      const server = await flaky(2);
      const client = server.client(markedService(level));
      expect(await within(client.echo({ text: "hi" }), "retried call")).toMatchObject({ text: "hi" });
      expect(server.calls()).toBe(3);
    },
  );

  it("an unmarked method is not retried: the caller sees UNAVAILABLE after one call", async () => {
    const server = await flaky(1);
    const error = await server
      .client()
      .echo({ text: "hi" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
    expect(server.calls()).toBe(1);
  });

  it("an explicit per-call policy retries an unmarked method", async () => {
    const server = await flaky(1);
    expect(await server.client().echo({ text: "ok" }, { retry: { attempts: 2, ...fast } })).toMatchObject({ text: "ok" });
    expect(server.calls()).toBe(2);
  });

  it("retry: false turns a marked method's retries off", async () => {
    const server = await flaky(1);
    const client = server.client(markedService(MethodOptions_IdempotencyLevel.IDEMPOTENT));
    await expect(client.echo({ text: "x" }, { retry: false })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(server.calls()).toBe(1);
  });

  it("gives up after the attempts with the last UNAVAILABLE", async () => {
    const server = await flaky(10);
    const client = server.client(markedService(MethodOptions_IdempotencyLevel.IDEMPOTENT));
    await expect(client.echo({ text: "x" }, { retry: { attempts: 4, ...fast } })).rejects.toThrow("flaky failure 4");
    expect(server.calls()).toBe(4);
  });

  it("no other code is retried", async () => {
    const server = await flaky(1, Code.INTERNAL);
    const client = server.client(markedService(MethodOptions_IdempotencyLevel.IDEMPOTENT));
    await expect(client.echo({ text: "x" })).rejects.toMatchObject({ code: Code.INTERNAL });
    expect(server.calls()).toBe(1);
  });

  it("stops retrying when the next delay would pass the deadline", async () => {
    const server = await flaky(100);
    const client = server.client(markedService(MethodOptions_IdempotencyLevel.IDEMPOTENT));
    const error = await within(
      client.echo({ text: "x" }, { timeoutMs: 400, retry: { attempts: 100, initialDelayMs: 1000, maxDelayMs: 1000 } }).catch((caught: unknown) => caught),
      "deadline-bounded retries",
    );
    expect(error).toBeInstanceOf(RpcError);
    expect(server.calls()).toBeLessThan(100);
  });

  it("a signal aborted while waiting ends the call as CANCELLED", async () => {
    const server = await flaky(100);
    const client = server.client(markedService(MethodOptions_IdempotencyLevel.IDEMPOTENT));
    const controller = new AbortController();
    const call = client.echo({ text: "x" }, { signal: controller.signal, retry: { attempts: 100, initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const outcome = call.catch((caught: unknown) => caught);
    while (server.calls() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await within(outcome, "aborted retry wait");
    expect((error as RpcError).code).toBe(Code.CANCELLED);
    expect(server.calls()).toBe(1);
  });

  it("a retry option on a streaming call is INVALID_ARGUMENT, not silently ignored", async () => {
    const server = await flaky(0);
    const stream = server.client().serverStream({ text: "x" }, { retry: { attempts: 2 } });
    let error: unknown;
    try {
      for await (const _ of stream);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.INVALID_ARGUMENT);
    expect((error as RpcError).message).toContain("retry is only for unary calls: server-streaming calls cannot be replayed");
    expect(server.calls()).toBe(0);
  });
});

describe("marked in the proto itself", () => {
  it("`option idempotency_level = NO_SIDE_EFFECTS;` makes Read retry while unmarked Write does not", async () => {
    // service S { rpc Read(M) returns (M) { option idempotency_level = NO_SIDE_EFFECTS; } rpc Write(M) returns (M); }
    const file = create(FileDescriptorProtoSchema, {
      name: "idem.proto",
      package: "idem",
      syntax: "proto3",
      messageType: [{ name: "M" }],
      service: [
        {
          name: "S",
          method: [
            { name: "Read", inputType: ".idem.M", outputType: ".idem.M", options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS } },
            { name: "Write", inputType: ".idem.M", outputType: ".idem.M" },
          ],
        },
      ],
    });
    const service = createFileRegistry(file, () => undefined).getService("idem.S") as DescService;
    const calls = { read: 0, write: 0 };
    const server = new grpc.Server();
    const failFirst = (name: "read" | "write") => () => {
      calls[name]++;
      if (calls[name] === 1) throw new RpcError("not yet", Code.UNAVAILABLE);
      return {};
    };
    addService(server, service, { read: failFirst("read"), write: failFirst("write") } as never);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const client = createClient(service, transport) as unknown as Record<"read" | "write", (request: object) => Promise<unknown>>;
      await within(client.read({}), "retried Read");
      expect(calls.read).toBe(2);
      await expect(client.write({})).rejects.toMatchObject({ code: Code.UNAVAILABLE });
      expect(calls.write).toBe(1);
    } finally {
      transport.close();
      server.forceShutdown();
    }
  });
});
