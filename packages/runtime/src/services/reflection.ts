/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha), served as go-plugin's
 * Go servers serve it, so tools such as `rpcplugin probe` or grpcurl can list
 * a plugin's services and fetch their descriptors. Answers from the
 * protobuf-es descriptors of the services registered with `addService`.
 */
import { create, type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { Code } from "../rpc/code.js";
import type { RpcServer } from "../rpc/engine.js";
import { addService, registeredServices } from "../rpc/server.js";

type Request = v1.ServerReflectionRequest;

/** Registers both reflection services on `server`; they describe whatever is registered on it when asked. */
export function addReflection(server: RpcServer): void {
  const answer = async function* (requests: AsyncIterable<Request>) {
    for await (const request of requests) yield respond(registeredServices(server), request);
  };
  addService(server, v1.ServerReflection, { serverReflectionInfo: answer });
  // v1alpha's messages are field-for-field the same as v1's.
  addService(server, v1alpha.ServerReflection, {
    serverReflectionInfo: answer as unknown as (requests: AsyncIterable<v1alpha.ServerReflectionRequest>) => AsyncIterable<never>,
  });
}

function respond(services: readonly DescService[], request: Request): v1.ServerReflectionResponse {
  const base = { validHost: request.host, originalRequest: request };
  const files = fileClosure(services);
  const error = (code: Code, message: string) =>
    create(v1.ServerReflectionResponseSchema, {
      ...base,
      messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } },
    });
  const filesResponse = (found: DescFile) =>
    create(v1.ServerReflectionResponseSchema, {
      ...base,
      messageResponse: {
        case: "fileDescriptorResponse",
        value: { fileDescriptorProto: withDependencies(found).map((file) => toBinary(FileDescriptorProtoSchema, file.proto)) },
      },
    });
  const query = request.messageRequest;
  switch (query.case) {
    case "listServices":
      return create(v1.ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "listServicesResponse",
          value: { service: [...new Set(services.map((service) => service.typeName))].sort().map((name) => ({ name })) },
        },
      });
    case "fileByFilename": {
      const found = files.find((file) => file.proto.name === query.value);
      return found ? filesResponse(found) : error(Code.NOT_FOUND, `file not found: ${query.value}`);
    }
    case "fileContainingSymbol": {
      const found = files.find((file) => declares(file, query.value));
      return found ? filesResponse(found) : error(Code.NOT_FOUND, `symbol not found: ${query.value}`);
    }
    case "fileContainingExtension":
    case "allExtensionNumbersOfType":
      return error(Code.NOT_FOUND, "extensions are not indexed by this server");
    default:
      return error(Code.INVALID_ARGUMENT, "empty reflection request");
  }
}

/** The files declaring the services, and everything they import. */
function fileClosure(services: readonly DescService[]): DescFile[] {
  const seen = new Set<DescFile>();
  for (const service of services) for (const file of withDependencies(service.file)) seen.add(file);
  return [...seen];
}

/** A file and its transitive imports, the file first. */
function withDependencies(file: DescFile): DescFile[] {
  const out: DescFile[] = [];
  const visit = (current: DescFile) => {
    if (out.includes(current)) return;
    out.push(current);
    for (const dependency of current.dependencies) visit(dependency);
  };
  visit(file);
  return out;
}

function declares(file: DescFile, symbol: string): boolean {
  for (const service of file.services) {
    if (service.typeName === symbol) return true;
    if (service.methods.some((method) => `${service.typeName}.${method.name}` === symbol)) return true;
  }
  const inMessages = (messages: DescFile["messages"]): boolean =>
    messages.some(
      (message) => message.typeName === symbol || message.nestedEnums.some((nested) => nested.typeName === symbol) || inMessages(message.nestedMessages),
    );
  return inMessages(file.messages) || file.enums.some((item) => item.typeName === symbol);
}
