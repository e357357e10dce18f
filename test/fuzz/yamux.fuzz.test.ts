// Fuzzing yamux (test/fuzz/support.ts says how): the frame decoder on random bytes cut at random
// places, and a session (the side go-plugin's host multiplexes the broker over) fed random,
// truncated and out-of-order frames (data with and without payload, window updates, pings,
// go-aways, every flag, any stream id). The session either ends with a YamuxError, or still
// answers a ping; it never throws out of its socket handler.
import { Duplex } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeHeader,
  Flag,
  FrameParser,
  FrameType,
  HEADER_SIZE,
  YamuxError,
  YamuxProtocolError,
  YamuxSession,
} from "../../packages/runtime/src/yamux/index.js";
import { fuzzParameters, valueOrTypedError } from "./support.js";

/** One end of an in-memory connection: what is written to one end is read from the other. */
class End extends Duplex {
  other: End | undefined;
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.other?.push(chunk);
    done();
  }
  override _final(done: (error?: Error | null) => void): void {
    this.other?.push(null);
    done();
  }
}

function pair(): [End, End] {
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return [a, b];
}

/** A frame as a peer could send it: a valid header (or none of the checks passing), and a payload of any size. */
const frame = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: fc.constantFrom(FrameType.Data, FrameType.WindowUpdate, FrameType.Ping, FrameType.GoAway),
        flags: fc.subarray([Flag.SYN, Flag.ACK, Flag.FIN, Flag.RST]).map((flags) => flags.reduce((a, b) => a | b, 0)),
        streamId: fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 7), fc.nat({ max: 2 ** 32 - 1 })),
        length: fc.oneof(fc.constantFrom(0, 1, 16, 256 * 1024, 256 * 1024 + 1, 2 ** 32 - 1), fc.nat({ max: 4096 })),
        payload: fc.nat({ max: 2048 }),
      })
      .map(({ type, flags, streamId, length, payload }) => {
        const body = type === FrameType.Data ? Buffer.alloc(Math.min(length, payload), 0x61) : Buffer.alloc(0);
        return Buffer.concat([encodeHeader(type, flags, streamId, length), body]);
      }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: HEADER_SIZE * 2 }).map((bytes) => Buffer.from(bytes)) },
);

/** Splits `bytes` at the given fractions, so frames arrive cut anywhere. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((f) => Math.floor(f * bytes.length)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("fuzz: yamux", () => {
  it("the frame decoder: headers, payload pieces adding up to the header's length, or a YamuxProtocolError", () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fractions, (frames, at) => {
        const seen: { length: number; got: number; type: number }[] = [];
        const parser = new FrameParser({
          onHeader: (h) => seen.push({ length: h.length, got: 0, type: h.type }),
          onPayload: (_h, chunk) => {
            (seen.at(-1) as { got: number }).got += chunk.length;
          },
          onFrameEnd: (h) => {
            const last = seen.at(-1) as { got: number };
            expect(last.got).toBe(h.type === FrameType.Data ? h.length : 0);
          },
        });
        for (const piece of cut(Buffer.concat(frames), at)) {
          const result = valueOrTypedError(() => parser.push(piece), YamuxProtocolError);
          if ("error" in result) break;
        }
        for (const s of seen) expect(s.got).toBeLessThanOrEqual(s.type === FrameType.Data ? s.length : 0);
      }),
      fuzzParameters(),
    );
  });

  for (const role of ["server", "client"] as const) {
    it(`a ${role} session fed random frames: it ends with a YamuxError or still answers a ping`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { maxLength: 12 }), fractions, fc.boolean(), async (frames, at, endAfter) => {
          const [ours, theirs] = pair();
          const session = new YamuxSession(ours, { role });
          const uncaught: unknown[] = [];
          const closeReasons: (Error | undefined)[] = [];
          session.on("close", (reason) => closeReasons.push(reason));
          session.on("stream", (stream) => {
            stream.on("data", () => {});
            stream.on("error", () => {});
          });
          const answers: Buffer[] = [];
          theirs.on("data", (chunk: Buffer) => answers.push(chunk));
          try {
            for (const piece of cut(Buffer.concat(frames), at)) {
              try {
                theirs.write(piece);
              } catch (error) {
                uncaught.push(error);
              }
              await tick();
            }
            // Where the bytes leave the frame stream (as the decoder sees them; the session follows it).
            const mirror = new FrameParser({ onHeader: () => {}, onPayload: () => {}, onFrameEnd: () => {} });
            const malformed = valueOrTypedError(() => mirror.push(Buffer.concat(frames)), YamuxProtocolError);
            const midFrame = !("error" in malformed) && mirror.midFrame;
            if (endAfter || midFrame) {
              // A frame still waiting for its bytes consumes whatever comes next: end the connection instead.
              theirs.end();
              await tick();
              expect(session.closed).toBe(true);
            }
            expect(uncaught).toEqual([]);
            if (session.closed) {
              const reason = session.closeReason;
              if (reason !== undefined) expect(reason).toBeInstanceOf(YamuxError);
              return;
            }
            // Still open: it must still work. A ping with an id of ours comes back as an ACK with it.
            answers.length = 0;
            theirs.write(encodeHeader(FrameType.Ping, Flag.SYN, 0, 0xc0ffee));
            for (let i = 0; i < 20 && !Buffer.concat(answers).includes(encodeHeader(FrameType.Ping, Flag.ACK, 0, 0xc0ffee)); i++) await tick();
            expect(Buffer.concat(answers).includes(encodeHeader(FrameType.Ping, Flag.ACK, 0, 0xc0ffee))).toBe(true);
          } finally {
            session.destroy();
            theirs.destroy();
          }
          expect(closeReasons.length).toBeLessThanOrEqual(1);
        }),
        fuzzParameters(),
      );
    });
  }
});
