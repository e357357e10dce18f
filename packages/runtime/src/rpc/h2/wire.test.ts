import { describe, expect, it } from "vitest";
import { Code } from "../code.js";
import { RpcError } from "../errors.js";
import { decodeGrpcMessage, encodeGrpcMessage, formatTimeout, frameMessage, isGrpcContentType, MessageDecoder, parseTimeout } from "./wire.js";

function framed(...bodies: number[][]): Buffer {
  return Buffer.concat(bodies.flatMap((body) => frameMessage(Uint8Array.from(body))));
}

function decodeAll(chunks: Buffer[], max = 1 << 20): number[][] {
  const out: number[][] = [];
  const decoder = new MessageDecoder(max, (message) => out.push([...message]));
  for (const chunk of chunks) decoder.push(chunk);
  expect(decoder.partial).toBe(false);
  return out;
}

describe("length-prefixed messages", () => {
  it("frames a message behind its flag and big-endian length, large ones as header + the message itself", () => {
    expect([...Buffer.concat(frameMessage(Uint8Array.of(7, 8, 9)))]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
    const large = new Uint8Array(100_000).fill(1);
    const chunks = frameMessage(large);
    expect(chunks).toHaveLength(2);
    expect([...(chunks[0] as Buffer)]).toEqual([0, 0, 0x01, 0x86, 0xa0]);
    expect((chunks[1] as Buffer).buffer).toBe(large.buffer);
  });

  it("decodes messages whole, split at every byte, and several in one chunk, including empty ones", () => {
    const bytes = framed([1, 2, 3], [], [4], [5, 6, 7, 8, 9, 10]);
    const expected = [[1, 2, 3], [], [4], [5, 6, 7, 8, 9, 10]];
    expect(decodeAll([bytes])).toEqual(expected);
    for (let cut = 1; cut < bytes.length; cut++) expect(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    expect(decodeAll([...bytes].map((byte) => Buffer.of(byte)))).toEqual(expected);
  });

  it("hands a message that sits in one chunk on without copying it", () => {
    const bytes = framed([1, 2, 3]);
    let seen: Uint8Array | undefined;
    new MessageDecoder(100, (message) => {
      seen = message;
    }).push(bytes);
    expect(seen?.buffer).toBe(bytes.buffer);
  });

  it("refuses a message over the limit (RESOURCE_EXHAUSTED), a compressed message (INTERNAL) and a bad flag byte (INTERNAL)", () => {
    const refuse = (bytes: Buffer, max = 4) => {
      try {
        new MessageDecoder(max, () => undefined).push(bytes);
      } catch (error) {
        return error as RpcError;
      }
      throw new Error("not refused");
    };
    const over = refuse(framed([1, 2, 3, 4, 5]));
    expect(over).toBeInstanceOf(RpcError);
    expect(over.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(over.rawMessage).toBe("received message larger than max (5 vs. 4)");
    const compressed = refuse(Buffer.of(1, 0, 0, 0, 1, 9));
    expect(compressed.code).toBe(Code.INTERNAL);
    expect(compressed.rawMessage).toMatch(/compressed message, but no grpc-encoding/);
    const flag = refuse(Buffer.of(7, 0, 0, 0, 1, 9));
    expect(flag.code).toBe(Code.INTERNAL);
    expect(flag.rawMessage).toMatch(/compressed-flag byte is 7/);
  });

  it("knows when a message has only partly arrived", () => {
    const decoder = new MessageDecoder(100, () => undefined);
    decoder.push(Buffer.of(0, 0));
    expect(decoder.partial).toBe(true);
    decoder.push(Buffer.of(0, 0, 2, 1));
    expect(decoder.partial).toBe(true);
    decoder.push(Buffer.of(2));
    expect(decoder.partial).toBe(false);
  });
});

describe("grpc-timeout", () => {
  it("writes at most 8 digits, in the finest unit that fits", () => {
    expect(formatTimeout(1500)).toBe("1500m");
    expect(formatTimeout(0.2)).toBe("1m");
    expect(formatTimeout(-5)).toBe("0m");
    expect(formatTimeout(99_999_999)).toBe("99999999m");
    expect(formatTimeout(100_000_000)).toBe("100000S");
    expect(formatTimeout(1e15)).toBe("99999999H");
  });

  it("reads every unit and refuses anything else", () => {
    expect(parseTimeout("2H")).toBe(7_200_000);
    expect(parseTimeout("3M")).toBe(180_000);
    expect(parseTimeout("4S")).toBe(4000);
    expect(parseTimeout("5m")).toBe(5);
    expect(parseTimeout("6000u")).toBe(6);
    expect(parseTimeout("7000000n")).toBeCloseTo(7);
    for (const bad of ["", "5", "m", "123456789m", "1.5S", "-1S", "5s", "5 m"]) expect(parseTimeout(bad)).toBeUndefined();
  });
});

describe("grpc-message", () => {
  it("percent-encodes what is not printable ASCII, and %", () => {
    expect(encodeGrpcMessage("plain text: ok")).toBe("plain text: ok");
    expect(encodeGrpcMessage("café 100%\n")).toBe("caf%C3%A9 100%25%0A");
  });

  it("decodes it back, and keeps malformed escapes as they are (as grpc-go)", () => {
    expect(decodeGrpcMessage("caf%C3%A9 100%25%0A")).toBe("café 100%\n");
    expect(decodeGrpcMessage("50%zz off %")).toBe("50%zz off %");
    for (const text of ["", "a%b", "日本語 ✓", "\u0000\u007f"]) expect(decodeGrpcMessage(encodeGrpcMessage(text))).toBe(text);
  });
});

describe("content-type", () => {
  it("accepts application/grpc with a subtype or parameters, nothing else", () => {
    for (const ok of ["application/grpc", "application/grpc+proto", "Application/GRPC;charset=utf-8"]) expect(isGrpcContentType(ok)).toBe(true);
    for (const bad of [undefined, "", "application/json", "application/grpcx", "text/plain"]) expect(isGrpcContentType(bad)).toBe(false);
  });
});
