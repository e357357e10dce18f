/**
 * A small JSON reader that keeps what `JSON.parse` loses: numbers stay as their exact text,
 * objects keep every key (`__proto__` included) in order and duplicates are reported.
 */
import { CtyError } from "./errors.js";

/** A parsed JSON value: numbers as {@link JsonNumber}, objects as Maps. */
export type JsonNode = null | boolean | string | JsonNumber | JsonNode[] | Map<string, JsonNode>;

/** A JSON number, as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** Parses JSON text; throws {@link CtyError} with the offset of the first problem. */
export function parseJson(text: string): JsonNode {
  let pos = 0;

  const fail = (what: string): never => {
    throw new CtyError(`malformed JSON at offset ${pos}: ${what}`);
  };
  const skipWhitespace = () => {
    WHITESPACE.lastIndex = pos;
    WHITESPACE.exec(text);
    pos = WHITESPACE.lastIndex;
  };
  const expect = (c: string) => {
    skipWhitespace();
    if (text[pos] !== c) fail(`expected ${JSON.stringify(c)}, found ${pos < text.length ? JSON.stringify(text[pos]) : "end of input"}`);
    pos++;
  };

  const readString = (): string => {
    // text[pos] is the opening quote; find the closing one, then let JSON.parse unescape.
    const start = pos;
    pos++;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) fail("unterminated string");
      if (c === 0x22) break;
      if (c === 0x5c) pos++;
      else if (c < 0x20) fail("control character in string");
      pos++;
    }
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return fail("bad escape in string");
    }
  };

  const readValue = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    skipWhitespace();
    const c = text[pos];
    if (c === "{") {
      pos++;
      const result = new Map<string, JsonNode>();
      skipWhitespace();
      if (text[pos] === "}") {
        pos++;
        return result;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail("expected an object key");
        const key = readString();
        if (result.has(key)) fail(`duplicate object key ${JSON.stringify(key)}`);
        expect(":");
        result.set(key, readValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        expect("}");
        return result;
      }
    }
    if (c === "[") {
      pos++;
      const result: JsonNode[] = [];
      skipWhitespace();
      if (text[pos] === "]") {
        pos++;
        return result;
      }
      for (;;) {
        result.push(readValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        expect("]");
        return result;
      }
    }
    if (c === '"') return readString();
    if (text.startsWith("true", pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith("false", pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null || m[0] === "") return fail(`unexpected ${c === undefined ? "end of input" : JSON.stringify(c)}`);
    pos = NUMBER.lastIndex;
    return new JsonNumber(m[0]);
  };

  const value = readValue(0);
  skipWhitespace();
  if (pos !== text.length) fail("unexpected text after the value");
  return value;
}
