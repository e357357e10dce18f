import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // Interop tests spawn real processes and build Go binaries on first use.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
