/**
 * The message types of one RPC, as generated code spells them: incoming
 * messages as protobuf-es shapes (`GetRequest`), outgoing ones as init
 * shapes (`MessageInitShape<typeof GetResponseSchema>`), both imported from
 * protoc-gen-es's `_pb` files (or `@bufbuild/protobuf/wkt`).
 */
import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import type { Printable } from "@bufbuild/protoplugin";
import type { FileSymbols } from "./symbols.js";

export interface MethodMessages {
  /** The request as a handler receives it. */
  readonly request: Printable;
  /** The request as a client sends it. */
  readonly requestInit: Printable;
  /** The response as a client receives it. */
  readonly response: Printable;
  /** The response as a handler returns it. */
  readonly responseInit: Printable;
}

export function methodMessages(symbols: FileSymbols, method: DescMethod): MethodMessages {
  const init = (message: DescMessage): Printable => [symbols.MessageInitShape, "<typeof ", symbols.schemaType(message), ">"];
  return {
    request: symbols.shape(method.input),
    requestInit: init(method.input),
    response: symbols.shape(method.output),
    responseInit: init(method.output),
  };
}

/** Whether the client sends a stream of requests. */
export function streamsRequests(method: DescMethod): boolean {
  return method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
}

/** Whether the server sends a stream of responses. */
export function streamsResponses(method: DescMethod): boolean {
  return method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
}
