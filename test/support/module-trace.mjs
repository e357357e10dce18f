// `node --import <this file>`: appends the URL of every module the process loads to the file
// named by MODULE_TRACE_FILE, one per line (tests that check what a process does not load).
import { register } from "node:module";

register(new URL("./module-trace-hooks.mjs", import.meta.url), import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });
