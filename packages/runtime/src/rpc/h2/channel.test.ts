import { type AddressInfo, connect, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client.js";
import { Code } from "../code.js";
import { RpcError } from "../errors.js";
import { addService } from "../server.js";
import { EchoService } from "../testdata/gen/echo_pb.js";
import { within } from "../testdata/harness.js";
import { H2Channel } from "./channel.js";
import { H2Server } from "./server.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function echoServer(): Promise<number> {
  const server = new H2Server();
  addService(server, EchoService, { echo: (request) => ({ text: `echo ${request.text}` }) });
  const listener = createServer((socket) => server.injectConnection(socket));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    listener.close();
    server.forceShutdown();
  });
  return (listener.address() as AddressInfo).port;
}

describe("H2Channel targets", () => {
  it("connects through an opener that returns a stream, or a promise of one (e.g. a yamux stream)", async () => {
    const port = await echoServer();
    const sync = new H2Channel({ open: () => connect(port, "127.0.0.1"), describe: "sync opener" });
    const later = new H2Channel({
      open: () => new Promise((resolve) => setTimeout(() => resolve(connect(port, "127.0.0.1")), 20)),
      describe: "async opener",
    });
    cleanups.push(
      () => sync.close(),
      () => later.close(),
    );
    expect((await within(createClient(EchoService, sync).echo({ text: "a" }), "sync opener call")).text).toBe("echo a");
    expect((await within(createClient(EchoService, later).echo({ text: "b" }), "async opener call")).text).toBe("echo b");
  });

  it("an opener that fails: UNAVAILABLE naming the target and the cause", async () => {
    const channel = new H2Channel({ open: () => Promise.reject(new Error("no stream for you")), describe: "yamux stream 7" });
    cleanups.push(() => channel.close());
    const error = await within(
      createClient(EchoService, channel)
        .echo({})
        .then(
          () => undefined,
          (caught: unknown) => caught,
        ),
      "the call settled",
    );
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
    expect((error as RpcError).rawMessage).toMatch(/yamux stream 7 failed: no stream for you/);
  });

  it("a closed channel fails new calls with UNAVAILABLE at once", async () => {
    const port = await echoServer();
    const channel = new H2Channel({ network: "tcp", address: `127.0.0.1:${port}` });
    const client = createClient(EchoService, channel);
    expect((await client.echo({ text: "x" })).text).toBe("echo x");
    channel.close();
    const error = await client.echo({}).catch((caught: unknown) => caught);
    expect((error as RpcError).code).toBe(Code.UNAVAILABLE);
    expect((error as RpcError).rawMessage).toMatch(/is closed/);
  });
});
