/**
 * HPACK (RFC 7541): the header compression of HTTP/2. The decoder takes all
 * of the format (indexed fields, the three literal kinds, dynamic table size
 * updates, Huffman-coded strings), since peers such as grpc-go use all of it;
 * the encoder indexes what repeats (a gRPC connection sends the same few
 * headers on every call, which then cost a byte each) and writes literals
 * without Huffman coding.
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffman-table.js";

/** A header field: lowercase name, value. */
export type HeaderField = readonly [name: string, value: string];

/** A violation of HPACK by the peer: the connection ends with COMPRESSION_ERROR. */
export class HpackError extends Error {
  override name = "HpackError";
}

const STATIC_TABLE: readonly HeaderField[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** Index (1-based) of each static name's first entry and of each static name+value pair. */
const STATIC_NAMES = new Map<string, number>();
const STATIC_PAIRS = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!STATIC_NAMES.has(name)) STATIC_NAMES.set(name, i + 1);
  if (value !== "") STATIC_PAIRS.set(`${name}\0${value}`, i + 1);
});

/** An entry's size in the dynamic table (RFC 7541 §4.1). */
function entrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

/** Huffman decoding trie: node n's children are at 2n and 2n+1; a leaf holds -1 - symbol. */
const TRIE = buildTrie();

function buildTrie(): Int32Array {
  // A complete code of 257 symbols has 256 inner nodes; children slots for each.
  const trie = new Int32Array(2 * 257 * 2).fill(0);
  let nodes = 1;
  for (let symbol = 0; symbol <= 256; symbol++) {
    const code = HUFFMAN_CODES[symbol] as number;
    const length = HUFFMAN_LENGTHS[symbol] as number;
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) trie[slot] = -1 - symbol;
      else {
        if (trie[slot] === 0) trie[slot] = nodes++;
        node = trie[slot] as number;
      }
    }
  }
  return trie;
}

/** Decodes a Huffman-coded string (RFC 7541 §5.2: padding is at most 7 one-bits, EOS is an error). */
export function huffmanDecode(bytes: Uint8Array): string {
  const out = Buffer.allocUnsafe(Math.ceil((bytes.length * 8) / 5));
  let length = 0;
  let node = 0;
  let depth = 0;
  let allOnes = true;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >>> bit) & 1;
      const next = TRIE[2 * node + one] as number;
      depth += 1;
      allOnes &&= one === 1;
      if (next < 0) {
        const symbol = -1 - next;
        if (symbol === 256) throw new HpackError("a Huffman-coded string contains EOS");
        out[length++] = symbol;
        node = 0;
        depth = 0;
        allOnes = true;
      } else node = next;
    }
  }
  if (depth > 7 || !allOnes) throw new HpackError("a Huffman-coded string has invalid padding");
  return out.toString("latin1", 0, length);
}

/** Huffman-codes a string of bytes (used by tests and available to callers that want it). */
export function huffmanEncode(text: string): Buffer {
  const input = Buffer.from(text, "latin1");
  let bits = 0;
  for (const byte of input) bits += HUFFMAN_LENGTHS[byte] as number;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  let acc = 0;
  let accBits = 0;
  let o = 0;
  for (const byte of input) {
    const code = HUFFMAN_CODES[byte] as number;
    const length = HUFFMAN_LENGTHS[byte] as number;
    for (let bit = length - 1; bit >= 0; bit--) {
      acc = (acc << 1) | ((code >>> bit) & 1);
      accBits += 1;
      if (accBits === 8) {
        out[o++] = acc;
        acc = 0;
        accBits = 0;
      }
    }
  }
  if (accBits > 0) out[o] = (acc << (8 - accBits)) | ((1 << (8 - accBits)) - 1);
  return out;
}

/** A dynamic table (RFC 7541 §2.3.2): newest entry first, evicted oldest first to stay within its size. */
class DynamicTable {
  private entries: HeaderField[] = [];
  /** Size of each entry, in the same order. */
  private sizes: number[] = [];
  size = 0;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.entries.length;
  }

  /** Entry i, 0 = newest. */
  at(i: number): HeaderField | undefined {
    return this.entries[i];
  }

  add(name: string, value: string): void {
    const size = entrySize(name, value);
    this.entries.unshift([name, value]);
    this.sizes.unshift(size);
    this.size += size;
    this.evict();
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize && this.entries.length > 0) {
      this.entries.pop();
      this.size -= this.sizes.pop() as number;
    }
  }
}

/** Limits a decoder holds the peer to. */
export interface HpackDecoderLimits {
  /** Largest dynamic table we announced (SETTINGS_HEADER_TABLE_SIZE; default 4096). */
  maxTableSize?: number;
  /** Largest header list (sum of name + value + 32 per field), as SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxHeaderListSize?: number;
}

/** Decodes header blocks of one connection (its dynamic table lives across blocks). */
export class HpackDecoder {
  private readonly table: DynamicTable;
  private readonly maxTableSize: number;
  private readonly maxHeaderListSize: number;

  constructor(limits: HpackDecoderLimits = {}) {
    this.maxTableSize = limits.maxTableSize ?? 4096;
    this.maxHeaderListSize = limits.maxHeaderListSize ?? 16 * 1024 * 1024;
    this.table = new DynamicTable(this.maxTableSize);
  }

  /** Decodes one complete header block; throws HpackError on anything malformed. */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    let listSize = 0;
    const reader = { pos: 0 };
    let fieldSeen = false;
    while (reader.pos < block.length) {
      const first = block[reader.pos] as number;
      let field: HeaderField;
      if (first & 0x80) {
        const index = readInteger(block, reader, 7);
        if (index === 0) throw new HpackError("indexed header field with index 0");
        field = this.lookup(index);
      } else if (first & 0x40) {
        field = this.readLiteral(block, reader, 6);
        this.table.add(field[0], field[1]);
      } else if (first & 0x20) {
        if (fieldSeen) throw new HpackError("dynamic table size update after the first header field");
        const size = readInteger(block, reader, 5);
        if (size > this.maxTableSize) throw new HpackError(`dynamic table size update to ${size}, above the ${this.maxTableSize} announced`);
        this.table.resize(size);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001): same layout.
        field = this.readLiteral(block, reader, 4);
      }
      fieldSeen = true;
      listSize += field[0].length + field[1].length + 32;
      if (listSize > this.maxHeaderListSize) throw new HpackError(`header list larger than ${this.maxHeaderListSize} bytes`);
      fields.push(field);
    }
    return fields;
  }

  private lookup(index: number): HeaderField {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as HeaderField;
    const entry = this.table.at(index - STATIC_TABLE.length - 1);
    if (!entry) throw new HpackError(`header index ${index} is beyond the dynamic table`);
    return entry;
  }

  private readLiteral(block: Uint8Array, reader: { pos: number }, prefix: number): HeaderField {
    const nameIndex = readInteger(block, reader, prefix);
    const name = nameIndex === 0 ? readString(block, reader) : this.lookup(nameIndex)[0];
    return [name, readString(block, reader)];
  }
}

function readInteger(block: Uint8Array, reader: { pos: number }, prefix: number): number {
  if (reader.pos >= block.length) throw new HpackError("header block ends inside an integer");
  const mask = (1 << prefix) - 1;
  let value = (block[reader.pos++] as number) & mask;
  if (value < mask) return value;
  let shift = 0;
  for (;;) {
    if (reader.pos >= block.length) throw new HpackError("header block ends inside an integer");
    const byte = block[reader.pos++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return value;
    if (shift > 28) throw new HpackError("integer in a header block is too large");
  }
}

function readString(block: Uint8Array, reader: { pos: number }): string {
  if (reader.pos >= block.length) throw new HpackError("header block ends before a string");
  const huffman = ((block[reader.pos] as number) & 0x80) !== 0;
  const length = readInteger(block, reader, 7);
  const end = reader.pos + length;
  if (end > block.length) throw new HpackError("header block ends inside a string");
  const bytes = block.subarray(reader.pos, end);
  reader.pos = end;
  return huffman ? huffmanDecode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * Encodes header blocks of one connection. Fields whose name is in
 * `neverIndex`-style sets are sent as literals without indexing (values that
 * change on every call, such as `grpc-timeout`, would only churn the table).
 */
export class HpackEncoder {
  private readonly table: DynamicTable;
  /** Insertion number of each name+value and of each name in the table; index = inserted - evicted offset. */
  private readonly pairs = new Map<string, number>();
  private readonly names = new Map<string, number>();
  private inserted = 0;
  private pendingSizeUpdate: number | undefined;

  constructor(
    maxTableSize = 4096,
    private readonly unindexed: ReadonlySet<string> = new Set(),
  ) {
    this.table = new DynamicTable(maxTableSize);
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with a size update. */
  setMaxTableSize(size: number): void {
    const limited = Math.min(size, 4096);
    if (limited === this.table.maxSize) return;
    this.table.resize(limited);
    this.pendingSizeUpdate = limited;
  }

  encode(fields: Iterable<HeaderField>): Buffer {
    const out: number[] = [];
    if (this.pendingSizeUpdate !== undefined) {
      writeInteger(out, 0x20, 5, this.pendingSizeUpdate);
      this.pendingSizeUpdate = undefined;
    }
    for (const [name, value] of fields) {
      const pairKey = `${name}\0${value}`;
      const pairIndex = STATIC_PAIRS.get(pairKey) ?? this.dynamicIndex(this.pairs.get(pairKey));
      if (pairIndex !== undefined) {
        writeInteger(out, 0x80, 7, pairIndex);
        continue;
      }
      const nameIndex = STATIC_NAMES.get(name) ?? this.dynamicIndex(this.names.get(name)) ?? 0;
      const index = !this.unindexed.has(name) && entrySize(name, value) <= this.table.maxSize;
      writeInteger(out, index ? 0x40 : 0x00, index ? 6 : 4, nameIndex);
      if (nameIndex === 0) writeString(out, name);
      writeString(out, value);
      if (index) this.insert(name, value, pairKey);
    }
    return Buffer.from(out);
  }

  private insert(name: string, value: string, pairKey: string): void {
    this.table.add(name, value);
    this.inserted += 1;
    this.pairs.set(pairKey, this.inserted);
    this.names.set(name, this.inserted);
  }

  /** The HPACK index of the entry inserted as number `insertion`, if it is still in the table. */
  private dynamicIndex(insertion: number | undefined): number | undefined {
    if (insertion === undefined) return undefined;
    const position = this.inserted - insertion;
    if (position >= this.table.length) return undefined;
    return STATIC_TABLE.length + 1 + position;
  }
}

function writeInteger(out: number[], pattern: number, prefix: number, value: number): void {
  const mask = (1 << prefix) - 1;
  if (value < mask) {
    out.push(pattern | value);
    return;
  }
  out.push(pattern | mask);
  let rest = value - mask;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

/** A string literal without Huffman coding (header names and values are bytes: latin1). */
function writeString(out: number[], text: string): void {
  writeInteger(out, 0x00, 7, text.length);
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 0xff);
}
