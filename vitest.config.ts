import { defineConfig } from "vitest/config";

/**
 * The suites that run real connections between processes (our hosts and
 * plugins, go-plugin's, Terraform's). They run twice: on the default engine
 * (h2) with everything else, and again with PLUGIN_RPC_ENGINE=grpc-js, which
 * the TS hosts read and the TS plugins they (or Go hosts, or Terraform)
 * launch inherit, so the whole interop matrix runs on both engines we ship.
 */
const engineMatrix = [
  "test/interop-go-host.test.ts",
  "test/interop-ts-host.test.ts",
  "test/ts-host-ts-plugin.test.ts",
  "test/yamux-interop.test.ts",
  "test/bad-inputs.test.ts",
  "test/stdio-before-handshake.test.ts",
  "test/production-tls.test.ts",
  "test/production-shutdown.test.ts",
  "test/production-telemetry.test.ts",
  "test/terraform-e2e.test.ts",
  "test/terraform-modes.test.ts",
  "test/terraform-provider.test.ts",
  "test/cli-bundle.test.ts",
  "test/pyvider-interop.test.ts",
];

const nodeHttp2Matrix = ["packages/runtime/src/rpc/**/*.test.ts", "test/interop-go-host.test.ts", "test/interop-ts-host.test.ts", "test/bad-inputs.test.ts"];

export default defineConfig({
  test: {
    // Interop tests spawn real processes and build Go binaries on first use.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Fails the run when a process it started, or a socket file, outlives it.
    globalSetup: ["test/support/leak-check.ts"],
    projects: [
      {
        extends: true,
        test: { name: "h2", include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "grpc-js", include: engineMatrix, env: { PLUGIN_RPC_ENGINE: "grpc-js" } },
      },
      {
        // The h2 engine on node:http2 instead of the runtime's own HTTP/2 (PLUGIN_H2_HTTP2=node):
        // the rpc suites and the go-plugin interop both ways.
        extends: true,
        test: { name: "node-http2", include: nodeHttp2Matrix, exclude: ["packages/runtime/src/rpc/http2/**"], env: { PLUGIN_H2_HTTP2: "node" } },
      },
    ],
  },
});
