import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { reattachPlugin } from "../host/client.js";
import { createLogger } from "../log.js";
import { clientPlugin, servicePlugin } from "../protocol/plugins.js";
import { EchoService } from "../rpc/testdata/gen/echo_pb.js";
import { serveUnmanaged } from "./serve-unmanaged.js";

const quietLogger = createLogger({ write: () => {} });
const echoPlugin = servicePlugin(EchoService, { echo: ({ text }) => ({ text: `echo ${text}` }) });

describe("serveUnmanaged", () => {
  it("serves plaintext for many reattaching hosts in turn, then removes its socket", async () => {
    const served = await serveUnmanaged({ plugins: { echo: echoPlugin }, protocolVersion: 6, logger: quietLogger });
    expect(served.reattachConfig).toEqual({
      protocol: "grpc",
      protocolVersion: 6,
      pid: process.pid,
      test: true,
      address: served.address,
    });
    expect(served.address.network).toBe("unix");
    for (const round of [1, 2, 3]) {
      const host = await reattachPlugin(served.reattachConfig, { protocolVersion: 6, plugins: { echo: clientPlugin(EchoService) } });
      const client = host.dispense("echo");
      expect(await client.echo({ text: `round ${round}` })).toMatchObject({ text: `echo round ${round}` });
      await host.close();
    }
    await served.stop();
    await served.stopped;
    expect(existsSync(served.address.address)).toBe(false);
  });

  it("stops when its signal aborts", async () => {
    const controller = new AbortController();
    const served = await serveUnmanaged({ plugins: { echo: echoPlugin }, protocolVersion: 5, logger: quietLogger, signal: controller.signal });
    controller.abort();
    await served.stopped;
    expect(existsSync(served.address.address)).toBe(false);
  });
});
