// Server-wide interceptors (useInterceptors): which services they wrap and in which order.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { addService, type HandlerInterceptor, useInterceptors } from "./server.js";
import { EchoService } from "./testdata/gen/echo_pb.js";

let close: (() => void) | undefined;
afterEach(() => close?.());

describe("useInterceptors", () => {
  it("wraps services added afterwards, outside their own interceptors, first one outermost", async () => {
    const order: string[] = [];
    const tag =
      (name: string): HandlerInterceptor =>
      (next, method) =>
      (input, context) => {
        order.push(`${name}:${method.name}`);
        return next(input, context);
      };
    const before = new grpc.Server();
    addService(before, EchoService, { echo: (request) => ({ text: request.text }) });
    useInterceptors(before, [tag("late")]);

    const server = new grpc.Server();
    useInterceptors(server, [tag("first")]);
    useInterceptors(server, [tag("second")]);
    addService(server, EchoService, { echo: (request) => ({ text: request.text }) }, { interceptors: [tag("own")] });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const portBefore = await new Promise<number>((resolve, reject) =>
      before.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const transportBefore = new grpc.Client(`127.0.0.1:${portBefore}`, grpc.credentials.createInsecure());
    close = () => {
      transport.close();
      transportBefore.close();
      server.forceShutdown();
      before.forceShutdown();
    };
    await createClient(EchoService, transport).echo({ text: "x" });
    expect(order).toEqual(["first:Echo", "second:Echo", "own:Echo"]);
    order.length = 0;
    // A service added before useInterceptors is not wrapped.
    await createClient(EchoService, transportBefore).echo({ text: "y" });
    expect(order).toEqual([]);
  });
});
