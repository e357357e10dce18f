import { create, isMessage } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { methodDefinition, serviceDefinition, toMessage } from "./definition.js";
import { EchoRequestSchema, EchoService } from "./testdata/gen/echo_pb.js";

describe("serviceDefinition", () => {
  it("has one entry per method, by localName, with path and streaming flags", () => {
    const definition = serviceDefinition(EchoService);
    expect(Object.keys(definition)).toEqual(["echo", "serverStream", "clientStream", "bidi"]);
    expect(definition.echo).toMatchObject({ path: "/rpcplugin.test.echo.v1.EchoService/Echo", requestStream: false, responseStream: false });
    expect(definition.serverStream).toMatchObject({ path: "/rpcplugin.test.echo.v1.EchoService/ServerStream", requestStream: false, responseStream: true });
    expect(definition.clientStream).toMatchObject({ requestStream: true, responseStream: false });
    expect(definition.bidi).toMatchObject({ requestStream: true, responseStream: true });
  });

  it("is made once per descriptor", () => {
    expect(serviceDefinition(EchoService)).toBe(serviceDefinition(EchoService));
    expect(methodDefinition(EchoService.method.echo)).toBe(serviceDefinition(EchoService).echo);
  });

  it("serializes to a Buffer and back", () => {
    const { requestSerialize, requestDeserialize } = methodDefinition(EchoService.method.echo);
    const bytes = requestSerialize(create(EchoRequestSchema, { text: "hi", payload: new Uint8Array([1, 2, 3]), count: 7 }));
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const back = requestDeserialize(bytes);
    expect(isMessage(back, EchoRequestSchema)).toBe(true);
    expect(back).toMatchObject({ text: "hi", payload: new Uint8Array([1, 2, 3]), count: 7 });
  });
});

describe("toMessage", () => {
  it("creates a message from an init shape", () => {
    const message = toMessage(EchoRequestSchema, { text: "x" });
    expect(isMessage(message, EchoRequestSchema)).toBe(true);
    expect(message.text).toBe("x");
  });

  it("uses a message of the right type as it is", () => {
    const message = create(EchoRequestSchema, { text: "x" });
    expect(toMessage(EchoRequestSchema, message)).toBe(message);
  });
});
