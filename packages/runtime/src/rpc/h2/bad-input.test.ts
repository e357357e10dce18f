/**
 * The h2 engine against peers that do not play by the rules, spoken to with
 * raw node:http2 on the other end: each bad input gets the typed status
 * grpc-go gives it, and nothing hangs.
 */
import { type ClientHttp2Session, connect, createServer as createH2Server, type Http2Server, constants as h2, type ServerHttp2Stream } from "node:http2";
import { type AddressInfo, createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client.js";
import { Code } from "../code.js";
import { RpcError } from "../errors.js";
import type { ServiceHandler } from "../server.js";
import { addService } from "../server.js";
import { EchoService } from "../testdata/gen/echo_pb.js";
import { aborted, deferred, within } from "../testdata/harness.js";
import { H2Channel } from "./channel.js";
import { H2Server } from "./server.js";
import { frameMessage } from "./wire.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function listenOn(server: Server | Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** An H2Server with the echo service on 127.0.0.1 and a raw HTTP/2 session to it. */
async function engineServer(handler: Partial<ServiceHandler<typeof EchoService>>, maxMessageSize = 1024 * 1024): Promise<ClientHttp2Session> {
  const server = new H2Server({ maxMessageSize });
  addService(server, EchoService, handler);
  const port = await listenOn(createServer((socket) => server.injectConnection(socket)));
  cleanups.push(() => server.forceShutdown());
  const session = connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  cleanups.push(() => session.destroy());
  return session;
}

interface RawAnswer {
  status: number;
  grpcStatus: number | undefined;
  grpcMessage: string | undefined;
  data: Buffer;
}

/** Sends a raw request and collects the answer (trailers-only or headers + trailers). */
function rawCall(session: ClientHttp2Session, headers: Record<string, string>, body: Buffer | undefined, end = true): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", "content-type": "application/grpc", te: "trailers", ...headers });
    const answer: RawAnswer = { status: 0, grpcStatus: undefined, grpcMessage: undefined, data: Buffer.alloc(0) };
    const read = (fields: Record<string, unknown>) => {
      if (fields["grpc-status"] !== undefined) answer.grpcStatus = Number(fields["grpc-status"]);
      if (fields["grpc-message"] !== undefined) answer.grpcMessage = decodeURIComponent(String(fields["grpc-message"]));
    };
    stream.on("response", (fields) => {
      answer.status = Number(fields[":status"]);
      read(fields);
    });
    stream.on("trailers", read);
    stream.on("data", (chunk: Buffer) => {
      answer.data = Buffer.concat([answer.data, chunk]);
    });
    stream.on("close", () => resolve(answer));
    stream.on("error", reject);
    if (body) stream.write(body);
    if (end) stream.end();
  });
}

const ECHO = "/rpcplugin.test.echo.v1.EchoService/Echo";

describe("h2 server: bad requests", () => {
  it("a malformed frame (flag byte 2) and a compressed message without grpc-encoding: INTERNAL; the handler never runs", async () => {
    let ran = false;
    const session = await engineServer({
      echo: () => {
        ran = true;
        return {};
      },
    });
    const bad = await rawCall(session, { ":path": ECHO }, Buffer.of(2, 0, 0, 0, 0));
    expect(bad.grpcStatus).toBe(Code.INTERNAL);
    expect(bad.grpcMessage).toMatch(/compressed-flag byte is 2/);
    const compressed = await rawCall(session, { ":path": ECHO }, Buffer.of(1, 0, 0, 0, 0));
    expect(compressed.grpcStatus).toBe(Code.INTERNAL);
    expect(compressed.grpcMessage).toMatch(/no grpc-encoding was negotiated/);
    expect(ran).toBe(false);
  });

  it("a message over the server's limit: RESOURCE_EXHAUSTED naming both sizes", async () => {
    const session = await engineServer({ echo: (request) => ({ payload: request.payload }) }, 1024);
    const answer = await rawCall(session, { ":path": ECHO }, Buffer.concat(frameMessage(new Uint8Array(2000))));
    expect(answer.grpcStatus).toBe(Code.RESOURCE_EXHAUSTED);
    expect(answer.grpcMessage).toMatch(/larger than max \(\d+ vs\. 1024\)/);
  });

  it("an unknown method or service: UNIMPLEMENTED, worded as grpc-go", async () => {
    const session = await engineServer({});
    const method = await rawCall(session, { ":path": "/rpcplugin.test.echo.v1.EchoService/Nope" }, Buffer.concat(frameMessage(new Uint8Array(0))));
    expect(method.status).toBe(200);
    expect(method.grpcStatus).toBe(Code.UNIMPLEMENTED);
    expect(method.grpcMessage).toBe("unknown method Nope for service rpcplugin.test.echo.v1.EchoService");
    const service = await rawCall(session, { ":path": "/no.Such/Thing" }, undefined);
    expect(service.grpcMessage).toBe("unknown service no.Such");
    const malformed = await rawCall(session, { ":path": "/nonsense" }, undefined);
    expect(malformed.grpcStatus).toBe(Code.UNIMPLEMENTED);
    expect(malformed.grpcMessage).toMatch(/malformed method name/);
  });

  it("a missing or wrong content-type: HTTP 415 with an INTERNAL status naming it", async () => {
    const session = await engineServer({ echo: () => ({}) });
    const wrong = await rawCall(session, { ":path": ECHO, "content-type": "application/json" }, undefined);
    expect(wrong.status).toBe(415);
    expect(wrong.grpcStatus).toBe(Code.INTERNAL);
    expect(wrong.grpcMessage).toMatch(/content-type "application\/json"/);
    const missing = await rawCall(session, { ":path": ECHO, "content-type": "" }, undefined);
    expect(missing.status).toBe(415);
  });

  it("a method other than POST (405), an unsupported grpc-encoding and a malformed grpc-timeout are refused", async () => {
    const session = await engineServer({ echo: () => ({}) });
    expect((await rawCall(session, { ":path": ECHO, ":method": "PUT" }, undefined)).status).toBe(405);
    const encoding = await rawCall(session, { ":path": ECHO, "grpc-encoding": "gzip" }, undefined);
    expect(encoding.grpcStatus).toBe(Code.UNIMPLEMENTED);
    expect(encoding.grpcMessage).toMatch(/grpc-encoding "gzip"/);
    const timeout = await rawCall(session, { ":path": ECHO, "grpc-timeout": "soon" }, undefined);
    expect(timeout.grpcStatus).toBe(Code.INTERNAL);
    expect(timeout.grpcMessage).toMatch(/malformed grpc-timeout "soon"/);
  });

  it("a request that ends in the middle of a message, or with none, for a unary method", async () => {
    const session = await engineServer({ echo: () => ({}) });
    const truncated = await rawCall(session, { ":path": ECHO }, Buffer.of(0, 0, 0, 0, 9, 1, 2));
    expect(truncated.grpcStatus).toBe(Code.INTERNAL);
    expect(truncated.grpcMessage).toMatch(/ended in the middle of a message/);
    const empty = await rawCall(session, { ":path": ECHO }, undefined);
    expect(empty.grpcStatus).toBe(Code.UNIMPLEMENTED);
    expect(empty.grpcMessage).toMatch(/no request message/);
  });

  it("a request the server cannot parse: INTERNAL to the client, and the handler's requests and signal stop", async () => {
    const outcome = deferred<{ error: unknown; reason: unknown }>();
    const session = await engineServer({
      clientStream: async (requests, context) => {
        let error: unknown;
        try {
          for await (const _ of requests) {
            // reading
          }
        } catch (caught) {
          error = caught;
        }
        outcome.resolve({ error, reason: await aborted(context.signal) });
        return {};
      },
    });
    const answer = await rawCall(
      session,
      { ":path": "/rpcplugin.test.echo.v1.EchoService/ClientStream" },
      Buffer.concat(frameMessage(Uint8Array.of(1))),
      false,
    );
    expect(answer.grpcStatus).toBe(Code.INTERNAL);
    expect(answer.grpcMessage).toMatch(/failed to parse a request/);
    const { error, reason } = await within(outcome.promise, "the handler was told");
    expect(error).toBeInstanceOf(RpcError);
    expect(reason).toBeInstanceOf(RpcError);
  });

  it("a client that resets the stream in the middle of a message: the handler's requests fail CANCELLED and its signal aborts", async () => {
    const outcome = deferred<{ error: unknown; reason: unknown }>();
    const session = await engineServer({
      clientStream: async (requests, context) => {
        let error: unknown;
        try {
          for await (const _ of requests) {
            // reading
          }
        } catch (caught) {
          error = caught;
        }
        outcome.resolve({ error, reason: await aborted(context.signal) });
        return {};
      },
    });
    const stream = session.request({ ":method": "POST", ":path": "/rpcplugin.test.echo.v1.EchoService/ClientStream", "content-type": "application/grpc" });
    stream.on("error", () => undefined);
    // One whole EchoRequest (text "a"), then 3 bytes of a 50-byte message.
    stream.write(Buffer.concat([...frameMessage(Uint8Array.of(0x0a, 0x01, 0x61)), Buffer.of(0, 0, 0, 0, 50, 1, 2, 3)]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.close(h2.NGHTTP2_CANCEL);
    const { error, reason } = await within(outcome.promise, "the handler saw the reset");
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.CANCELLED);
    expect((reason as RpcError).code).toBe(Code.CANCELLED);
  });

  it("a deadline that passes mid-stream: the client gets DEADLINE_EXCEEDED after the messages sent, the handler's signal aborts with it", async () => {
    const reason = deferred<unknown>();
    const session = await engineServer({
      serverStream: async function* (_request, context) {
        yield { text: "first" };
        reason.resolve(await aborted(context.signal));
      },
    });
    const answer = await rawCall(
      session,
      { ":path": "/rpcplugin.test.echo.v1.EchoService/ServerStream", "grpc-timeout": "200m" },
      Buffer.concat(frameMessage(new Uint8Array(0))),
    );
    expect(answer.status).toBe(200);
    expect(answer.data.length).toBeGreaterThan(5);
    expect(answer.grpcStatus).toBe(Code.DEADLINE_EXCEEDED);
    expect(((await within(reason.promise, "the handler's signal aborted")) as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
  });
});

/** A raw HTTP/2 server answering every stream with `respond`, and an H2Channel to it. */
async function rawServer(respond: (stream: ServerHttp2Stream) => void, maxMessageSize?: number) {
  const server = createH2Server();
  server.on("stream", (stream) => {
    stream.on("error", () => undefined);
    respond(stream);
  });
  const port = await listenOn(server);
  const channel = new H2Channel({ network: "tcp", address: `127.0.0.1:${port}` }, { maxMessageSize });
  cleanups.push(() => channel.close());
  return createClient(EchoService, channel);
}

async function failure(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await within(promise, "the call settled");
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }
  throw new Error("the call succeeded");
}

describe("h2 channel: bad answers", () => {
  it("a non-gRPC answer gets the code of its HTTP status (404: UNIMPLEMENTED, 503: UNAVAILABLE)", async () => {
    for (const [status, code] of [
      [404, Code.UNIMPLEMENTED],
      [503, Code.UNAVAILABLE],
      [500, Code.UNKNOWN],
    ] as const) {
      const client = await rawServer((stream) => {
        stream.respond({ ":status": status, "content-type": "text/html" });
        stream.end("<html>no</html>");
      });
      const error = await failure(client.echo({}));
      expect(error.code).toBe(code);
      expect(error.rawMessage).toMatch(new RegExp(`HTTP status ${status}`));
    }
  });

  it("a malformed frame and an answer over the limit: INTERNAL and RESOURCE_EXHAUSTED; the stream is reset", async () => {
    const bad = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(Buffer.of(5, 0, 0, 0, 0));
    });
    expect((await failure(bad.echo({}))).code).toBe(Code.INTERNAL);
    const resets = deferred<number>();
    const large = await rawServer((stream) => {
      stream.on("close", () => resets.resolve(stream.rstCode));
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(Buffer.concat(frameMessage(new Uint8Array(4096))));
    }, 1024);
    const error = await failure(large.echo({}));
    expect(error.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(error.rawMessage).toBe("received message larger than max (4096 vs. 1024)");
    expect(await within(resets.promise, "the server saw the reset")).toBe(h2.NGHTTP2_CANCEL);
  });

  it("a server that resets mid-message gets INTERNAL naming the HTTP/2 code; one that ends without trailers gets INTERNAL", async () => {
    const reset = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(Buffer.of(0, 0, 0, 0, 40, 1, 2), () => stream.close(h2.NGHTTP2_INTERNAL_ERROR));
    });
    const error = await failure(reset.echo({}));
    expect(error.code).toBe(Code.INTERNAL);
    const bare = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.end();
    });
    const noTrailers = await failure(bare.echo({}));
    expect(noTrailers.code).toBe(Code.INTERNAL);
    expect(noTrailers.rawMessage).toMatch(/without sending trailers/);
  });

  it("reads a percent-encoded grpc-message and an out-of-range grpc-status", async () => {
    const encoded = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "caf%C3%A9 %25" }, { endStream: true });
    });
    const error = await failure(encoded.echo({}));
    expect(error.code).toBe(Code.NOT_FOUND);
    expect(error.rawMessage).toBe("café %");
    const odd = await rawServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "nope" }, { endStream: true });
    });
    expect((await failure(odd.echo({}))).rawMessage).toMatch(/invalid grpc-status "nope"/);
  });

  it("a deadline that passes mid-stream: DEADLINE_EXCEEDED after the messages received, and the stream is reset (CANCEL)", async () => {
    const resets = deferred<number>();
    const client = await rawServer((stream) => {
      stream.on("close", () => resets.resolve(stream.rstCode));
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.write(Buffer.concat(frameMessage(new Uint8Array(0))));
    });
    const received: unknown[] = [];
    const reading = (async () => {
      for await (const message of client.serverStream({}, { timeoutMs: 200 })) received.push(message);
    })();
    const error = await failure(reading);
    expect(error.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(received).toHaveLength(1);
    expect(await within(resets.promise, "the server saw the reset")).toBe(h2.NGHTTP2_CANCEL);
  });

  it("nothing listening: UNAVAILABLE naming the address and the cause", async () => {
    const probe = createServer();
    const port = await listenOn(probe);
    probe.close();
    const channel = new H2Channel({ network: "tcp", address: `127.0.0.1:${port}` });
    cleanups.push(() => channel.close());
    const error = await failure(createClient(EchoService, channel).echo({}));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.rawMessage).toMatch(new RegExp(`connection to tcp:127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`));
  });
});
