/**
 * The file streamer plugin of go-plugin's examples/streaming, in TypeScript:
 * Configure picks a file and a chunk size, Write receives the file as a
 * client stream, Read sends it back as a server stream of chunks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { type Logger, serve } from "@rpcplugin/runtime";
import type { Configure_Request, Write_RequestChunk } from "../gen/streamer/streamer_pb.js";
import { type StreamerServiceHandler, StreamerServicePlugin } from "../gen/streamer/streamer_rpcplugin.js";
import { handshake } from "../shared/handshake.js";

class FileStreamer implements StreamerServiceHandler {
  private path: string | undefined;
  private chunkSize = 1024;

  constructor(private readonly logger: Logger) {}

  configure(request: Configure_Request) {
    this.path = request.path;
    if (request.chunkSize > 0n) this.chunkSize = Number(request.chunkSize);
    return {};
  }

  async *read() {
    const path = this.configuredPath();
    this.logger.debug("FileStreamer: Read", { path });
    const contents = await readFile(path);
    for (let offset = 0; offset < contents.length; offset += this.chunkSize) {
      yield { readBytes: contents.subarray(offset, offset + this.chunkSize) };
    }
  }

  async write(chunks: AsyncIterable<Write_RequestChunk>) {
    const path = this.configuredPath();
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk.bytesToWrite);
    const contents = Buffer.concat(parts);
    await writeFile(path, contents);
    this.logger.debug("FileStreamer: Write finished", { "bytes written": contents.length });
    return {};
  }

  private configuredPath(): string {
    if (this.path === undefined) throw new Error("Configure must be called before Read or Write");
    return this.path;
  }
}

await serve({ handshake, plugins: { streamer: StreamerServicePlugin.server(({ logger }) => new FileStreamer(logger)) } });
