// `rpcplugin <command> --help` (or -h) prints that command's usage and exits 0; for probe, a
// --help after `--` belongs to the plugin's command line, not to probe.
import { describe, expect, it } from "vitest";
import { runCli as run } from "./support/cli.js";

describe("rpcplugin --help", () => {
  it.each(["probe", "scaffold", "bundle", "build", "release", "docs"])("%s --help and -h print the command's usage, exit 0", async (command) => {
    for (const flag of ["--help", "-h"]) {
      const { code, output } = await run([command, flag]);
      expect(code).toBe(0);
      expect(output.startsWith(`Usage:\n  rpcplugin ${command} `)).toBe(true);
    }
  });

  it("a --help after probe's -- is the plugin's argument", async () => {
    const { code, output } = await run(["probe", "--", "some-plugin", "--help"]);
    expect(code).toBe(2);
    expect(output).toContain("--cookie KEY=VALUE is required");
  });

  it("no command: the whole usage and exit 2; help: exit 0; an unknown one, even an Object.prototype name: exit 2", async () => {
    expect(await run([])).toMatchObject({ code: 2, output: expect.stringContaining("rpcplugin release") });
    expect(await run(["help"])).toMatchObject({ code: 0, output: expect.stringContaining("rpcplugin probe") });
    for (const name of ["nope", "constructor", "__proto__"]) {
      expect(await run([name, "--help"])).toMatchObject({ code: 2, output: expect.stringContaining(`unknown command "${name}"`) });
    }
  });
});
