// The server and client suites with the grpc-js engine serving and the h2 engine calling.
import { useEngines } from "./testdata/harness.js";

useEngines("grpc-js", "h2");
await import("./server.test.js");
await import("./client.test.js");
