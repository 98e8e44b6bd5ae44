// TF's immutable key-value table (tensorflow/core/lib/io/table_builder.cc, block_builder.cc,
// format.cc: LevelDB's SSTable without compression or filters), the layout of a tensor bundle's
// `.index` file:
//   data blocks | metaindex block (empty) | index block | footer (48 bytes)
// A block is a run of entries `varint32 shared | varint32 non_shared | varint32 value_length |
// key[shared:] | value`, keys prefix-compressed against the previous key and stored whole at a
// restart point every 16 entries (every entry in the index block), then the restart offsets
// (fixed32 each) and their count (fixed32). Each block is followed by a trailer: a type byte
// (0 = uncompressed) and the masked CRC32C of block + type byte. A block handle is
// `varint64 offset | varint64 size`; the footer holds the metaindex and index handles padded to
// 40 bytes and the magic 0xdb4775248b80fb57 (fixed64). The index block maps a key >= every key
// of a data block (and < the next block's keys) to that block's handle.
import { DataLossError } from '@graphmode/graph';
import { crc32c, maskCrc, unmaskCrc } from './crc32c.js';

const BLOCK_SIZE = 262144; // TF's table::Options defaults
const RESTART_INTERVAL = 16;
const TRAILER = 5;
const FOOTER = 48;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;

/** The base-128 varint of `n` (a non-negative integer up to 2^53), as protobuf and LevelDB write it. */
export function varint(n: number): Uint8Array {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return Uint8Array.from(out);
}

class Bytes {
  chunks: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  varint(n: number): void {
    this.push(varint(n));
  }
  fixed32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.push(b);
  }
  concat(): Uint8Array {
    return Buffer.concat(this.chunks, this.length);
  }
}

class BlockBuilder {
  private out = new Bytes();
  private restarts = [0];
  private counter = 0;
  private lastKey: Uint8Array = new Uint8Array(0);
  constructor(private readonly interval: number) {}
  get empty(): boolean {
    return this.out.length === 0;
  }
  get sizeEstimate(): number {
    return this.out.length + this.restarts.length * 4 + 4;
  }
  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.interval) {
      const n = Math.min(key.length, this.lastKey.length);
      while (shared < n && key[shared] === this.lastKey[shared]) shared++;
    } else {
      this.restarts.push(this.out.length);
      this.counter = 0;
    }
    this.out.varint(shared);
    this.out.varint(key.length - shared);
    this.out.varint(value.length);
    this.out.push(key.subarray(shared));
    this.out.push(value);
    this.lastKey = key;
    this.counter++;
  }
  finish(): Uint8Array {
    for (const r of this.restarts) this.out.fixed32(r);
    this.out.fixed32(this.restarts.length);
    const b = this.out.concat();
    this.out = new Bytes();
    this.restarts = [0];
    this.counter = 0;
    this.lastKey = new Uint8Array(0);
    return b;
  }
}

const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

// The shortest key k with start <= k < limit (TF's FindShortestSeparator), and the shortest key
// >= key (FindShortSuccessor): index keys only need to separate blocks.
function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i >= n) return start;
  const byte = start[i]!;
  if (byte < 0xff && byte + 1 < limit[i]!) return Uint8Array.of(...start.subarray(0, i), byte + 1);
  return start;
}
function shortSuccessor(key: Uint8Array): Uint8Array {
  const i = key.findIndex((b) => b !== 0xff);
  return i < 0 ? key : Uint8Array.of(...key.subarray(0, i), key[i]! + 1);
}

/** Builds a table from entries whose keys are strictly increasing (bytewise). */
export function buildTable(entries: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
  const file = new Bytes();
  const data = new BlockBuilder(RESTART_INTERVAL);
  const index = new BlockBuilder(1);
  let lastKey: Uint8Array | null = null;
  let pending: Uint8Array | null = null; // handle of the last data block, awaiting its index key
  const writeBlock = (contents: Uint8Array): Uint8Array => {
    const handle = new Bytes();
    handle.varint(file.length);
    handle.varint(contents.length);
    file.push(contents);
    const trailer = new Uint8Array(TRAILER); // type 0: uncompressed
    const crc = crc32c(trailer.subarray(0, 1), crc32c(contents));
    new DataView(trailer.buffer).setUint32(1, maskCrc(crc), true);
    file.push(trailer);
    return handle.concat();
  };
  const flush = () => {
    if (!data.empty) pending = writeBlock(data.finish());
  };
  for (const [key, value] of entries) {
    if (lastKey !== null) {
      if (compare(key, lastKey) <= 0) throw new RangeError('table keys must be strictly increasing');
      if (key.length + value.length >= 2 * BLOCK_SIZE) flush();
    }
    if (pending) {
      index.add(shortestSeparator(lastKey!, key), pending);
      pending = null;
    }
    data.add(key, value);
    lastKey = key;
    if (data.sizeEstimate >= BLOCK_SIZE) flush();
  }
  flush();
  const metaindex = writeBlock(new BlockBuilder(RESTART_INTERVAL).finish());
  if (pending) index.add(shortSuccessor(lastKey!), pending);
  const indexHandle = writeBlock(index.finish());
  const footer = new Uint8Array(FOOTER);
  footer.set(metaindex, 0);
  footer.set(indexHandle, metaindex.length);
  const view = new DataView(footer.buffer);
  view.setUint32(40, MAGIC_LO, true);
  view.setUint32(44, MAGIC_HI, true);
  file.push(footer);
  return file.concat();
}

/**
 * Every entry of a table, in key order, checking the footer magic and every block's CRC. Any
 * inconsistency is a DataLossError naming `fileName`.
 */
export function readTable(bytes: Uint8Array, fileName: string): [Uint8Array, Uint8Array][] {
  const fail = (what: string): never => {
    throw new DataLossError(`Corrupted table file ${fileName}: ${what}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FOOTER) fail(`file too short (${bytes.length} bytes)`);
  const f = bytes.length - FOOTER;
  if (view.getUint32(f + 40, true) !== MAGIC_LO || view.getUint32(f + 44, true) !== MAGIC_HI)
    fail('not an sstable (bad magic number)');
  let pos = f;
  const varint = (end: number): number => {
    let n = 0;
    for (let mul = 1; ; mul *= 128) {
      if (pos >= end || mul > 2 ** 49) fail(`bad varint at byte ${pos}`);
      const b = bytes[pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
    }
  };
  const handle = (end: number): [number, number] => [varint(end), varint(end)];
  varint(f + 40); // metaindex handle: TF's bundles keep nothing there
  varint(f + 40);
  const [indexOffset, indexSize] = handle(f + 40);
  const block = (offset: number, size: number): Uint8Array => {
    if (offset + size + TRAILER > f) fail(`block handle [${offset}, +${size}) runs past the data`);
    const contents = bytes.subarray(offset, offset + size);
    if (bytes[offset + size] !== 0) fail(`compressed block at ${offset} (type ${bytes[offset + size]})`);
    const stored = unmaskCrc(view.getUint32(offset + size + 1, true));
    if (stored !== crc32c(bytes.subarray(offset + size, offset + size + 1), crc32c(contents)))
      fail(`block checksum mismatch at offset ${offset}`);
    return contents;
  };
  const entries = (offset: number, size: number): [Uint8Array, Uint8Array][] => {
    block(offset, size);
    if (size < 4) fail(`block at ${offset} too small`);
    const numRestarts = view.getUint32(offset + size - 4, true);
    const end = offset + size - 4 - 4 * numRestarts;
    if (numRestarts === 0 || end < offset) fail(`bad restart array in block at ${offset}`);
    const out: [Uint8Array, Uint8Array][] = [];
    let key: Uint8Array = new Uint8Array(0);
    pos = offset;
    while (pos < end) {
      const shared = varint(end);
      const nonShared = varint(end);
      const valueLength = varint(end);
      if (shared > key.length || pos + nonShared + valueLength > end) fail(`bad entry at byte ${pos}`);
      key = Buffer.concat([key.subarray(0, shared), bytes.subarray(pos, pos + nonShared)]);
      pos += nonShared;
      out.push([key, bytes.subarray(pos, pos + valueLength)]);
      pos += valueLength;
    }
    return out;
  };
  const result: [Uint8Array, Uint8Array][] = [];
  for (const [, h] of entries(indexOffset, indexSize)) result.push(...entries(...decodeHandle(h, fail)));
  return result;
}

function decodeHandle(h: Uint8Array, fail: (what: string) => never): [number, number] {
  const nums: number[] = [];
  let n = 0;
  let mul = 1;
  for (const b of h) {
    n += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) {
      nums.push(n);
      n = 0;
      mul = 1;
    }
  }
  if (nums.length !== 2) fail('bad block handle in the index block');
  return [nums[0]!, nums[1]!];
}
