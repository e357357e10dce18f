/**
 * The file streamer plugin of go-plugin's examples/streaming, in TypeScript:
 * Configure picks a file and a chunk size, Write receives the file as a
 * client stream, Read sends it back as a server stream of chunks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { serve, servicePlugin } from "@rpcplugin/runtime";
import { StreamerService } from "../gen/streamer/streamer_pb.js";
import { handshake } from "../shared/handshake.js";

let path: string | undefined;
let chunkSize = 1024;

function configuredPath(): string {
  if (path === undefined) throw new Error("Configure must be called before Read or Write");
  return path;
}

await serve({
  handshake,
  plugins: {
    streamer: servicePlugin(StreamerService, ({ logger }) => ({
      configure(request) {
        path = request.path;
        if (request.chunkSize > 0n) chunkSize = Number(request.chunkSize);
        return {};
      },
      async *read() {
        logger.debug("FileStreamer: Read", { path: configuredPath() });
        const contents = await readFile(configuredPath());
        for (let offset = 0; offset < contents.length; offset += chunkSize) {
          yield { readBytes: contents.subarray(offset, offset + chunkSize) };
        }
      },
      async write(chunks) {
        const parts: Uint8Array[] = [];
        for await (const chunk of chunks) parts.push(chunk.bytesToWrite);
        const contents = Buffer.concat(parts);
        await writeFile(configuredPath(), contents);
        logger.debug("FileStreamer: Write finished", { "bytes written": contents.length });
        return {};
      },
    })),
  },
});
