/**
 * hclog, the log format go-plugin speaks on a plugin's stderr.
 *
 * Plugin side: {@link createLogger} writes one JSON object per line with
 * `@level`, `@message`, `@timestamp` (exactly 6 fractional digits, or a Go
 * host demotes the line to debug), `@module` and the caller's fields.
 *
 * Host side: {@link createStderrParser} turns each stderr line into a
 * {@link LogRecord} as go-plugin's host does: hclog JSON objects keep their
 * level and fields; other lines are text, levelled by a `[LEVEL]` prefix, and
 * a `panic: `/`fatal error: ` line raises it and all later text to error.
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

const levelRank: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** Whether `level` is at least `threshold`. */
export function levelAtLeast(level: LogLevel, threshold: LogLevel): boolean {
  return levelRank[level] >= levelRank[threshold];
}

/** One structured log record from a plugin. */
export interface LogRecord {
  level: LogLevel;
  message: string;
  /** When the plugin logged it (hclog JSON only). */
  timestamp: Date | undefined;
  /** hclog's `@module` (the logger name), if any. */
  module: string | undefined;
  /** The other key/value pairs of the record. */
  fields: Record<string, unknown>;
  /** The line as the plugin wrote it. */
  raw: string;
}

/** A plugin-side logger writing hclog JSON lines. */
export interface Logger {
  trace(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose `@module` is this one's name + "." + `name`. */
  named(name: string): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** `@module` of every record. */
  name?: string;
  /** Records below this level are dropped (default trace, as go-plugin). */
  level?: LogLevel;
  /** Where each line (with its `\n`) goes. */
  write: (line: string) => void;
}

/** Creates an hclog JSON logger. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = options.level ?? "trace";
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> | undefined) => {
    if (!levelAtLeast(level, threshold)) return;
    const record: Record<string, unknown> = {
      "@level": level,
      "@message": message,
      "@timestamp": formatTimestamp(new Date(), microsecondsNow()),
    };
    if (options.name) record["@module"] = options.name;
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        if (!key.startsWith("@")) record[key] = value instanceof Error ? value.message : value;
      }
    }
    options.write(`${safeStringify(record)}\n`);
  };
  return {
    trace: (message, fields) => emit("trace", message, fields),
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    named: (name) => createLogger({ ...options, name: options.name ? `${options.name}.${name}` : name }),
  };
}

function microsecondsNow(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1000;
}

/** Go's `2006-01-02T15:04:05.000000Z07:00` in UTC: always 6 fractional digits. */
export function formatTimestamp(date: Date, extraMicroseconds = 0): string {
  const iso = date.toISOString(); // 2026-01-02T15:04:05.123Z
  return `${iso.slice(0, 23)}${String(extraMicroseconds).padStart(3, "0")}Z`;
}

function safeStringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  } catch {
    return JSON.stringify({ ...record, "@message": String(record["@message"]), fields_error: "fields not serializable" });
  }
}

const levelNames = new Set<string>(["trace", "debug", "info", "warn", "error"]);
const textPrefix = /^\[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s*/;
const timestampPattern = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})(Z|[+-]\d{2}:\d{2})$/;

/** Parses stderr lines in order; stateful because a panic raises all later text lines to error. */
export interface StderrParser {
  parse(line: string): LogRecord;
}

/** Creates a parser for one plugin's stderr. */
export function createStderrParser(): StderrParser {
  let panicking = false;
  const text = (line: string): LogRecord => {
    if (line.startsWith("panic: ") || line.startsWith("fatal error: ")) panicking = true;
    const prefix = textPrefix.exec(line);
    let level: LogLevel = "debug";
    let message = line;
    if (panicking) level = "error";
    else if (prefix) {
      level = (prefix[1] as string).toLowerCase() as LogLevel;
      message = line.slice(prefix[0].length);
    }
    return { level, message, timestamp: undefined, module: undefined, fields: {}, raw: line };
  };
  return {
    parse(line) {
      if (!line.startsWith("{")) return text(line);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return text(line);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return text(line);
      const { "@level": level, "@message": message, "@timestamp": timestamp, "@module": module, ...fields } = parsed as Record<string, unknown>;
      const normalized = typeof level === "string" ? level.trim().toLowerCase() : undefined;
      // go-plugin logs JSON it cannot level as the raw line at debug.
      if (normalized === undefined || !levelNames.has(normalized)) return { ...text(line), level: "debug", message: line };
      return {
        level: normalized as LogLevel,
        message: typeof message === "string" ? message : String(message ?? ""),
        timestamp: parseTimestamp(timestamp),
        module: typeof module === "string" ? module : undefined,
        fields,
        raw: line,
      };
    },
  };
}

function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const match = timestampPattern.exec(value);
  if (!match) return undefined;
  const date = new Date(`${match[1]}${match[2]}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Formats a record as one human-readable line, hclog's text style: `[INFO]  plugin.kv: message: k=v`. */
export function formatLogRecord(record: LogRecord, loggerName: string): string {
  const name = record.module ? `${loggerName}.${record.module}` : loggerName;
  const fields = Object.entries(record.fields)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const level = `[${record.level.toUpperCase()}]`.padEnd(7);
  return `${level} ${name}: ${record.message}${fields ? `: ${fields}` : ""}`;
}
