import { describe, expect, it } from "vitest";
import { createLogger, createStderrParser, formatLogRecord, formatTimestamp } from "./log.js";

describe("createLogger", () => {
  it("writes hclog JSON with a 6-digit timestamp, module and fields", () => {
    const lines: string[] = [];
    const logger = createLogger({ name: "kv", write: (line) => lines.push(line) });
    logger.named("store").info("stored", { key: "a", size: 3, "@level": "ignored" });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    const record = JSON.parse(lines[0] as string);
    expect(record).toMatchObject({ "@level": "info", "@message": "stored", "@module": "kv.store", key: "a", size: 3 });
    expect(record["@timestamp"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });
  it("drops records below its level", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", write: (line) => lines.push(line) });
    logger.info("no");
    logger.error("yes");
    expect(lines.map((line) => JSON.parse(line)["@message"])).toEqual(["yes"]);
  });
  it("formats timestamps as Go's layout", () => {
    expect(formatTimestamp(new Date("2026-01-02T15:04:05.123Z"), 45)).toBe("2026-01-02T15:04:05.123045Z");
  });
});

describe("createStderrParser", () => {
  it("reads hclog JSON records with level, module, time and fields", () => {
    const parser = createStderrParser();
    const line = '{"@level":"warn","@message":"disk","@module":"kv","@timestamp":"2026-01-02T15:04:05.123456+01:00","free":12}';
    const record = parser.parse(line);
    expect(record).toMatchObject({ level: "warn", message: "disk", module: "kv", fields: { free: 12 }, raw: line });
    expect(record.timestamp?.toISOString()).toBe("2026-01-02T14:04:05.123Z");
  });
  it("ignores a timestamp without exactly 6 fractional digits", () => {
    const record = createStderrParser().parse('{"@level":"info","@message":"m","@timestamp":"2026-01-02T15:04:05.123Z"}');
    expect(record.level).toBe("info");
    expect(record.timestamp).toBeUndefined();
  });
  it("treats non-object JSON and unknown levels as debug text", () => {
    const parser = createStderrParser();
    expect(parser.parse("[1,2]")).toMatchObject({ level: "debug", message: "[1,2]" });
    expect(parser.parse('{"@level":"warning","@message":"m"}')).toMatchObject({ level: "debug", message: '{"@level":"warning","@message":"m"}' });
    expect(parser.parse("{not json")).toMatchObject({ level: "debug" });
  });
  it("levels text by prefix and raises everything after a panic to error", () => {
    const parser = createStderrParser();
    expect(parser.parse("[WARN] careful")).toMatchObject({ level: "warn", message: "careful" });
    expect(parser.parse("plain")).toMatchObject({ level: "debug", message: "plain" });
    expect(parser.parse("panic: boom")).toMatchObject({ level: "error" });
    expect(parser.parse("goroutine 1 [running]:")).toMatchObject({ level: "error" });
  });
  it("formats records like hclog text", () => {
    const record = createStderrParser().parse('{"@level":"info","@message":"hi","@module":"kv","n":1}');
    expect(formatLogRecord(record, "plugin")).toBe("[INFO]  plugin.kv: hi: n=1");
  });
});
