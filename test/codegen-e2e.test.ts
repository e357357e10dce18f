// Generated code end to end: a real plugin process serves the generated
// EchoService; the host calls it through the generated client. Every method
// kind, cancellation reaching the server, deadlines, errors with codes and
// metadata both ways, and 16 MiB messages.
import { join } from "node:path";
import { Code, type PluginClient, RpcError, startPlugin } from "@rpcplugin/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EchoServicePlugin } from "../fixtures/codegen/gen/echo/v1/echo_rpcplugin.js";
import { handshake, repoRoot } from "./fixture.js";

const plugins = { echo: EchoServicePlugin };
let plugin: PluginClient<typeof plugins>;
const echo = () => plugin.dispense("echo");

async function events(): Promise<string[]> {
  const { text } = await echo().echo({ text: "events" });
  return text === "" ? [] : text.split(",");
}

/** The plugin's events once `event` is among them, or as they are after a bounded wait (~1 s). */
async function eventsOnce(event: string): Promise<string[]> {
  let seen = await events();
  for (let attempt = 0; attempt < 50 && !seen.includes(event); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen = await events();
  }
  return seen;
}

/** Requests that send `text` and then never half-close: the call stays open until it is cancelled. */
async function* sendThenHold(text: string) {
  yield { text };
  await new Promise(() => {});
}

/** What a call failed with (or "no error"), so the test can look at it after other awaits. */
function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => "no error",
    (error: unknown) => error,
  );
}

/** Reads a response stream to its end; returns the texts received and what it failed with. */
async function readAll(responses: AsyncIterable<{ text: string }>, onResponse = () => {}): Promise<{ texts: string[]; error: unknown }> {
  const texts: string[] = [];
  try {
    for await (const response of responses) {
      texts.push(response.text);
      onResponse();
    }
  } catch (error) {
    return { texts, error };
  }
  return { texts, error: "no error" };
}

beforeAll(async () => {
  plugin = await startPlugin({ command: join(repoRoot, "fixtures", "ts-plugin", "echo-plugin.mjs"), handshake, plugins });
});
afterAll(async () => {
  await plugin?.close();
});

describe("generated client ↔ generated handler in a plugin process", () => {
  it("unary", async () => {
    expect(await echo().echo({ text: "hi" })).toMatchObject({ $typeName: "echo.v1.EchoResponse", text: "hi" });
  });

  it("server streaming", async () => {
    const got: number[] = [];
    for await (const response of echo().expand({ text: "a", count: 5 })) got.push(response.index);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it("client streaming", async () => {
    async function* requests() {
      for (const text of ["x", "y", "z"]) yield { text };
    }
    expect(await echo().collect(requests())).toMatchObject({ text: "x,y,z", index: 3 });
  });

  it("bidi streaming", async () => {
    const got: string[] = [];
    for await (const response of echo().chat([{ text: "one" }, { text: "two" }])) got.push(`${response.index}:${response.text}`);
    expect(got).toEqual(["0:ONE", "1:TWO"]);
  });

  it("an AbortSignal from the client reaches the handler's signal", async () => {
    const controller = new AbortController();
    const call = echo().echo({ text: "sleep:30000" }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: Code.CANCELLED });
    let seen: string[] = [];
    for (let attempt = 0; attempt < 50 && !seen.includes(`aborted:${Code.CANCELLED}`); attempt++) {
      seen = await events();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen).toContain(`aborted:${Code.CANCELLED}`);
  });

  it("breaking out of a server stream cancels it in the plugin", async () => {
    for await (const response of echo().expand({ text: "slow", count: 1000 })) {
      if (response.index === 2) break;
    }
    let seen: string[] = [];
    for (let attempt = 0; attempt < 50 && !seen.includes("expand-cancelled"); attempt++) {
      seen = await events();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen).toContain("expand-cancelled");
  });

  it("a deadline gives DEADLINE_EXCEEDED, and the handler sees it", async () => {
    const error = await echo()
      .echo({ text: "sleep:30000" }, { timeoutMs: 200 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    let seen: string[] = [];
    for (let attempt = 0; attempt < 50 && !seen.includes(`aborted:${Code.DEADLINE_EXCEEDED}`); attempt++) {
      seen = await events();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen).toContain(`aborted:${Code.DEADLINE_EXCEEDED}`);
  });

  // "hold:<tag>" (echo-plugin.mjs): the handler holds the call open on its context.signal and records
  // "<tag>:aborted:<code>" when that signal aborts, with the code of the signal's reason.
  describe("cancellation and deadlines mid-stream", () => {
    it("client streaming: aborting the caller's signal after the first request gives CANCELLED and aborts the handler's signal", async () => {
      const controller = new AbortController();
      const call = failure(echo().collect(sendThenHold("hold:cs-cancel"), { signal: controller.signal }));
      expect(await eventsOnce("cs-cancel:received")).toContain("cs-cancel:received");
      controller.abort();
      const error = await call;
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.CANCELLED);
      expect(await eventsOnce(`cs-cancel:aborted:${Code.CANCELLED}`)).toContain(`cs-cancel:aborted:${Code.CANCELLED}`);
    });

    it("client streaming: a deadline passing after the first request gives DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
      const error = await failure(echo().collect(sendThenHold("hold:cs-deadline"), { timeoutMs: 1000 }));
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
      const seen = await eventsOnce(`cs-deadline:aborted:${Code.DEADLINE_EXCEEDED}`);
      expect(seen).toContain(`cs-deadline:aborted:${Code.DEADLINE_EXCEEDED}`);
      // Mid-stream: the handler had the request before the deadline passed.
      expect(seen.indexOf("cs-deadline:received")).toBeGreaterThanOrEqual(0);
      expect(seen.indexOf("cs-deadline:received")).toBeLessThan(seen.indexOf(`cs-deadline:aborted:${Code.DEADLINE_EXCEEDED}`));
    });

    it("bidi streaming: aborting the caller's signal after the first response gives CANCELLED and aborts the handler's signal", async () => {
      const controller = new AbortController();
      const { texts, error } = await readAll(echo().chat(sendThenHold("hold:bidi-cancel"), { signal: controller.signal }), () => controller.abort());
      expect(texts).toEqual(["holding"]);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.CANCELLED);
      expect(await eventsOnce(`bidi-cancel:aborted:${Code.CANCELLED}`)).toContain(`bidi-cancel:aborted:${Code.CANCELLED}`);
    });

    it("bidi streaming: a deadline passing after the first response gives DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
      const { texts, error } = await readAll(echo().chat(sendThenHold("hold:bidi-deadline"), { timeoutMs: 1000 }));
      expect(texts).toEqual(["holding"]);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
      expect(await eventsOnce(`bidi-deadline:aborted:${Code.DEADLINE_EXCEEDED}`)).toContain(`bidi-deadline:aborted:${Code.DEADLINE_EXCEEDED}`);
    });

    it("server streaming: aborting the caller's signal after the first response gives CANCELLED and aborts the handler's signal", async () => {
      const controller = new AbortController();
      const { texts, error } = await readAll(echo().expand({ text: "hold:ss-cancel" }, { signal: controller.signal }), () => controller.abort());
      expect(texts).toEqual(["holding"]);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.CANCELLED);
      expect(await eventsOnce(`ss-cancel:aborted:${Code.CANCELLED}`)).toContain(`ss-cancel:aborted:${Code.CANCELLED}`);
    });

    it("server streaming: a deadline passing after the first response gives DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
      const { texts, error } = await readAll(echo().expand({ text: "hold:ss-deadline" }, { timeoutMs: 1000 }));
      expect(texts).toEqual(["holding"]);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Code.DEADLINE_EXCEEDED);
      expect(await eventsOnce(`ss-deadline:aborted:${Code.DEADLINE_EXCEEDED}`)).toContain(`ss-deadline:aborted:${Code.DEADLINE_EXCEEDED}`);
    });
  });

  it("errors keep their code, message and trailers; metadata goes both ways", async () => {
    const error = await echo()
      .fail({ code: Code.FAILED_PRECONDITION, message: "not yet" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ code: Code.FAILED_PRECONDITION, rawMessage: "not yet" });
    expect((error as RpcError).metadata.get("x-detail")).toEqual(["more about it"]);

    let trailer: string[] = [];
    const response = await echo().echo(
      { text: "meta" },
      { metadata: { "x-test": "from-host" }, onTrailer: (metadata) => (trailer = metadata.get("x-reply") as string[]) },
    );
    expect(response.text).toBe("from-host");
    expect(trailer).toEqual(["from-plugin"]);
  });

  it("16 MiB messages both ways", async () => {
    const size = 16 * 1024 * 1024;
    const big = "y".repeat(size);
    expect(await echo().collect([{ text: big }])).toMatchObject({ text: `<${size}>`, index: size });
    let received = 0;
    for await (const response of echo().expand({ text: `big:${size}`, count: 1 })) received += response.text.length;
    expect(received).toBe(size);
  });
});
