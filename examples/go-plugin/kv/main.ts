/**
 * The KV plugin of go-plugin's examples/grpc, in TypeScript. Values are kept
 * in files named kv_<key> in the working directory, as the Go plugin does.
 */
import { readFile, writeFile } from "node:fs/promises";
import { serve, servicePlugin } from "@rpcplugin/runtime";
import { KV } from "../gen/kv/kv_pb.js";
import { handshake } from "../shared/handshake.js";

await serve({
  handshake,
  plugins: {
    kv_grpc: servicePlugin(KV, {
      async put({ key, value }) {
        await writeFile(`kv_${key}`, Buffer.concat([value, Buffer.from("\n\nWritten from plugin-ts-grpc")]));
        return {};
      },
      async get({ key }) {
        return { value: await readFile(`kv_${key}`) };
      },
    }),
  },
});
