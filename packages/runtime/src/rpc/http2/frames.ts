/**
 * HTTP/2 frames (RFC 9113 §4, §6): the constants, a frame's 9-byte header,
 * and a reader that cuts a byte stream into frames.
 */

/** Frame types. */
export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** Error codes (RST_STREAM, GOAWAY); the same numbers as node:http2's `NGHTTP2_*` constants. */
export const ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** SETTINGS identifiers. */
export const SETTING = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The client connection preface (RFC 9113 §3.4), before its first SETTINGS. */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const FRAME_HEADER_SIZE = 9;
const NO_BYTES = Buffer.alloc(0);
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_WINDOW = 2 ** 31 - 1;

function writeFrameHeader(out: Buffer, length: number, type: number, flags: number, streamId: number): void {
  out[0] = length >>> 16;
  out[1] = (length >>> 8) & 0xff;
  out[2] = length & 0xff;
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
}

/** A frame's header, to be followed by `length` bytes of payload. */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
  writeFrameHeader(header, length, type, flags, streamId);
  return header;
}

/** A whole frame with a small payload, in one buffer. */
export function frame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + length);
  writeFrameHeader(out, length, type, flags, streamId);
  if (payload) out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** A violation of HTTP/2 by the peer that ends the connection (GOAWAY with `code`). */
export class ConnectionError extends Error {
  override name = "Http2ConnectionError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the reader hands on: one frame; `payload` is a view valid only during the call. */
export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/**
 * DATA (unpadded) is handed on as it arrives, in parts that are views of the
 * chunks read (no copy): `first` and `last` mark the frame's bounds, and a
 * frame inside one chunk is one part with both.
 */
export type DataHandler = (flags: number, streamId: number, part: Buffer, first: boolean, last: boolean) => void;

/**
 * Cuts the byte stream of a connection into frames. A frame inside one chunk
 * is handed on as a view of it; one split over chunks is gathered into a
 * buffer of its size, except unpadded DATA, whose parts go to `onData` as
 * they come. A frame longer than `maxFrameSize` is a FRAME_SIZE_ERROR.
 */
export class FrameReader {
  private header = Buffer.alloc(FRAME_HEADER_SIZE);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  /** Bytes still to come of a DATA frame handed on in parts. */
  private dataLeft = 0;
  private dataFlags = 0;
  private dataStream = 0;
  private prefaceLeft: number;

  constructor(
    private readonly maxFrameSize: number,
    private readonly onFrame: FrameHandler,
    private readonly onData: DataHandler,
    expectPreface: boolean,
  ) {
    this.prefaceLeft = expectPreface ? CLIENT_PREFACE.length : 0;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    if (this.prefaceLeft > 0) {
      const take = Math.min(this.prefaceLeft, length);
      const start = CLIENT_PREFACE.length - this.prefaceLeft;
      if (chunk.compare(CLIENT_PREFACE, start, start + take, 0, take) !== 0) {
        throw new ConnectionError(ERROR.PROTOCOL_ERROR, "the client did not start with the HTTP/2 connection preface");
      }
      this.prefaceLeft -= take;
      offset = take;
    }
    while (offset < length) {
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, length - offset);
        this.dataLeft -= take;
        this.onData(this.dataFlags, this.dataStream, chunk.subarray(offset, offset + take), false, this.dataLeft === 0);
        offset += take;
        continue;
      }
      if (this.body === undefined) {
        if (this.headerFill === 0 && length - offset >= FRAME_HEADER_SIZE) {
          const size = this.frameLength(chunk, offset);
          const start = offset + FRAME_HEADER_SIZE;
          if (length - start >= size) {
            const type = chunk[offset + 3] as number;
            const flags = chunk[offset + 4] as number;
            const streamId = chunk.readUInt32BE(offset + 5) & 0x7fffffff;
            const payload = chunk.subarray(start, start + size);
            if (type === FRAME.DATA && (flags & FLAG.PADDED) === 0) this.onData(flags, streamId, payload, true, true);
            else this.onFrame(type, flags, streamId, payload);
            offset = start + size;
            continue;
          }
          chunk.copy(this.header, 0, offset, start);
          offset = start;
          this.startBody(size);
          continue;
        }
        const take = Math.min(FRAME_HEADER_SIZE - this.headerFill, length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < FRAME_HEADER_SIZE) return;
        this.headerFill = 0;
        this.startBody(this.frameLength(this.header, 0));
        continue;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyFill, length - offset);
      chunk.copy(body, this.bodyFill, offset, offset + take);
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === body.length) this.deliver();
    }
  }

  /** After a frame header whose payload is not all here: DATA goes on in parts, anything else is gathered. */
  private startBody(size: number): void {
    const header = this.header;
    const type = header[3] as number;
    const flags = header[4] as number;
    const streamId = header.readUInt32BE(5) & 0x7fffffff;
    if (type === FRAME.DATA && (flags & FLAG.PADDED) === 0) {
      if (size === 0) {
        this.onData(flags, streamId, NO_BYTES, true, true);
        return;
      }
      this.dataLeft = size;
      this.dataFlags = flags;
      this.dataStream = streamId;
      this.onData(flags, streamId, NO_BYTES, true, false);
      return;
    }
    this.body = Buffer.allocUnsafe(size);
    this.bodyFill = 0;
    if (size === 0) this.deliver();
  }

  private deliver(): void {
    const body = this.body as Buffer;
    this.body = undefined;
    const header = this.header;
    this.onFrame(header[3] as number, header[4] as number, header.readUInt32BE(5) & 0x7fffffff, body);
  }

  private frameLength(bytes: Buffer, offset: number): number {
    const size = ((bytes[offset] as number) << 16) | ((bytes[offset + 1] as number) << 8) | (bytes[offset + 2] as number);
    if (size > this.maxFrameSize) {
      throw new ConnectionError(ERROR.FRAME_SIZE_ERROR, `a frame of ${size} bytes is larger than the ${this.maxFrameSize} announced`);
    }
    return size;
  }
}
