import { describe, expect, it } from "vitest";
import { type HeaderField, HpackDecoder, HpackEncoder, HpackError, huffmanDecode, huffmanEncode } from "./hpack.js";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

// RFC 7541 Appendix C: three requests on one connection, without (C.3) and with (C.4) Huffman coding.
const REQUESTS: HeaderField[][] = [
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ],
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ],
  [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ],
];
const C3 = [
  "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
  "8286 84be 5808 6e6f 2d63 6163 6865",
  "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
];
const C4 = ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"];

// RFC 7541 C.5: three responses with a 256-byte table, so entries are evicted.
const RESPONSES: HeaderField[][] = [
  [
    [":status", "302"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ],
  [
    [":status", "307"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ],
  [
    [":status", "200"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
    ["location", "https://www.example.com"],
    ["content-encoding", "gzip"],
    ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
  ],
];
const C5 = [
  "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
  "4803 3330 37c1 c0bf",
  "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
];

describe("HPACK", () => {
  it("decodes RFC 7541's request examples, plain and Huffman-coded, on one dynamic table each", () => {
    for (const blocks of [C3, C4]) {
      const decoder = new HpackDecoder();
      expect(blocks.map((block) => decoder.decode(hex(block)))).toEqual(REQUESTS);
    }
  });

  it("encodes them as the RFC does (incremental indexing, no Huffman)", () => {
    const encoder = new HpackEncoder();
    expect(REQUESTS.map((fields) => encoder.encode(fields).toString("hex"))).toEqual(C3.map((block) => hex(block).toString("hex")));
  });

  it("evicts from a small table exactly as the RFC's response examples, both ways", () => {
    const decoder = new HpackDecoder({ maxTableSize: 256 });
    expect(C5.map((block) => decoder.decode(hex(block)))).toEqual(RESPONSES);
    const encoder = new HpackEncoder(256);
    expect(RESPONSES.map((fields) => encoder.encode(fields).toString("hex"))).toEqual(C5.map((block) => hex(block).toString("hex")));
  });

  it("round-trips a gRPC call's headers, which cost a byte each once they are in the table", () => {
    const encoder = new HpackEncoder(4096, new Set(["grpc-timeout"]));
    const decoder = new HpackDecoder();
    const call = (timeout: string): HeaderField[] => [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/plugin.GRPCController/Shutdown"],
      [":authority", "localhost"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ["grpc-timeout", timeout],
      ["x-bin", "AAEC"],
    ];
    const first = encoder.encode(call("100m"));
    const second = encoder.encode(call("99m"));
    expect(decoder.decode(first)).toEqual(call("100m"));
    expect(decoder.decode(second)).toEqual(call("99m"));
    // Seven indexed fields (a byte each); grpc-timeout, never indexed, as a literal: flags, name, value.
    expect(second.length).toBe(7 + 1 + (1 + "grpc-timeout".length) + (1 + "99m".length));
  });

  it("round-trips every byte value through the Huffman code, and Huffman-coded long integers", () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    expect(huffmanDecode(huffmanEncode(all))).toBe(all);
    const long = "v".repeat(300);
    const block = Buffer.concat([Buffer.of(0x00, 0x01, 0x61, 0x7f, 0xad, 0x01), Buffer.from(long)]);
    expect(new HpackDecoder().decode(block)).toEqual([["a", long]]);
  });

  it.each([
    ["index 0", "80"],
    ["an index past the tables", "be"],
    ["a truncated integer", "7f"],
    ["a string longer than the block", "0003616263"],
    ["a size update above the announced size", "3fe21f"],
    ["a size update after a field", "82 20"],
    ["EOS inside a Huffman string", "0081 61 84 ffffffff"],
    ["Huffman padding of zeros", "0001 61 81 00"],
    ["Huffman padding longer than 7 bits", "0001 61 82 1f ff"],
  ])("refuses %s with an HpackError", (_what, block) => {
    expect(() => new HpackDecoder().decode(hex(block))).toThrow(HpackError);
  });

  it("refuses a header list over the limit", () => {
    const encoder = new HpackEncoder();
    const block = encoder.encode([["big", "x".repeat(2000)]]);
    expect(() => new HpackDecoder({ maxHeaderListSize: 1000 }).decode(block)).toThrow(/header list larger than 1000/);
  });

  it("starts a block with a size update after the peer shrinks its table, and stays in step with a decoder", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    decoder.decode(encoder.encode([["a", "1"]]));
    encoder.setMaxTableSize(0);
    const block = encoder.encode([["a", "1"]]);
    expect(block[0]).toBe(0x20);
    expect(decoder.decode(block)).toEqual([["a", "1"]]);
  });
});
