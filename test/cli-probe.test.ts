// `rpcplugin probe` against real plugins: ours, go-plugin's, one without
// gRPC reflection, and a broken one.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/main.js";
import { fixturePlugin, repoRoot } from "./fixture.js";
import { buildGo, describeGo } from "./support/go.js";

async function probe(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  let output = "";
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(["probe", ...args], (text) => {
      output += text;
    });
    return { code, output };
  } finally {
    process.env = saved;
  }
}

// What go-plugin's own TestGRPC_Reflection expects a plugin to serve, plus the app's KV.
const lifecycleServices = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "plugin.GRPCBroker",
  "plugin.GRPCController",
  "plugin.GRPCStdio",
  "proto.KV",
];

/** The value of probe's `label:` line (labels are padded to 14 columns), or undefined without one. */
function lineOf(output: string, label: string): string | undefined {
  const prefix = `${label}:`.padEnd(14);
  return output
    .split("\n")
    .find((line) => line.startsWith(prefix))
    ?.slice(prefix.length);
}

/** Network and address as the handshake line (core|app|network|address|protocol|…) gives them. */
function handshakeAddress(output: string): string {
  const [, , network, address] = (lineOf(output, "handshake") ?? "").split("|");
  return `${network} ${address}`;
}

function servicesOf(output: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.startsWith("services:"));
  const services = [lines[start]?.slice(14) ?? ""];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(" ")) break;
    services.push(line.trim());
  }
  return services;
}

describe("rpcplugin probe", () => {
  it("reports a TypeScript plugin with AutoMTLS and stops it", async () => {
    const { code, output } = await probe(["--cookie", "BASIC_PLUGIN=hello", "--tls", "--", fixturePlugin]);
    expect(code).toBe(0);
    expect(output).toMatch(/^handshake: {4}1\|1\|unix\|\/.*\/plugin\d+\|grpc\|[A-Za-z0-9+/]{100,}$/m);
    expect(lineOf(output, "core version")).toBe("1");
    expect(output).toContain("app version:  1 (offered: 1,2,3,4,5,6,7,8,9,10)");
    expect(lineOf(output, "transport")).toMatch(/^unix \/.*\/plugin\d+$/);
    expect(lineOf(output, "transport")).toBe(handshakeAddress(output));
    expect(lineOf(output, "protocol")).toBe("grpc");
    // The host never asks for go-plugin's broker multiplexing (PLUGIN_MULTIPLEX_GRPC), so none is negotiated.
    expect(lineOf(output, "multiplexing")).toBe("no");
    expect(output).toMatch(/^tls: {10}on — O=rpcplugin, CN=localhost; ECDSA prime256v1; DNS:localhost/m);
    expect(output).toContain('health:       SERVING (grpc.health.v1 "plugin")');
    expect(servicesOf(output)).toEqual(lifecycleServices);
    expect(output).toMatch(/^shutdown: {5}exit code 0 after \d+ ms$/m);
  });

  it("reports TLS off and the highest offered version the plugin serves", async () => {
    const { code, output } = await probe(["--cookie", "BASIC_PLUGIN=hello", "--versions", "1,2,3", "--", fixturePlugin], { FIXTURE_VERSIONS: "1,2" });
    expect(code).toBe(0);
    expect(output).toContain("app version:  2 (offered: 1,2,3)");
    expect(output).toContain("tls:          off (no certificate in the handshake)");
  });

  it("says when a plugin does not serve gRPC reflection (a TCP plugin without it, like go-plugin's Python example)", async () => {
    const plugin = join(repoRoot, "fixtures", "ts-plugin", "no-reflection-plugin.mjs");
    const { code, output } = await probe(["--cookie", "BASIC_PLUGIN=hello", "--", plugin]);
    expect(code).toBe(0);
    expect(output).toMatch(/^handshake: {4}1\|1\|tcp\|127\.0\.0\.1:\d+\|grpc$/m);
    expect(lineOf(output, "core version")).toBe("1");
    expect(lineOf(output, "app version")).toBe("1 (offered: 1,2,3,4,5,6,7,8,9,10)");
    expect(lineOf(output, "transport")).toMatch(/^tcp 127\.0\.0\.1:\d+$/);
    expect(lineOf(output, "transport")).toBe(handshakeAddress(output));
    expect(lineOf(output, "multiplexing")).toBe("no");
    expect(lineOf(output, "tls")).toBe("off (no certificate in the handshake)");
    expect(lineOf(output, "health")).toBe('SERVING (grpc.health.v1 "plugin")');
    expect(lineOf(output, "services")).toBe("(the plugin does not serve gRPC reflection)");
    expect(servicesOf(output)).toEqual(["(the plugin does not serve gRPC reflection)"]);
    expect(lineOf(output, "shutdown")).toMatch(/^exit code 0 after \d+ ms$/);
  });

  it("prints the cause and the stderr tail of a plugin that will not start, and exits 1", async () => {
    const { code, output } = await probe(["--cookie", "BASIC_PLUGIN=hello", "--", fixturePlugin], { FIXTURE_MODE: "exit-early" });
    expect(code).toBe(1);
    expect(output).toContain("result:       the plugin did not start");
    expect(output).toContain("PluginExitedError: plugin exited before we could connect (no handshake line on stdout): plugin exited with exit code 3");
    expect(output).toContain("  fixture: failing before the handshake on purpose");
  });

  it("explains a wrong cookie", async () => {
    const { code, output } = await probe(["--cookie", "BASIC_PLUGIN=nope", "--", fixturePlugin]);
    expect(code).toBe(1);
    expect(output).toContain("This binary is a plugin. These are not meant to be executed directly.");
  });

  it("rejects bad usage with exit 2", async () => {
    expect((await probe(["--", fixturePlugin])).output).toContain("--cookie KEY=VALUE is required");
    expect((await probe(["--cookie", "x", "--", fixturePlugin])).code).toBe(2);
    expect((await probe(["--cookie", "A=b"])).output).toContain("give the plugin command after --");
    expect((await probe(["--bogus", "--", "x"])).code).toBe(2);
  });
});

describeGo("rpcplugin probe on a Go plugin", () => {
  it("reports go-plugin's P-521 certificate and the same service list", async () => {
    const plugin = await buildGo("kvplugin", "./cmd/kvplugin");
    const { code, output } = await probe(["--cookie", "BASIC_PLUGIN=hello", "--tls", "--", plugin]);
    expect(code).toBe(0);
    expect(lineOf(output, "core version")).toBe("1");
    expect(lineOf(output, "app version")).toBe("1 (offered: 1,2,3,4,5,6,7,8,9,10)");
    expect(lineOf(output, "transport")).toMatch(/^unix \/.*\/plugin\d+$/);
    expect(lineOf(output, "transport")).toBe(handshakeAddress(output));
    expect(lineOf(output, "multiplexing")).toBe("no");
    expect(output).toMatch(/^tls: {10}on — O=HashiCorp, CN=localhost; ECDSA secp521r1; DNS:localhost/m);
    // go-plugin's Go server always registers reflection (grpc_server.go: reflection.Register).
    expect(servicesOf(output)).toEqual(lifecycleServices);
    expect(lineOf(output, "shutdown")).toMatch(/^exit code 0 after \d+ ms$/);
  });
});
