// The server and client suites with the h2 engine serving and the grpc-js engine calling.
import { useEngines } from "./testdata/harness.js";

useEngines("h2", "grpc-js");
await import("./server.test.js");
await import("./client.test.js");
