import { Console } from "node:console";
import { describe, expect, it } from "vitest";
import { HELD_STDOUT } from "./held-stdout.js";
import { StdioCapture, StdioChannel } from "./stdio.js";

/** What the StreamStdio handler streams, as a host would read it. */
async function* hostStream(capture: StdioCapture): AsyncGenerator<[StdioChannel, string]> {
  for await (const item of capture.handler.streamStdio({} as never, { signal: new AbortController().signal } as never)) {
    yield [item.channel ?? StdioChannel.INVALID, Buffer.from(item.data ?? []).toString()];
  }
}

describe("StdioCapture", () => {
  it("holds stdout and stderr writes (console.* included) in order; stop() puts the real writes back", async () => {
    const realStdout = process.stdout.write;
    const realStderr = process.stderr.write;
    const capture = new StdioCapture();
    capture.start();
    // A Console over process.stdout/stderr, as the global console is (vitest replaces the global one).
    const console = new Console(process.stdout, process.stderr);
    try {
      expect(process.stdout.write).not.toBe(realStdout);
      console.log("console.log");
      process.stderr.write("stderr");
      process.stdout.write(Buffer.from("bytes"));
      console.error("console.error");
    } finally {
      capture.stop();
    }
    expect(process.stdout.write).toBe(realStdout);
    expect(process.stderr.write).toBe(realStderr);

    const received: [StdioChannel, string][] = [];
    for await (const item of hostStream(capture)) received.push(item);
    expect(received).toEqual([
      [StdioChannel.STDOUT, "console.log\n"],
      [StdioChannel.STDERR, "stderr"],
      [StdioChannel.STDOUT, "bytes"],
      [StdioChannel.STDERR, "console.error\n"],
    ]);
  });

  it("takes stdout held from before serve() (a built executable's loader) and streams it first; the holder gives the real write back", async () => {
    const realStdout = process.stdout.write;
    const holding = (() => true) as typeof process.stdout.write;
    process.stdout.write = holding;
    let taken = 0;
    (globalThis as Record<symbol, unknown>)[HELD_STDOUT] = {
      take: () => {
        taken++;
        process.stdout.write = realStdout;
        delete (globalThis as Record<symbol, unknown>)[HELD_STDOUT];
        return [Buffer.from("printed at import\n")];
      },
    };
    const capture = new StdioCapture();
    expect(taken).toBe(1);
    capture.start();
    try {
      process.stdout.write("inside serve\n");
    } finally {
      capture.stop();
    }
    expect(process.stdout.write).toBe(realStdout);
    const received: [StdioChannel, string][] = [];
    for await (const item of hostStream(capture)) received.push(item);
    expect(received).toEqual([
      [StdioChannel.STDOUT, "printed at import\n"],
      [StdioChannel.STDOUT, "inside serve\n"],
    ]);
    expect(new StdioCapture()).toBeInstanceOf(StdioCapture); // nothing held any more: no second take
    expect(taken).toBe(1);
  });

  it("stopAndFlush() writes what no host took, in order, ending the last line", () => {
    const capture = new StdioCapture();
    const flushed: string[] = [];
    capture.start();
    try {
      process.stdout.write("out\n");
      process.stderr.write("err, no newline");
    } finally {
      capture.stopAndFlush((chunk) => flushed.push(Buffer.from(chunk).toString()));
    }
    expect(flushed).toEqual(["out\n", "err, no newline", "\n"]);
  });

  it("stopAndFlush() leaves the output to a host that already took the stream", async () => {
    const capture = new StdioCapture();
    const stream = hostStream(capture);
    const received = stream.next(); // the host takes the stream
    capture.start();
    process.stdout.write("for the host\n");
    const flushed: unknown[] = [];
    capture.stopAndFlush((chunk) => flushed.push(chunk));
    expect(flushed).toEqual([]);
    expect((await received).value).toEqual([StdioChannel.STDOUT, "for the host\n"]);
    expect((await stream.next()).done).toBe(true);
  });
});
