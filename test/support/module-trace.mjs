// `node --import <this file>`: appends the URL of every module the process loads to the file
// named by MODULE_TRACE_FILE, one per line (tests that check what a process does not load).
import { appendFileSync } from "node:fs";
import { register } from "node:module";

register(new URL("./module-trace-hooks.mjs", import.meta.url), import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });

// Built-ins do not pass the hooks (a require of "node:http2" from CommonJS does not): at exit,
// the process's own list of the built-ins it loaded is appended as `node:<name>` lines.
process.once("exit", () => {
  const file = process.env.MODULE_TRACE_FILE;
  if (!file) return;
  const builtins = (process.moduleLoadList ?? []).filter((entry) => entry.startsWith("NativeModule ")).map((entry) => `node:${entry.slice(13)}`);
  appendFileSync(file, `${builtins.join("\n")}\n`);
});
