import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { GRPCStdio } from "../gen/plugin/grpc_stdio_pb.js";
import { createClient } from "../rpc/client.js";
import { addService } from "../rpc/server.js";
import { addReflection } from "./reflection.js";

let server: grpc.Server | undefined;
let transport: grpc.Client | undefined;
afterEach(() => {
  transport?.close();
  server?.forceShutdown();
});

async function start(): Promise<grpc.Client> {
  server = new grpc.Server();
  addService(server, GRPCController, {});
  addService(server, GRPCStdio, {});
  addReflection(server);
  const port = await new Promise<number>((resolve, reject) =>
    server?.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  transport = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return transport;
}

async function ask(client: grpc.Client, request: v1.ServerReflectionRequest["messageRequest"]): Promise<v1.ServerReflectionResponse> {
  const reflection = createClient(v1.ServerReflection, client);
  for await (const response of reflection.serverReflectionInfo([{ messageRequest: request }])) return response;
  throw new Error("no response");
}

describe("server reflection", () => {
  it("lists every registered service, reflection included", async () => {
    const response = await ask(await start(), { case: "listServices", value: "" });
    expect(response.messageResponse.case).toBe("listServicesResponse");
    const names = response.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "plugin.GRPCController", "plugin.GRPCStdio"]);
  });

  it("returns the file declaring a symbol, with its imports", async () => {
    const response = await ask(await start(), { case: "fileContainingSymbol", value: "plugin.StdioData" });
    expect(response.messageResponse.case).toBe("fileDescriptorResponse");
    const files =
      response.messageResponse.case === "fileDescriptorResponse"
        ? response.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name)
        : [];
    expect(files).toEqual(["plugin/grpc_stdio.proto", "google/protobuf/empty.proto"]);
  });

  it("answers NOT_FOUND for unknown files and symbols, and v1alpha too", async () => {
    const client = await start();
    const response = await ask(client, { case: "fileByFilename", value: "nope.proto" });
    expect(response.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    const alpha = createClient(v1alpha.ServerReflection, client);
    const answers: v1alpha.ServerReflectionResponse[] = [];
    for await (const answer of alpha.serverReflectionInfo([{ messageRequest: { case: "fileByFilename", value: "plugin/grpc_controller.proto" } }])) {
      answers.push(answer);
    }
    expect(answers.map((answer) => answer.messageResponse.case)).toEqual(["fileDescriptorResponse"]);
  });
});
