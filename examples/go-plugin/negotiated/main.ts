/**
 * The plugin of go-plugin's examples/negotiated, in TypeScript. It serves
 * the KV plugin at protocol versions 3 and 4 (go-plugin's version 2 is
 * net/rpc, which is Go-only); the host's PLUGIN_PROTOCOL_VERSIONS decides
 * which one runs, and each version marks what it writes and reads.
 */
import { readFile, writeFile } from "node:fs/promises";
import { type PluginSet, serve, servicePlugin } from "@rpcplugin/runtime";
import { KV } from "../gen/kv/kv_pb.js";
import { handshake } from "../shared/handshake.js";

function kvAtVersion(version: number): PluginSet {
  return {
    kv: servicePlugin(KV, {
      async put({ key, value }) {
        await writeFile(`kv_${key}`, `${Buffer.from(value).toString()}\n\nWritten from plugin version ${version}\n`);
        return {};
      },
      async get({ key }) {
        const stored = await readFile(`kv_${key}`);
        return { value: Buffer.concat([stored, Buffer.from(`Read by plugin version ${version}\n`)]) };
      },
    }),
  };
}

await serve({ handshake, versionedPlugins: { 3: kvAtVersion(3), 4: kvAtVersion(4) } });
