import { describe, expect, it } from "vitest";
import { YamuxProtocolError } from "./errors.js";
import { decodeHeader, describeHeader, encodeHeader, Flag, type FrameHeader, FrameParser, FrameType, HEADER_SIZE } from "./frame.js";

describe("yamux frame header", () => {
  it("round-trips every type, flag combination and extreme field values", () => {
    const ids = [0, 1, 2, 0x7fff_ffff, 0xffff_fffe, 0xffff_ffff];
    const lengths = [0, 1, 256 * 1024, 0xffff_ffff];
    for (const type of Object.values(FrameType)) {
      for (let flags = 0; flags <= 0xf; flags++) {
        for (const streamId of ids) {
          for (const length of lengths) {
            const buf = encodeHeader(type, flags, streamId, length);
            expect(buf.length).toBe(HEADER_SIZE);
            expect(decodeHeader(buf)).toEqual({ version: 0, type, flags, streamId, length });
          }
        }
      }
    }
  });

  it("uses the big-endian layout of the spec", () => {
    const buf = encodeHeader(FrameType.WindowUpdate, Flag.SYN | Flag.FIN, 0x01020304, 0x0a0b0c0d);
    expect([...buf]).toEqual([0, 1, 0, 5, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d]);
    // A Go ping request: type 2, SYN, stream 0, opaque id 7.
    expect(decodeHeader(Buffer.from([0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7]))).toEqual({
      version: 0,
      type: FrameType.Ping,
      flags: Flag.SYN,
      streamId: 0,
      length: 7,
    });
  });

  it("decodes at an offset inside a larger buffer", () => {
    const buf = Buffer.concat([Buffer.from([9, 9, 9]), encodeHeader(FrameType.Data, Flag.ACK, 5, 42)]);
    expect(decodeHeader(buf.subarray(1), 2)).toMatchObject({ type: FrameType.Data, flags: Flag.ACK, streamId: 5, length: 42 });
  });

  it("rejects a bad version and an unknown type with YamuxProtocolError", () => {
    const bad = encodeHeader(FrameType.Data, 0, 1, 0);
    bad[0] = 1;
    expect(() => decodeHeader(bad)).toThrow(YamuxProtocolError);
    expect(() => decodeHeader(bad)).toThrow(/version 1/);
    const unknown = encodeHeader(FrameType.Data, 0, 1, 0);
    unknown[1] = 4;
    expect(() => decodeHeader(unknown)).toThrow(YamuxProtocolError);
    expect(() => decodeHeader(unknown)).toThrow(/unknown frame type 4/);
  });

  it("rejects short input and out-of-range fields with RangeError", () => {
    expect(() => decodeHeader(Buffer.alloc(11))).toThrow(RangeError);
    expect(() => encodeHeader(FrameType.Data, 0x1_0000, 1, 0)).toThrow(RangeError);
    expect(() => encodeHeader(FrameType.Data, 0, -1, 0)).toThrow(RangeError);
    expect(() => encodeHeader(FrameType.Data, 0, 1, 2 ** 32)).toThrow(RangeError);
    expect(() => encodeHeader(FrameType.Data, 0, 1.5, 0)).toThrow(RangeError);
  });

  it("describes headers", () => {
    expect(describeHeader(decodeHeader(encodeHeader(FrameType.Data, Flag.SYN | Flag.RST, 3, 9)))).toBe("Data stream=3 flags=SYN|RST length=9");
  });
});

describe("FrameParser", () => {
  type Event = ["header", FrameHeader] | ["payload", number, string] | ["end", number];

  function collect(): { events: Event[]; parser: FrameParser } {
    const events: Event[] = [];
    const parser = new FrameParser({
      onHeader: (h) => events.push(["header", h]),
      onPayload: (h, chunk) => events.push(["payload", h.streamId, chunk.toString()]),
      onFrameEnd: (h) => events.push(["end", h.streamId]),
    });
    return { events, parser };
  }

  const wire = Buffer.concat([
    encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0),
    encodeHeader(FrameType.Data, 0, 1, 11),
    Buffer.from("hello world"),
    encodeHeader(FrameType.Ping, Flag.SYN, 0, 77), // the length of a ping is not a payload
    encodeHeader(FrameType.Data, Flag.FIN, 1, 0),
    encodeHeader(FrameType.GoAway, 0, 0, 2),
  ]);

  function normalise(events: Event[]): unknown[] {
    // Merge adjacent payload pieces so that any chunking compares equal.
    const out: unknown[] = [];
    for (const e of events) {
      const last = out[out.length - 1] as Event | undefined;
      if (e[0] === "payload" && last?.[0] === "payload") last[2] += e[2];
      else out.push(e[0] === "payload" ? [...e] : e);
    }
    return out;
  }

  it("parses the same frames however the bytes are split", () => {
    const whole = collect();
    whole.parser.push(wire);
    expect(whole.events.filter((e) => e[0] === "header").length).toBe(5);
    expect(normalise(whole.events)).toContainEqual(["payload", 1, "hello world"]);
    expect(whole.parser.midFrame).toBe(false);

    for (let split = 1; split < wire.length; split++) {
      const c = collect();
      c.parser.push(wire.subarray(0, split));
      c.parser.push(wire.subarray(split));
      expect(normalise(c.events)).toEqual(normalise(whole.events));
    }
    const bytewise = collect();
    for (let i = 0; i < wire.length; i++) bytewise.parser.push(wire.subarray(i, i + 1));
    expect(normalise(bytewise.events)).toEqual(normalise(whole.events));
  });

  it("reports a truncated frame as midFrame", () => {
    const c = collect();
    c.parser.push(wire.subarray(0, 5));
    expect(c.parser.midFrame).toBe(true);
    c.parser.push(wire.subarray(5, 12 + 12 + 3));
    expect(c.parser.midFrame).toBe(true);
    c.parser.push(wire.subarray(12 + 12 + 3, 12 + 12 + 11));
    expect(c.parser.midFrame).toBe(false);
  });

  it("stops at a malformed header and stays stopped", () => {
    const c = collect();
    const bad = Buffer.concat([encodeHeader(FrameType.Ping, Flag.SYN, 0, 1), Buffer.from([0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
    expect(() => c.parser.push(bad)).toThrow(/unknown frame type 9/);
    expect(c.events).toHaveLength(2); // the ping's header and end
    c.parser.push(encodeHeader(FrameType.Ping, Flag.SYN, 0, 2));
    expect(c.events).toHaveLength(2);
  });
});
