// Telemetry with no OpenTelemetry SDK registered (a file of its own: the API's
// tracer keeps the provider it first found, so this process must never see one).
import * as grpc from "@grpc/grpc-js";
import { context, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./rpc/client.js";
import { addService, useInterceptors } from "./rpc/server.js";
import { EchoService } from "./rpc/testdata/gen/echo_pb.js";
import { clientTelemetryInterceptor, serverTelemetryInterceptor, traced } from "./telemetry.js";

let close: (() => void) | undefined;
afterEach(() => close?.());

describe("without an OpenTelemetry SDK", () => {
  it("spans are the API's non-recording ones, no trace context is sent, calls still work", async () => {
    const seen: grpc.Metadata[] = [];
    const activeInHandler: unknown[] = [];
    const server = new grpc.Server();
    useInterceptors(server, [serverTelemetryInterceptor]);
    addService(server, EchoService, {
      echo: (request, { requestMetadata }) => {
        seen.push(requestMetadata);
        activeInHandler.push(trace.getSpan(context.active()));
        return { text: request.text };
      },
      async *serverStream(request, { requestMetadata }) {
        seen.push(requestMetadata);
        yield { text: request.text, index: 7 };
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [clientTelemetryInterceptor] });
    close = () => {
      transport.close();
      server.forceShutdown();
    };
    const echo = createClient(EchoService, transport);

    expect((await echo.echo({ text: "plain" })).text).toBe("plain");
    const indexes: number[] = [];
    for await (const response of echo.serverStream({ text: "s", count: 1 })) indexes.push(response.index);
    expect(indexes).toEqual([7]);
    await expect(traced("rpcplugin.start", {}, async () => 5)).resolves.toBe(5);
    await expect(traced("rpcplugin.start", {}, async () => Promise.reject(new Error("kept")))).rejects.toThrow("kept");

    expect(seen).toHaveLength(2);
    for (const metadata of seen) {
      expect(metadata.get("traceparent")).toEqual([]);
      expect(metadata.get("tracestate")).toEqual([]);
    }
    expect(activeInHandler).toEqual([undefined]);
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
  });
});
