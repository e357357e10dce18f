/**
 * The plugin of go-plugin's examples/negotiated, in TypeScript. It serves
 * the KV plugin at protocol versions 3 and 4 (go-plugin's version 2 is
 * net/rpc, which is Go-only); the host's PLUGIN_PROTOCOL_VERSIONS decides
 * which one runs, and each version marks what it writes and reads.
 */
import { readFile, writeFile } from "node:fs/promises";
import { serve } from "@rpcplugin/runtime";
import type { GetRequest, PutRequest } from "../gen/kv/kv_pb.js";
import { type KVHandler, KVPlugin } from "../gen/kv/kv_rpcplugin.js";
import { handshake } from "../shared/handshake.js";

class VersionedKV implements KVHandler {
  constructor(private readonly version: number) {}

  async put({ key, value }: PutRequest) {
    await writeFile(`kv_${key}`, `${Buffer.from(value).toString()}\n\nWritten from plugin version ${this.version}\n`);
    return {};
  }

  async get({ key }: GetRequest) {
    const stored = await readFile(`kv_${key}`);
    return { value: Buffer.concat([stored, Buffer.from(`Read by plugin version ${this.version}\n`)]) };
  }
}

await serve({
  handshake,
  versionedPlugins: {
    3: { kv: KVPlugin.server(new VersionedKV(3)) },
    4: { kv: KVPlugin.server(new VersionedKV(4)) },
  },
});
