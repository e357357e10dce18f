/**
 * The KV plugin of go-plugin's examples/grpc, in TypeScript. Values are kept
 * in files named kv_<key> in the working directory, as the Go plugin does.
 */
import { readFile, writeFile } from "node:fs/promises";
import { serve } from "@rpcplugin/runtime";
import type { GetRequest, PutRequest } from "../gen/kv/kv_pb.js";
import { type KVHandler, KVPlugin } from "../gen/kv/kv_rpcplugin.js";
import { handshake } from "../shared/handshake.js";

class FileKV implements KVHandler {
  async put({ key, value }: PutRequest) {
    await writeFile(`kv_${key}`, Buffer.concat([value, Buffer.from("\n\nWritten from plugin-ts-grpc")]));
    return {};
  }

  async get({ key }: GetRequest) {
    return { value: await readFile(`kv_${key}`) };
  }
}

await serve({ handshake, plugins: { kv_grpc: KVPlugin.server(new FileKV()) } });
