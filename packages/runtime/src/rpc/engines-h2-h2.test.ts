// The server and client suites with the h2 engine serving and the h2 engine calling.
import { useEngines } from "./testdata/harness.js";

useEngines("h2", "h2");
await import("./server.test.js");
await import("./client.test.js");
