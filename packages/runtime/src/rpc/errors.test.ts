import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { Code, codeName } from "./code.js";
import { RpcError } from "./errors.js";

describe("Code", () => {
  it("matches grpc-js's status numbers", () => {
    for (const [name, value] of Object.entries(grpc.status)) {
      if (typeof value === "number") expect(Code[name as keyof typeof Code]).toBe(value);
    }
    expect(Code.UNAUTHENTICATED).toBe(16);
  });

  it("names codes in lower snake case", () => {
    expect(codeName(Code.NOT_FOUND)).toBe("not_found");
    expect(codeName(Code.DEADLINE_EXCEEDED)).toBe("deadline_exceeded");
    expect(codeName(99 as Code)).toBe("code_99");
  });
});

describe("RpcError", () => {
  it("formats its message as [code] rawMessage", () => {
    const error = new RpcError("no such key", Code.NOT_FOUND, { metadata: { "x-key": "k1" } });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("[not_found] no such key");
    expect(error.rawMessage).toBe("no such key");
    expect(error.code).toBe(Code.NOT_FOUND);
    expect(error.metadata.get("x-key")).toEqual(["k1"]);
    expect(error.name).toBe("RpcError");
    expect(new RpcError("").message).toBe("[unknown]");
  });

  it("keeps its cause", () => {
    const cause = new Error("disk on fire");
    expect(new RpcError("failed", Code.INTERNAL, { cause }).cause).toBe(cause);
  });

  it("from() returns an RpcError as it is", () => {
    const error = new RpcError("x", Code.ABORTED);
    expect(RpcError.from(error)).toBe(error);
  });

  it("from() turns other errors into the fallback code, keeping message and cause", () => {
    const cause = new TypeError("bad");
    const error = RpcError.from(cause);
    expect(error.code).toBe(Code.UNKNOWN);
    expect(error.rawMessage).toBe("bad");
    expect(error.cause).toBe(cause);
    expect(RpcError.from("text", Code.INTERNAL).message).toBe("[internal] text");
  });

  it("from() keeps the status of a grpc-js ServiceError", () => {
    const metadata = new grpc.Metadata();
    metadata.set("x-trailer", "t");
    const serviceError = Object.assign(new Error("5 NOT_FOUND: gone"), { code: grpc.status.NOT_FOUND, details: "gone", metadata });
    const error = RpcError.from(serviceError);
    expect(error.code).toBe(Code.NOT_FOUND);
    expect(error.rawMessage).toBe("gone");
    expect(error.metadata.get("x-trailer")).toEqual(["t"]);
    expect(error.cause).toBe(serviceError);
  });

  it("from() ignores Node's string error codes", () => {
    const error = RpcError.from(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
    expect(error.code).toBe(Code.UNKNOWN);
  });

  it("from() maps AbortError to CANCELLED and TimeoutError to DEADLINE_EXCEEDED", () => {
    expect(RpcError.from(new DOMException("aborted", "AbortError")).code).toBe(Code.CANCELLED);
    expect(RpcError.from(new DOMException("timed out", "TimeoutError")).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("converts to a grpc-js status, adding its metadata to given trailers", () => {
    const trailers = new grpc.Metadata();
    trailers.set("x-a", "1");
    const error = new RpcError("denied", Code.PERMISSION_DENIED, { metadata: { "x-b": "2" } });
    const status = error.toStatus(trailers);
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toBe("denied");
    expect(status.metadata.getMap()).toEqual({ "x-a": "1", "x-b": "2" });
    expect(trailers.getMap()).toEqual({ "x-a": "1" });
    expect(RpcError.fromStatus(status).message).toBe("[permission_denied] denied");
  });
});
