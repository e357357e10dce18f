import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { formatReattachProviders, parseReattachProviders } from "./reattach.js";

describe("TF_REATTACH_PROVIDERS", () => {
  const json =
    '{"registry.terraform.io/hashicorp/files":{"Protocol":"grpc","ProtocolVersion":6,"Pid":4242,"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin123"}}}';

  it("parses Terraform's shape", () => {
    expect(parseReattachProviders(json)).toEqual({
      "registry.terraform.io/hashicorp/files": {
        protocol: "grpc",
        protocolVersion: 6,
        pid: 4242,
        test: true,
        address: { network: "unix", address: "/tmp/plugin123" },
      },
    });
  });

  it("round-trips", () => {
    expect(formatReattachProviders(parseReattachProviders(json))).toBe(json);
  });

  it("names what is wrong", () => {
    expect(() => parseReattachProviders("{")).toThrow(/Invalid format for TF_REATTACH_PROVIDERS/);
    expect(() => parseReattachProviders("[]")).toThrow(ConfigError);
    expect(() => parseReattachProviders('{"p":{"Protocol":"netrpc","Addr":{"Network":"unix","String":"/x"}}}')).toThrow(
      /entry "p": Protocol "netrpc" is not supported/,
    );
    expect(() => parseReattachProviders('{"p":{"Protocol":"grpc","Addr":{"Network":"udp","String":"x"}}}')).toThrow(
      /Addr.Network must be "unix" or "tcp", got "udp"/,
    );
    expect(() => parseReattachProviders('{"p":{"Protocol":"grpc","Addr":{"Network":"tcp"}}}')).toThrow(/Addr.String/);
  });
});
