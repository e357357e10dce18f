/**
 * The calling side, end to end over a real grpc-js connection: init shapes,
 * metadata, deadlines, AbortSignal, request streams (errors, back-pressure),
 * large messages and the errors callers get.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { Code } from "./code.js";
import { RpcError } from "./errors.js";
import { EchoRequestSchema, EchoService } from "./testdata/gen/echo_pb.js";
import { aborted, deferred, type EchoHarness, settled, startEcho, within } from "./testdata/harness.js";

const harnesses: EchoHarness[] = [];
const transports: grpc.Client[] = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.close();
  for (const transport of transports.splice(0)) transport.close();
});

async function start(...args: Parameters<typeof startEcho>): Promise<EchoHarness> {
  const harness = await startEcho(...args);
  harnesses.push(harness);
  return harness;
}

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

async function streamError(iterable: AsyncIterable<unknown>): Promise<RpcError> {
  try {
    for await (const _ of iterable);
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }
  throw new Error("the stream ended without an error");
}

describe("createClient: requests and metadata", () => {
  it("accepts init shapes and messages as requests", async () => {
    const { client } = await start({ echo: (request) => ({ text: request.text, payload: request.payload, index: request.count }) });
    expect(await client.echo({ text: "init", payload: new Uint8Array([7]), count: 3 })).toMatchObject({
      text: "init",
      payload: new Uint8Array([7]),
      index: 3,
    });
    expect(await client.echo(create(EchoRequestSchema, { text: "message" }))).toMatchObject({ text: "message" });
  });

  it("sends request metadata and receives response headers and trailers (unary)", async () => {
    const { client } = await start({
      echo: (_request, context) => {
        context.responseHeaders.set("x-header", context.requestMetadata.get("x-record")[0] ?? "");
        // Repeated values travel as one comma-joined HTTP/2 header.
        context.responseTrailers.set("x-trailer", context.requestMetadata.get("x-list").join("+"));
        return {};
      },
    });
    let headers: grpc.Metadata | undefined;
    let trailers: grpc.Metadata | undefined;
    await client.echo({}, { metadata: { "x-record": "r", "x-list": ["a", "b"] }, onHeader: (md) => (headers = md), onTrailer: (md) => (trailers = md) });
    expect(headers?.get("x-header")).toEqual(["r"]);
    expect(trailers?.get("x-trailer")).toEqual(["a, b"]);
  });

  it("sends grpc.Metadata and gets headers and trailers on every streaming kind", async () => {
    const respond = (context: { requestMetadata: grpc.Metadata; responseHeaders: grpc.Metadata; responseTrailers: grpc.Metadata }) => {
      context.responseHeaders.set("x-header", "h");
      context.responseTrailers.set("x-trailer", String(context.requestMetadata.get("x-token")[0]));
    };
    const { client } = await start({
      async *serverStream(_request, context) {
        respond(context);
        yield {};
      },
      async clientStream(requests, context) {
        for await (const _ of requests);
        respond(context);
        return {};
      },
      async *bidi(requests, context) {
        respond(context);
        for await (const request of requests) yield { text: request.text };
      },
    });
    const metadata = new grpc.Metadata();
    metadata.set("x-token", "t1");
    const calls: Array<(options: object) => Promise<unknown>> = [
      async (options) => {
        for await (const _ of client.serverStream({}, options));
      },
      (options) => client.clientStream([{}], options),
      async (options) => {
        for await (const _ of client.bidi([{}], options));
      },
    ];
    for (const call of calls) {
      const seen: Record<string, unknown> = {};
      await call({
        metadata,
        onHeader: (md: grpc.Metadata) => (seen.header = md.get("x-header")),
        onTrailer: (md: grpc.Metadata) => (seen.trailer = md.get("x-trailer")),
      });
      expect(seen).toEqual({ header: ["h"], trailer: ["t1"] });
    }
    expect(metadata.get("x-token")).toEqual(["t1"]); // the caller's object is not changed
  });

  it("fails with RpcError INVALID_ARGUMENT on malformed metadata, without calling", async () => {
    let calls = 0;
    const { client } = await start({
      echo: () => {
        calls++;
        return {};
      },
    });
    const error = await rejection(client.echo({}, { metadata: { "Not A Key": "x" } }));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    await client.echo({});
    expect(calls).toBe(1);
  });

  it("fails the call with the error an onHeader callback throws", async () => {
    const { client } = await start({ echo: () => ({}) });
    const error = await rejection(
      client.echo(
        {},
        {
          onHeader: () => {
            throw new Error("bad header");
          },
        },
      ),
    );
    expect(error.rawMessage).toBe("bad header");
  });
});

describe("createClient: deadlines and cancellation", () => {
  it("fails a server stream with DEADLINE_EXCEEDED at its deadline, aborting the server's signal", async () => {
    const reason = deferred<unknown>();
    const { client } = await start({
      async *serverStream(_request, context) {
        yield { index: 0 };
        reason.resolve(await aborted(context.signal));
      },
    });
    const error = await streamError(client.serverStream({}, { deadline: new Date(Date.now() + 200) }));
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(((await within(reason.promise, "the server's signal did not abort")) as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("uses the earlier of timeoutMs and deadline", async () => {
    const deadline = deferred<Date | undefined>();
    const { client } = await start({
      echo: (_request, context) => {
        deadline.resolve(context.deadline);
        return {};
      },
    });
    const far = new Date(Date.now() + 3_600_000);
    await client.echo({}, { deadline: far, timeoutMs: 60_000 });
    const seen = await deadline.promise;
    expect(seen).toBeInstanceOf(Date);
    expect((seen?.getTime() ?? Infinity) < far.getTime() - 60_000).toBe(true);
  });

  it("rejects at once, without calling, when the signal is already aborted", async () => {
    let calls = 0;
    const { client } = await start({
      echo: () => {
        calls++;
        return {};
      },
    });
    const error = await rejection(client.echo({}, { signal: AbortSignal.abort() }));
    expect(error.code).toBe(Code.CANCELLED);
    await client.echo({});
    expect(calls).toBe(1);
  });

  it("rejects with the signal's reason when it is an RpcError, and DEADLINE_EXCEEDED for AbortSignal.timeout()", async () => {
    const started = deferred();
    const { client } = await start({
      echo: async (_request, context) => {
        started.resolve();
        await aborted(context.signal);
        return {};
      },
    });
    const controller = new AbortController();
    const call = rejection(client.echo({}, { signal: controller.signal }));
    await started.promise;
    const reason = new RpcError("plugin exited", Code.UNAVAILABLE);
    controller.abort(reason);
    expect(await call).toBe(reason);
    expect((await rejection(client.echo({}, { signal: AbortSignal.timeout(100) }))).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("cancels a server stream on abort: the caller gets CANCELLED and the server's signal aborts", async () => {
    const reason = deferred<unknown>();
    const { client } = await start({
      async *serverStream(_request, context) {
        void aborted(context.signal).then(reason.resolve);
        for (let index = 0; ; index++) {
          yield { index };
          await new Promise((r) => setImmediate(r));
        }
      },
    });
    const controller = new AbortController();
    const received: number[] = [];
    let error: unknown;
    try {
      for await (const response of client.serverStream({}, { signal: controller.signal })) {
        received.push(response.index);
        if (received.length === 3) controller.abort();
      }
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.CANCELLED);
    expect(((await within(reason.promise, "the server's signal did not abort")) as RpcError).code).toBe(Code.CANCELLED);
  });

  it("cancels a bidi call when the consumer returns early, and stops taking requests", async () => {
    const reason = deferred<unknown>();
    const requestsClosed = deferred();
    const { client } = await start({
      async *bidi(requests, context) {
        void aborted(context.signal).then(reason.resolve);
        for await (const request of requests) yield { index: request.count };
      },
    });
    async function* requests() {
      try {
        for (let i = 0; ; i++) {
          yield { count: i };
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        requestsClosed.resolve();
      }
    }
    for await (const response of client.bidi(requests())) if (response.index === 2) break;
    expect(((await within(reason.promise, "the server's signal did not abort")) as RpcError).code).toBe(Code.CANCELLED);
    await within(requestsClosed.promise, "the request generator was not closed");
  });
});

describe("createClient: request streams", () => {
  it("fails with the request stream's error and cancels the call on the server", async () => {
    const serverSaw = deferred<unknown>();
    const received = deferred();
    const { client } = await start({
      async clientStream(requests) {
        try {
          for await (const _ of requests) received.resolve();
          serverSaw.resolve("completed");
        } catch (error) {
          serverSaw.resolve(error);
        }
        return {};
      },
    });
    const cause = new Error("source broke");
    async function* requests() {
      yield { text: "one" };
      await received.promise; // (a call cancelled before it reached the server never reaches it)
      throw cause;
    }
    const error = await rejection(client.clientStream(requests()));
    expect(error.rawMessage).toBe("source broke");
    expect(error.cause).toBe(cause);
    const seen = await within(serverSaw.promise, "the handler did not end");
    expect(seen).toBeInstanceOf(RpcError);
    expect((seen as RpcError).code).toBe(Code.CANCELLED);
  });

  it("does not produce requests faster than the server takes them", async () => {
    const total = 64;
    const chunk = new Uint8Array(1024 * 1024);
    const firstRead = deferred();
    const readOn = deferred();
    const { client } = await start({
      async clientStream(requests) {
        let count = 0;
        for await (const request of requests) {
          expect(request.payload.byteLength).toBe(chunk.byteLength);
          if (++count === 1) {
            firstRead.resolve();
            await readOn.promise;
          }
        }
        return { index: count };
      },
    });
    let produced = 0;
    async function* requests() {
      for (let i = 0; i < total; i++) {
        produced++;
        yield { payload: chunk };
      }
    }
    const call = client.clientStream(requests());
    await firstRead.promise;
    const stalledAt = await settled(() => produced);
    expect(stalledAt).toBeLessThan(total);
    readOn.resolve();
    expect((await call).index).toBe(total);
    expect(produced).toBe(total);
  });
});

describe("createClient: large messages and failures", () => {
  it("round-trips a 16 MiB message when both ends raise grpc-js's size limits", async () => {
    const { client } = await start({ echo: (request) => ({ payload: request.payload }) });
    const payload = new Uint8Array(16 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = (i / 4096) % 251;
    const response = await client.echo({ payload });
    expect(response.payload.byteLength).toBe(payload.byteLength);
    expect(Buffer.compare(Buffer.from(response.payload), Buffer.from(payload))).toBe(0);
  });

  it("fails with RESOURCE_EXHAUSTED when the caller left grpc-js's 4 MiB default", async () => {
    const { client } = await start({ echo: (request) => ({ payload: request.payload }) }, { grpc: {} });
    const error = await rejection(client.echo({ payload: new Uint8Array(5 * 1024 * 1024) }));
    expect(error.code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it("fails with UNAVAILABLE when nothing listens", async () => {
    const { target, server } = await start({});
    server.forceShutdown();
    const transport = new grpc.Client(target, grpc.credentials.createInsecure());
    transports.push(transport);
    const client = createClient(EchoService, transport);
    expect((await rejection(client.echo({}))).code).toBe(Code.UNAVAILABLE);
    expect((await streamError(client.serverStream({}))).code).toBe(Code.UNAVAILABLE);
  });

  it("fails with an RpcError (not a throw) on a closed transport", async () => {
    const { client, transport } = await start({ echo: () => ({}) });
    transport.close();
    const error = await rejection(client.echo({}));
    expect(error.code).not.toBe(Code.OK);
  });

  it("leaves Error.stackTraceLimit as it was (calls are made without grpc-js's caller stack), also when making the call throws", async () => {
    const { client } = await start({ echo: () => ({}) });
    const limit = Error.stackTraceLimit;
    await client.echo({});
    expect(Error.stackTraceLimit).toBe(limit);
    const throwing = {
      makeUnaryRequest: () => {
        throw new Error("boom");
      },
    } as unknown as grpc.Client;
    expect((await rejection(createClient(EchoService, throwing).echo({}))).rawMessage).toBe("boom");
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("after").stack).toContain("client.test");
  });
});

describe("createClient: deadlines already passed", () => {
  it("fails every kind with DEADLINE_EXCEEDED", async () => {
    const { client } = await start({
      echo: () => ({}),
      async *serverStream() {
        yield {};
      },
      clientStream: () => ({}),
      async *bidi() {
        yield {};
      },
    });
    const past = new Date(Date.now() - 1000);
    expect((await rejection(client.echo({}, { timeoutMs: 0 }))).code).toBe(Code.DEADLINE_EXCEEDED);
    expect((await streamError(client.serverStream({}, { deadline: past }))).code).toBe(Code.DEADLINE_EXCEEDED);
    expect((await rejection(client.clientStream([{}], { deadline: past }))).code).toBe(Code.DEADLINE_EXCEEDED);
    expect((await streamError(client.bidi([{}], { deadline: past }))).code).toBe(Code.DEADLINE_EXCEEDED);
  });
});
