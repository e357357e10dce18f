/**
 * gRPC over HTTP/2, the parts both ends of the h2 engine share (grpc/grpc
 * doc/PROTOCOL-HTTP2.md): length-prefixed messages, `grpc-timeout`,
 * `grpc-message` percent-encoding, and the statuses a call gets when the
 * peer answers with something other than a gRPC status.
 */
import { Code } from "../code.js";
import { RpcError } from "../errors.js";
import { ERROR } from "../http2/frames.js";

/** Compressed-flag byte + 4-byte big-endian length. */
export const MESSAGE_HEADER_SIZE = 5;

/** Messages up to this size are copied behind their header; larger ones are written as two chunks. */
const COPY_LIMIT = 16 * 1024;

/**
 * The Length-Prefixed-Message of `message` as chunks to write in order (one
 * chunk for small messages, header + the message itself for large ones, so a
 * large message is never copied).
 */
export function frameMessage(message: Uint8Array): Buffer[] {
  const size = message.byteLength;
  if (size <= COPY_LIMIT) {
    const framed = Buffer.allocUnsafe(MESSAGE_HEADER_SIZE + size);
    framed[0] = 0;
    framed.writeUInt32BE(size, 1);
    framed.set(message, MESSAGE_HEADER_SIZE);
    return [framed];
  }
  const header = Buffer.allocUnsafe(MESSAGE_HEADER_SIZE);
  header[0] = 0;
  header.writeUInt32BE(size, 1);
  return [header, Buffer.from(message.buffer, message.byteOffset, size)];
}

/**
 * Splits a DATA byte stream into messages. A message that arrives inside one
 * chunk is handed on as a view of that chunk (no copy); one split over
 * chunks is gathered into a buffer of exactly its size. Errors are thrown as
 * RpcErrors: RESOURCE_EXHAUSTED over `maxMessageSize`, INTERNAL for a set
 * compressed flag (this engine negotiates no compression, so a peer may not
 * set it) or a flag byte that is neither 0 nor 1.
 */
export class MessageDecoder {
  private header = Buffer.alloc(MESSAGE_HEADER_SIZE);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;

  constructor(
    private readonly maxMessageSize: number,
    private readonly onMessage: (message: Uint8Array) => void,
  ) {}

  /** True while part of a message has arrived and the rest has not. */
  get partial(): boolean {
    return this.headerFill > 0 || this.body !== undefined;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length) {
      if (this.body === undefined) {
        // Fast path: a whole header (and maybe a whole message) in this chunk.
        if (this.headerFill === 0 && length - offset >= MESSAGE_HEADER_SIZE) {
          const size = this.checkHeader(chunk[offset] as number, chunk.readUInt32BE(offset + 1));
          offset += MESSAGE_HEADER_SIZE;
          if (length - offset >= size) {
            this.onMessage(chunk.subarray(offset, offset + size));
            offset += size;
            continue;
          }
          this.startBody(size);
          continue;
        }
        const take = Math.min(MESSAGE_HEADER_SIZE - this.headerFill, length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < MESSAGE_HEADER_SIZE) return;
        this.headerFill = 0;
        const size = this.checkHeader(this.header[0] as number, this.header.readUInt32BE(1));
        if (size === 0) {
          this.onMessage(new Uint8Array(0));
          continue;
        }
        this.startBody(size);
        continue;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyFill, length - offset);
      chunk.copy(body, this.bodyFill, offset, offset + take);
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === body.length) {
        this.body = undefined;
        this.bodyFill = 0;
        this.onMessage(body);
      }
    }
  }

  private startBody(size: number): void {
    if (size === 0) {
      this.onMessage(new Uint8Array(0));
      return;
    }
    this.body = Buffer.allocUnsafe(size);
    this.bodyFill = 0;
  }

  private checkHeader(flag: number, size: number): number {
    if (flag === 1) {
      throw new RpcError("received a compressed message, but no grpc-encoding was negotiated", Code.INTERNAL);
    }
    if (flag !== 0) throw new RpcError(`malformed message: compressed-flag byte is ${flag}, not 0 or 1`, Code.INTERNAL);
    if (size > this.maxMessageSize) {
      throw new RpcError(`received message larger than max (${size} vs. ${this.maxMessageSize})`, Code.RESOURCE_EXHAUSTED);
    }
    return size;
  }
}

const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** A `grpc-timeout` value (at most 8 digits and a unit) for `ms` milliseconds from now. */
export function formatTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1e8) return `${whole}m`;
  const seconds = Math.ceil(whole / 1000);
  if (seconds < 1e8) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}

/** Milliseconds of a `grpc-timeout` value, or undefined if it is malformed. */
export function parseTimeout(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (TIMEOUT_UNITS[match[2] as string] as number);
}

/** Percent-encodes a status message as `grpc-message` carries it (UTF-8, bytes outside 0x20–0x7E and `%` escaped). */
export function encodeGrpcMessage(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Decodes a percent-encoded `grpc-message`; malformed escapes are kept as they are, as grpc-go does. */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes("%")) return value;
  const parts: Buffer[] = [];
  let plain = 0;
  for (const match of value.matchAll(/%([0-9a-fA-F]{2})/g)) {
    parts.push(Buffer.from(value.slice(plain, match.index), "utf8"), Buffer.of(Number.parseInt(match[1] as string, 16)));
    plain = match.index + 3;
  }
  parts.push(Buffer.from(value.slice(plain), "utf8"));
  return Buffer.concat(parts).toString("utf8");
}

/** The gRPC code for a response without `grpc-status`, from its HTTP status (PROTOCOL-HTTP2's table, as grpc-go). */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/** The gRPC code for a stream the peer reset with `rstCode` (as grpc-go maps HTTP/2 error codes). */
export function codeFromResetCode(rstCode: number): Code {
  switch (rstCode) {
    case ERROR.REFUSED_STREAM:
      return Code.UNAVAILABLE;
    case ERROR.CANCEL:
      return Code.CANCELLED;
    case ERROR.ENHANCE_YOUR_CALM:
      return Code.RESOURCE_EXHAUSTED;
    case ERROR.INADEQUATE_SECURITY:
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}

/** Whether a `content-type` is gRPC's (`application/grpc`, optionally `+proto` or `;…`). */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (!lower.startsWith("application/grpc")) return false;
  const next = lower.charAt("application/grpc".length);
  return next === "" || next === "+" || next === ";";
}
