// A PATH on which no `node` can be found, for running built executables as users without Node
// would: the directories of PATH that hold no node, and one folder of links to the few tools
// hosts need (go-plugin's examples run plugins through `sh -c`). On many machines node sits in
// /usr/bin beside sh, so dropping directories alone would drop sh too.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathWithoutNode } from "../../packages/cli/src/build.js";

const TOOLS = ["sh", "env", "cat", "ls", "rm", "mkdir"];

/** `{ PATH }` without node, and a cleanup for its folder of links. */
export function noNodePath(): { env: { PATH: string }; cleanup: () => void } {
  const tools = mkdtempSync(path.join(os.tmpdir(), "rpcplugin-no-node-"));
  mkdirSync(tools, { recursive: true });
  const dirs = (process.env.PATH ?? "").split(path.delimiter);
  for (const tool of TOOLS) {
    const found = dirs.map((dir) => path.join(dir, tool)).find((file) => existsSync(file));
    if (found) symlinkSync(found, path.join(tools, tool));
  }
  const rest = pathWithoutNode(process.env.PATH ?? "");
  return { env: { PATH: rest === "" ? tools : `${tools}${path.delimiter}${rest}` }, cleanup: () => rmSync(tools, { recursive: true, force: true }) };
}
