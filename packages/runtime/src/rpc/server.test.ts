/**
 * The serving side, end to end over a real grpc-js connection: handler
 * shapes, error statuses, UNIMPLEMENTED, cancellation reaching handlers and
 * back-pressure on response streams.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "./code.js";
import type { CallContext } from "./context.js";
import { RpcError } from "./errors.js";
import { type EchoRequest, type EchoRequestSchema, EchoResponseSchema } from "./testdata/gen/echo_pb.js";
import { aborted, deferred, type EchoHarness, settled, startEcho, within } from "./testdata/harness.js";

let harness: EchoHarness | undefined;
afterEach(() => {
  harness?.close();
  harness = undefined;
});

async function start(...args: Parameters<typeof startEcho>): Promise<EchoHarness> {
  harness = await startEcho(...args);
  return harness;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

async function streamError(iterable: AsyncIterable<unknown>, received: unknown[] = []): Promise<RpcError> {
  try {
    for await (const item of iterable) received.push(item);
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }
  throw new Error("the stream ended without an error");
}

describe("addService: the four method kinds", () => {
  it("serves unary with an init-shape response", async () => {
    const { client } = await start({ echo: (request) => ({ text: `echo: ${request.text}` }) });
    const response = await client.echo({ text: "hello" });
    expect(response.$typeName).toBe("rpcplugin.test.echo.v1.EchoResponse");
    expect(response.text).toBe("echo: hello");
  });

  it("serves unary with an async handler returning a message", async () => {
    const { client } = await start({ echo: async (request) => create(EchoResponseSchema, { text: request.text, index: 9 }) });
    expect(await client.echo({ text: "m" })).toMatchObject({ text: "m", index: 9 });
  });

  it("serves server streaming from an async generator", async () => {
    const { client } = await start({
      async *serverStream(request) {
        for (let index = 0; index < request.count; index++) yield { text: request.text, index };
      },
    });
    const responses = await collect(client.serverStream({ text: "s", count: 5 }));
    expect(responses.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(responses.every((r) => r.text === "s")).toBe(true);
  });

  it("serves client streaming: the request stream ends at half-close", async () => {
    const { client } = await start({
      async clientStream(requests) {
        const texts: string[] = [];
        for await (const request of requests) texts.push(request.text);
        return { text: texts.join(","), index: texts.length };
      },
    });
    async function* requests() {
      yield { text: "a" };
      yield { text: "b" };
      yield { text: "c" };
    }
    expect(await client.clientStream(requests())).toMatchObject({ text: "a,b,c", index: 3 });
    expect(await client.clientStream([{ text: "x" }, { text: "y" }])).toMatchObject({ text: "x,y", index: 2 });
    expect(await client.clientStream([])).toMatchObject({ text: "", index: 0 });
  });

  it("serves bidi streaming as a real conversation (each request waits for the previous answer)", async () => {
    const { client } = await start({
      async *bidi(requests) {
        let index = 0;
        for await (const request of requests) yield { text: request.text.toUpperCase(), index: index++ };
      },
    });
    // The next request is produced only after the answer to the previous one arrived.
    const answered: Array<() => void> = [];
    async function* requests() {
      for (const text of ["one", "two", "three"]) {
        const gate = deferred();
        answered.push(gate.resolve);
        yield { text };
        await gate.promise;
      }
    }
    const texts: string[] = [];
    for await (const response of client.bidi(requests())) {
      texts.push(response.text);
      answered[response.index]?.();
    }
    expect(texts).toEqual(["ONE", "TWO", "THREE"]);
  });

  it("passes the call context: method, peer, metadata, deadline", async () => {
    const seen = deferred<CallContext>();
    const { client } = await start({
      echo: (_request, context) => {
        seen.resolve(context);
        return {};
      },
    });
    const deadline = new Date(Date.now() + 60_000);
    await client.echo({}, { deadline, metadata: { "x-client": "c1" } });
    const context = await seen.promise;
    expect(context.method).toBe("/rpcplugin.test.echo.v1.EchoService/Echo");
    expect(context.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(context.requestMetadata.get("x-client")).toEqual(["c1"]);
    expect(context.deadline).toBeInstanceOf(Date);
    expect(Math.abs((context.deadline?.getTime() ?? 0) - deadline.getTime())).toBeLessThan(5_000);
    expect(context.signal.aborted).toBe(true); // the call has ended
    expect(context.signal.reason).toBeInstanceOf(RpcError);
    expect((context.signal.reason as RpcError).rawMessage).toBe("the call has ended");
  });

  it("gives no deadline when the client set none", async () => {
    const seen = deferred<Date | undefined>();
    const { client } = await start({
      echo: (_request, context) => {
        seen.resolve(context.deadline);
        return {};
      },
    });
    await client.echo({});
    expect(await seen.promise).toBeUndefined();
  });

  it("runs interceptors around handlers, outermost first", async () => {
    const order: string[] = [];
    const { client } = await start(
      {
        echo: (request) => {
          order.push("handler");
          return { text: request.text };
        },
        async *serverStream(request) {
          yield { text: request.text };
        },
      },
      {
        addService: {
          interceptors: [
            (next, method) => async (input, context) => {
              order.push(`outer ${method.name}`);
              return next(input, context);
            },
            (next) => (input, context) => {
              if (context.requestMetadata.get("x-deny").length > 0) throw new RpcError("denied", Code.PERMISSION_DENIED);
              order.push("inner");
              return next(input, context);
            },
          ],
        },
      },
    );
    expect(await client.echo({ text: "i" })).toMatchObject({ text: "i" });
    expect(order).toEqual(["outer Echo", "inner", "handler"]);
    // The async interceptor turned the streaming handler's result into a promise of an iterable.
    expect((await collect(client.serverStream({ text: "s" }))).map((r) => r.text)).toEqual(["s"]);
    expect(order).toContain("outer ServerStream");
    expect((await rejection(client.echo({}, { metadata: { "x-deny": "1" } }))).code).toBe(Code.PERMISSION_DENIED);
  });
});

describe("addService: errors", () => {
  it("sends a thrown RpcError's code, message and metadata (with the context's trailers)", async () => {
    const { client } = await start({
      echo: (_request, context) => {
        context.responseTrailers.set("x-from-context", "ctx");
        throw new RpcError("no such key", Code.NOT_FOUND, { metadata: { "x-key": "k1" } });
      },
    });
    const error = await rejection(client.echo({}));
    expect(error.code).toBe(Code.NOT_FOUND);
    expect(error.rawMessage).toBe("no such key");
    expect(error.message).toBe("[not_found] no such key");
    expect(error.metadata.get("x-key")).toEqual(["k1"]);
    expect(error.metadata.get("x-from-context")).toEqual(["ctx"]);
  });

  it("sends anything else as UNKNOWN with its message", async () => {
    const { client } = await start({
      echo: async () => {
        throw new TypeError("boom");
      },
      clientStream: () => {
        throw new Error("sync boom");
      },
    });
    const error = await rejection(client.echo({}));
    expect(error.code).toBe(Code.UNKNOWN);
    expect(error.rawMessage).toBe("boom");
    const streamed = await rejection(client.clientStream([{}]));
    expect(streamed.code).toBe(Code.UNKNOWN);
    expect(streamed.rawMessage).toBe("sync boom");
  });

  it("delivers an error raised after responses were sent as the status, after those responses", async () => {
    const { client } = await start({
      async *serverStream(_request, context) {
        context.responseHeaders.set("x-header", "h");
        yield { index: 0 };
        yield { index: 1 };
        throw new RpcError("ran out", Code.RESOURCE_EXHAUSTED, { metadata: { "x-left": "0" } });
      },
    });
    const received: unknown[] = [];
    let headers: grpc.Metadata | undefined;
    const error = await streamError(client.serverStream({}, { onHeader: (md) => (headers = md) }), received);
    expect(received).toHaveLength(2);
    expect(error.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(error.rawMessage).toBe("ran out");
    expect(error.metadata.get("x-left")).toEqual(["0"]);
    expect(headers?.get("x-header")).toEqual(["h"]);
  });

  it("delivers the status of a stream that ends while the client is still sending (bidi and client streaming)", async () => {
    const { client } = await start({
      async *bidi(requests) {
        for await (const request of requests) {
          yield { text: request.text };
          throw new RpcError("seen enough", Code.OUT_OF_RANGE, { metadata: { "x-why": "one" } });
        }
      },
      async clientStream(requests) {
        for await (const _request of requests) throw new RpcError("one is plenty", Code.ABORTED);
        return {};
      },
    });
    for (let round = 0; round < 20; round++) {
      const stillSending = deferred();
      async function* oneThenHold(): AsyncGenerator<MessageInitShape<typeof EchoRequestSchema>> {
        yield { text: `round ${round}` };
        await stillSending.promise;
      }
      const received: unknown[] = [];
      const bidi = await within(streamError(client.bidi(oneThenHold()), received), "the bidi status");
      expect(received).toMatchObject([{ text: `round ${round}` }]);
      expect(bidi).toMatchObject({ code: Code.OUT_OF_RANGE, rawMessage: "seen enough" });
      expect(bidi.metadata.get("x-why")).toEqual(["one"]);
      const clientStream = await within(rejection(client.clientStream(oneThenHold())), "the client-stream status");
      expect(clientStream).toMatchObject({ code: Code.ABORTED, rawMessage: "one is plenty" });
      stillSending.resolve();
    }
  });

  it("answers with an error when a streaming handler throws before returning its iterable", async () => {
    const { client } = await start({
      serverStream: () => {
        throw new RpcError("only once", Code.FAILED_PRECONDITION);
      },
      bidi: () => {
        throw new Error("no");
      },
    });
    expect((await streamError(client.serverStream({}))).code).toBe(Code.FAILED_PRECONDITION);
    expect((await streamError(client.bidi([{}]))).code).toBe(Code.UNKNOWN);
  });

  it("answers UNIMPLEMENTED, naming the method, for every kind the handler lacks", async () => {
    const { client } = await start({});
    const unary = await rejection(client.echo({}));
    expect(unary.code).toBe(Code.UNIMPLEMENTED);
    expect(unary.rawMessage).toContain("rpcplugin.test.echo.v1.EchoService/Echo");
    const serverStream = await streamError(client.serverStream({}));
    expect(serverStream.code).toBe(Code.UNIMPLEMENTED);
    expect(serverStream.rawMessage).toContain("EchoService/ServerStream");
    const clientStream = await rejection(client.clientStream([{}]));
    expect(clientStream.code).toBe(Code.UNIMPLEMENTED);
    expect(clientStream.rawMessage).toContain("EchoService/ClientStream");
    const bidi = await streamError(client.bidi([{}]));
    expect(bidi.code).toBe(Code.UNIMPLEMENTED);
    expect(bidi.rawMessage).toContain("EchoService/Bidi");
  });
});

describe("addService: cancellation reaches the handler", () => {
  it("aborts context.signal with DEADLINE_EXCEEDED when the deadline passes", async () => {
    const reason = deferred<unknown>();
    const { client } = await start({
      echo: async (_request, context) => {
        reason.resolve(await aborted(context.signal));
        return {};
      },
    });
    const error = await rejection(client.echo({}, { timeoutMs: 200 }));
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    const serverReason = await within(reason.promise, "the handler's signal did not abort");
    expect(serverReason).toBeInstanceOf(RpcError);
    expect((serverReason as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("aborts context.signal with CANCELLED when the client aborts a unary call", async () => {
    const started = deferred();
    const reason = deferred<unknown>();
    const { client } = await start({
      echo: async (_request, context) => {
        started.resolve();
        reason.resolve(await aborted(context.signal));
        return {};
      },
    });
    const controller = new AbortController();
    const call = rejection(client.echo({}, { signal: controller.signal }));
    await started.promise;
    controller.abort();
    expect((await call).code).toBe(Code.CANCELLED);
    const serverReason = await within(reason.promise, "the handler's signal did not abort");
    expect((serverReason as RpcError).code).toBe(Code.CANCELLED);
  });

  it("closes a server stream's generator (its finally runs) when the consumer breaks", async () => {
    const finallyRan = deferred();
    const reason = deferred<unknown>();
    let produced = 0;
    const { client } = await start({
      async *serverStream(_request, context) {
        void aborted(context.signal).then(reason.resolve);
        try {
          for (;;) yield { index: produced++ };
        } finally {
          finallyRan.resolve();
        }
      },
    });
    const received: number[] = [];
    for await (const response of client.serverStream({})) {
      received.push(response.index);
      if (received.length === 3) break;
    }
    expect(received).toEqual([0, 1, 2]);
    await within(finallyRan.promise, "the generator's finally did not run");
    expect(((await within(reason.promise, "the signal did not abort")) as RpcError).code).toBe(Code.CANCELLED);
  });

  it("closes a generator that is waiting (not at a yield) once it wakes from context.signal", async () => {
    const waiting = deferred();
    const finallyRan = deferred();
    const { client } = await start({
      async *serverStream(_request, context) {
        try {
          yield { index: 0 };
          waiting.resolve();
          await aborted(context.signal);
          yield { index: 1 }; // never sent: the call is over
        } finally {
          finallyRan.resolve();
        }
      },
    });
    const controller = new AbortController();
    const error = streamError(client.serverStream({}, { signal: controller.signal }));
    await waiting.promise;
    controller.abort();
    expect((await error).code).toBe(Code.CANCELLED);
    await within(finallyRan.promise, "the generator's finally did not run");
  });

  it("throws CANCELLED from a client-stream handler's request loop when the client cancels", async () => {
    const first = deferred();
    const loopError = deferred<unknown>();
    const { client } = await start({
      async clientStream(requests) {
        try {
          for await (const _ of requests) first.resolve();
          loopError.resolve(undefined);
        } catch (error) {
          loopError.resolve(error);
        }
        return {};
      },
    });
    const controller = new AbortController();
    async function* requests() {
      yield { text: "first" };
      await new Promise(() => undefined); // never sends more, never half-closes
    }
    const call = rejection(client.clientStream(requests(), { signal: controller.signal }));
    await first.promise;
    controller.abort();
    expect((await call).code).toBe(Code.CANCELLED);
    const thrown = await within(loopError.promise, "the request loop did not end");
    expect(thrown).toBeInstanceOf(RpcError);
    expect((thrown as RpcError).code).toBe(Code.CANCELLED);
  });

  it("aborts a bidi handler's signal and ends its request loop when the client breaks", async () => {
    const reason = deferred<unknown>();
    const loopEnded = deferred<unknown>();
    const { client } = await start({
      async *bidi(requests, context) {
        void aborted(context.signal).then(reason.resolve);
        let outcome: unknown = "closed at a yield";
        try {
          for await (const request of requests) yield { text: request.text };
          outcome = "completed";
        } catch (error) {
          outcome = error;
        } finally {
          loopEnded.resolve(outcome);
        }
      },
    });
    async function* requests() {
      for (let i = 0; ; i++) {
        yield { text: `r${i}` };
        await new Promise((r) => setImmediate(r));
      }
    }
    let count = 0;
    for await (const _ of client.bidi(requests())) if (++count === 2) break;
    expect(((await within(reason.promise, "the signal did not abort")) as RpcError).code).toBe(Code.CANCELLED);
    const outcome = await within(loopEnded.promise, "the handler did not end");
    // Stopped at a yield (return() from the server) or in its request loop (CANCELLED): never "completed".
    expect(outcome === "closed at a yield" || (outcome instanceof RpcError && outcome.code === Code.CANCELLED)).toBe(true);
  });
});

describe("addService: back-pressure", () => {
  it("does not produce a large server stream faster than a slow consumer reads it", async () => {
    const total = 64;
    const chunk = new Uint8Array(1024 * 1024);
    let produced = 0;
    const { client } = await start({
      async *serverStream() {
        for (let index = 0; index < total; index++) {
          produced++;
          yield { index, payload: chunk };
        }
      },
    });
    const iterator = client.serverStream({})[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // The consumer stops reading; the producer must stall well short of the end.
    const stalledAt = await settled(() => produced);
    expect(stalledAt).toBeLessThan(total);
    let received = 1;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      expect(next.value.index).toBe(received);
      expect(next.value.payload.byteLength).toBe(chunk.byteLength);
      received++;
    }
    expect(received).toBe(total);
    expect(produced).toBe(total);
  });
});

// Keep the EchoRequest type referenced for readers of the handler signatures above.
export type { EchoRequest };

describe("addService edge cases", () => {
  it("accepts a service without methods (grpc-js would refuse it) and still lists it for reflection", async () => {
    const { addService, registeredServices } = await import("./server.js");
    const { GRPCController } = await import("../gen/plugin/grpc_controller_pb.js");
    const server = new grpc.Server();
    const empty = { ...GRPCController, typeName: "test.Empty", methods: [] } as unknown as typeof GRPCController;
    expect(() => addService(server, empty, {})).not.toThrow();
    expect(registeredServices(server).map((service) => service.typeName)).toEqual(["test.Empty"]);
    server.forceShutdown();
  });
});
