import { main } from "../../packages/cli/src/main.js";

/** Runs the rpcplugin CLI in this process: its exit code and everything it printed. */
export async function runCli(argv: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await main(argv, (text) => {
    output += text;
  });
  return { code, output };
}
