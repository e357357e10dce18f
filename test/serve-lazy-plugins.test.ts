// serve() with plugin set loaders (ServeOptions.versionedPlugins values that are functions):
// only the negotiated version's loader runs, before the plugin listens; a failing loader is a
// failed start the host sees with the loader's message.
import { join } from "node:path";
import { PluginExitedError, startPlugin } from "@rpcplugin/runtime";
import { describe, expect, it } from "vitest";
import { EchoServicePlugin } from "../fixtures/codegen/gen/echo/v1/echo_rpcplugin.js";
import { handshake, repoRoot, tempDir } from "./fixture.js";

const command = join(repoRoot, "fixtures", "ts-plugin", "lazy-versions-plugin.mjs");
const set = { echo: EchoServicePlugin };

async function servedBy(versions: number[]): Promise<{ version: number; loaded: string; answer: string }> {
  const dir = tempDir();
  const plugin = await startPlugin({
    command,
    handshake,
    versionedPlugins: Object.fromEntries(versions.map((v) => [v, set])),
    env: { TMPDIR: dir.path },
  });
  try {
    const echo = plugin.dispense("echo");
    const { text: loaded } = await echo.echo({ text: "loaded" });
    const { text: answer } = await echo.echo({ text: "hi" });
    return { version: plugin.protocolVersion, loaded, answer };
  } finally {
    await plugin.close();
    dir.cleanup();
  }
}

async function startError(versions: number[]): Promise<unknown> {
  const dir = tempDir();
  try {
    return await startPlugin({ command, handshake, versionedPlugins: Object.fromEntries(versions.map((v) => [v, set])), env: { TMPDIR: dir.path } }).then(
      async (plugin) => {
        await plugin.close();
        throw new Error(`the plugin started at version ${plugin.protocolVersion}`);
      },
      (error: unknown) => error,
    );
  } finally {
    dir.cleanup();
  }
}

describe("serve(): versionedPlugins loaders", () => {
  it("runs only the negotiated version's loader (sync loader)", async () => {
    expect(await servedBy([1, 2])).toEqual({ version: 2, loaded: "2", answer: "v2:hi" });
  });

  it("runs only the negotiated version's loader (async loader), none of the others", async () => {
    expect(await servedBy([1, 2, 3])).toEqual({ version: 3, loaded: "3", answer: "v3:hi" });
  });

  it("runs no loader when the negotiated version is a plain plugin set", async () => {
    expect(await servedBy([1])).toEqual({ version: 1, loaded: "", answer: "v1:hi" });
  });

  it("a loader that throws fails the start, and the host sees its message", async () => {
    const error = await startError([4]);
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).exitCode).toBe(1);
    expect((error as PluginExitedError).stderrTail.join("\n")).toContain("fixture: the version 4 loader fails on purpose");
  });

  it("a loader that returns no plugin set fails the start with a message naming the version", async () => {
    const error = await startError([5]);
    expect(error).toBeInstanceOf(PluginExitedError);
    expect((error as PluginExitedError).stderrTail.join("\n")).toContain("the loader of versionedPlugins[5] returned null");
  });
});
