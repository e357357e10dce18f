/**
 * grpc-js method and service definitions made from protobuf-es descriptors:
 * the paths, streaming flags and (de)serializers grpc-js needs, with no
 * generated glue code.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  isMessage,
  type Message,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";

/** A grpc-js method definition over protobuf-es messages. */
export type MethodDefinition = grpc.MethodDefinition<Message, Message>;

/** A grpc-js service definition keyed by each method's `localName`. */
export type ServiceDefinition = grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;

const services = new WeakMap<DescService, ServiceDefinition>();
const methods = new WeakMap<DescMethod, MethodDefinition>();

/**
 * The grpc-js service definition of `service`: one entry per method, keyed by
 * `method.localName`, with path `/<package.Service>/<Method>`. Definitions are
 * made once per descriptor and cached.
 */
export function serviceDefinition(service: DescService): ServiceDefinition {
  let definition = services.get(service);
  if (!definition) {
    const entries: Record<string, MethodDefinition> = Object.create(null);
    for (const method of service.methods) entries[method.localName] = methodDefinition(method);
    definition = entries;
    services.set(service, definition);
  }
  return definition;
}

/** The grpc-js definition of one method (cached per descriptor). */
export function methodDefinition(method: DescMethod): MethodDefinition {
  let definition = methods.get(method);
  if (!definition) {
    definition = {
      path: methodPath(method),
      originalName: method.localName,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
    };
    methods.set(method, definition);
  }
  return definition;
}

/** The HTTP/2 path of a method: `/<package.Service>/<Method>`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer(schema: DescMessage): (message: Message) => Buffer {
  return (message) => {
    const bytes = toBinary(schema, message);
    // A view of the same memory: no copy of what may be a very large message.
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (bytes: Buffer) => Message {
  // Read through a plain Uint8Array view (no copy), so `bytes` fields come out as
  // Uint8Array views like everywhere else in protobuf-es, not as Buffers.
  return (bytes) => fromBinary(schema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * A message of type `schema` from an init shape; a value that already is a
 * message of that type is returned as it is (no copy).
 */
export function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  return isMessage(init, schema) ? init : create(schema, init);
}
