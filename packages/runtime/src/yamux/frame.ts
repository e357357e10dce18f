/**
 * yamux framing, as specified by hashicorp/yamux's spec.md (v0.1.2).
 *
 * Every frame starts with a 12-byte big-endian header:
 *
 *   0      1      2             4                     8                    12
 *   +------+------+-------------+---------------------+--------------------+
 *   | ver  | type |    flags    |      stream id      |       length       |
 *   +------+------+-------------+---------------------+--------------------+
 *
 * Only Data frames carry a payload (`length` bytes after the header). For a
 * WindowUpdate `length` is the window delta, for a Ping the opaque ping id,
 * for a GoAway the error code.
 */
import { YamuxProtocolError } from "./errors.js";

/** The only protocol version there is. */
export const PROTOCOL_VERSION = 0;
/** Size of a frame header in bytes. */
export const HEADER_SIZE = 12;
/** Every stream starts with this receive window on both sides (256 KiB). */
export const INITIAL_STREAM_WINDOW = 256 * 1024;
/** Largest value of the 32-bit stream id, length and window fields. */
export const MAX_UINT32 = 0xffff_ffff;

export const FrameType = {
  Data: 0,
  WindowUpdate: 1,
  Ping: 2,
  GoAway: 3,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const Flag = {
  /** Opens a stream (data/window update); marks a ping request. */
  SYN: 0x1,
  /** Accepts a stream (data/window update); marks a ping response. */
  ACK: 0x2,
  /** Half-closes a stream: the sender sends no more data. */
  FIN: 0x4,
  /** Resets a stream immediately, or refuses to open it. */
  RST: 0x8,
} as const;
export type Flag = (typeof Flag)[keyof typeof Flag];

export const GoAwayCode = {
  Normal: 0,
  ProtocolError: 1,
  InternalError: 2,
} as const;
export type GoAwayCode = (typeof GoAwayCode)[keyof typeof GoAwayCode];

export interface FrameHeader {
  readonly version: number;
  readonly type: FrameType;
  readonly flags: number;
  readonly streamId: number;
  readonly length: number;
}

const TYPE_NAMES = ["Data", "WindowUpdate", "Ping", "GoAway"] as const;

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`yamux frame ${name} must be an integer in [0, ${max}], got ${value}`);
  }
}

/** Encodes a frame header. Throws a RangeError for out-of-range fields (a programming error, never peer input). */
export function encodeHeader(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  checkUint("type", type, 3);
  checkUint("flags", flags, 0xffff);
  checkUint("stream id", streamId, MAX_UINT32);
  checkUint("length", length, MAX_UINT32);
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  buf[0] = PROTOCOL_VERSION;
  buf[1] = type;
  buf.writeUInt16BE(flags, 2);
  buf.writeUInt32BE(streamId, 4);
  buf.writeUInt32BE(length, 8);
  return buf;
}

/**
 * Decodes the header at `offset`. Throws {@link YamuxProtocolError} for an
 * unsupported version or unknown frame type, RangeError if fewer than 12
 * bytes are available.
 */
export function decodeHeader(buf: Uint8Array, offset = 0): FrameHeader {
  if (offset < 0 || buf.length - offset < HEADER_SIZE) {
    throw new RangeError(`yamux frame header needs ${HEADER_SIZE} bytes, got ${Math.max(0, buf.length - offset)}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset + offset, HEADER_SIZE);
  const version = view.getUint8(0);
  if (version !== PROTOCOL_VERSION) {
    throw new YamuxProtocolError(`unsupported protocol version ${version} (expected ${PROTOCOL_VERSION})`);
  }
  const type = view.getUint8(1);
  if (type > FrameType.GoAway) {
    throw new YamuxProtocolError(`unknown frame type ${type}`);
  }
  return {
    version,
    type: type as FrameType,
    flags: view.getUint16(2),
    streamId: view.getUint32(4),
    length: view.getUint32(8),
  };
}

/** A short human-readable description of a header, for error messages and debugging. */
export function describeHeader(h: FrameHeader): string {
  const flags: string[] = [];
  if (h.flags & Flag.SYN) flags.push("SYN");
  if (h.flags & Flag.ACK) flags.push("ACK");
  if (h.flags & Flag.FIN) flags.push("FIN");
  if (h.flags & Flag.RST) flags.push("RST");
  return `${TYPE_NAMES[h.type]} stream=${h.streamId} flags=${flags.join("|") || "0"} length=${h.length}`;
}

/** Callbacks of a {@link FrameParser}. Any of them may throw; the parser is then unusable. */
export interface FrameHandler {
  /** A complete header arrived (already checked for version and type). */
  onHeader(header: FrameHeader): void;
  /** A piece of a Data frame's payload. Pieces of one frame arrive in order and add up to `header.length`. */
  onPayload(header: FrameHeader, chunk: Buffer): void;
  /** The frame (header and whole payload) is complete. */
  onFrameEnd(header: FrameHeader): void;
}

/**
 * Incremental frame parser. It never buffers payloads: they are handed on as
 * they arrive, so memory use is one header regardless of frame sizes.
 */
export class FrameParser {
  readonly #handler: FrameHandler;
  readonly #header = Buffer.alloc(HEADER_SIZE);
  #headerFill = 0;
  #current: FrameHeader | undefined;
  #remaining = 0;
  #stopped = false;

  constructor(handler: FrameHandler) {
    this.#handler = handler;
  }

  /** True when a frame has started but not finished (a connection ending now is truncated). */
  get midFrame(): boolean {
    return this.#headerFill > 0 || this.#current !== undefined;
  }

  /** Stops handing on frames; later pushes are ignored. */
  stop(): void {
    this.#stopped = true;
  }

  /** Feeds bytes. Throws whatever the header check or a callback throws (and then stops). */
  push(chunk: Buffer): void {
    let offset = 0;
    try {
      while (offset < chunk.length && !this.#stopped) {
        if (this.#current === undefined) {
          const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - offset);
          chunk.copy(this.#header, this.#headerFill, offset, offset + take);
          this.#headerFill += take;
          offset += take;
          if (this.#headerFill < HEADER_SIZE) return;
          this.#headerFill = 0;
          const header = decodeHeader(this.#header);
          this.#current = header;
          this.#remaining = header.type === FrameType.Data ? header.length : 0;
          this.#handler.onHeader(header);
        } else {
          const header = this.#current;
          const take = Math.min(this.#remaining, chunk.length - offset);
          this.#remaining -= take;
          const piece = chunk.subarray(offset, offset + take);
          offset += take;
          this.#handler.onPayload(header, piece);
        }
        if (this.#current !== undefined && this.#remaining === 0 && !this.#stopped) {
          const header = this.#current;
          this.#current = undefined;
          this.#handler.onFrameEnd(header);
        }
      }
    } catch (err) {
      this.#stopped = true;
      throw err;
    }
  }
}
