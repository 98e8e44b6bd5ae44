// TF's tensor bundle V2 (tensorflow/core/util/tensor_bundle): the checkpoint format of TF's Saver.
//   <prefix>.index                 a table (table.ts): key '' -> BundleHeaderProto {num_shards: 1,
//                                  endianness: LITTLE, version {producer: 1}}, then one
//                                  BundleEntryProto per tensor name, keys in byte order
//   <prefix>.data-00000-of-00001   the tensors back to back, no padding: numbers as raw
//                                  little-endian bytes, bool one byte each, strings as
//                                  [varint64 len]* [masked crc32c of the lengths] [bytes]*
// Each entry holds dtype, shape, shard, offset, size and the masked CRC32C of the tensor's bytes
// (for strings: of the lengths as uint32 LE, the length checksum's 4 bytes, then the strings).
import { DataLossError, type DType, NDArray, UnimplementedError } from '@graphmode/graph';
import {
  type BundleEntryMsg,
  type BundleHeaderMsg,
  DATA_TYPE_OF,
  DataType,
  decodeMessage,
  encodeMessage,
} from '@graphmode/graph/proto';
import { crc32c, maskCrc, unmaskCrc } from './crc32c.js';
import { buildTable, readTable } from './table.js';

export const dataFileName = (prefix: string, shard = 0, numShards = 1): string =>
  `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
export const indexFileName = (prefix: string): string => `${prefix}.index`;

const BUNDLE_VERSION = 1;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** One tensor's bytes in the data file and its index entry (offset filled in by the writer). */
export interface EncodedTensor {
  bytes: Uint8Array[];
  entry: BundleEntryMsg;
}

/**
 * A tensor's data-file bytes and entry. `asInt64` writes an int32 tensor as DT_INT64 (TF's
 * global step is int64; graphmode's is int32 since tfjs has no int64).
 */
export function encodeTensor(nd: NDArray, asInt64 = false): EncodedTensor {
  const shape = { dim: nd.shape.map((size) => ({ size })) };
  let bytes: Uint8Array[];
  let dtype: number;
  if (nd.dtype === 'string') {
    const { bytes, crc } = encodeStrings(nd.data as string[]);
    const size = bytes.reduce((a, b) => a + b.length, 0);
    return { bytes, entry: { dtype: DataType.DT_STRING, shape, size, crc32c: maskCrc(crc) } };
  }
  if (asInt64 && nd.dtype === 'int32') {
    dtype = DataType.DT_INT64;
    bytes = [new Uint8Array(BigInt64Array.from(nd.data as Int32Array, BigInt).buffer)];
  } else {
    const d = nd.data as Float32Array | Int32Array | Uint8Array;
    dtype = DATA_TYPE_OF[nd.dtype];
    // The data file is little-endian; so is every platform Node runs on. No copy: the caller
    // passes arrays nothing else holds (Session.run's results are copies of the backend's).
    bytes = [new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
  }
  let crc = 0;
  let size = 0;
  for (const b of bytes) {
    crc = crc32c(b, crc);
    size += b.length;
  }
  return { bytes, entry: { dtype, shape, size, crc32c: maskCrc(crc) } };
}

// TF checksums a string tensor as: the lengths as uint32 LE (not their varint bytes), the
// length checksum's 4 bytes, then the strings' bytes.
function encodeStrings(strings: string[]): { bytes: Uint8Array[]; crc: number } {
  const data = strings.map((s) => utf8.encode(s));
  const lengths: number[] = [];
  const lengths32 = new Uint8Array(4 * data.length);
  const view = new DataView(lengths32.buffer);
  data.forEach((b, i) => {
    let n = b.length;
    for (; n >= 0x80; n = Math.floor(n / 0x80)) lengths.push((n % 0x80) | 0x80);
    lengths.push(n);
    view.setUint32(4 * i, b.length, true);
  });
  const checksum = new Uint8Array(4);
  new DataView(checksum.buffer).setUint32(0, maskCrc(crc32c(lengths32)), true);
  let crc = crc32c(checksum, crc32c(lengths32));
  for (const b of data) crc = crc32c(b, crc);
  return { bytes: [Uint8Array.from(lengths), checksum, ...data], crc };
}

/** The `.index` table for entries keyed by tensor name (any order; written sorted by bytes). */
export function buildIndex(entries: ReadonlyMap<string, BundleEntryMsg>): Uint8Array {
  const header: BundleHeaderMsg = { numShards: 1, version: { producer: BUNDLE_VERSION } };
  const rows: [Uint8Array, Uint8Array][] = [[new Uint8Array(0), encodeMessage('BundleHeaderProto', header)]];
  const keyed = [...entries].map(([k, e]) => [utf8.encode(k), e] as const);
  keyed.sort(([a], [b]) => Buffer.compare(a, b));
  for (const [k, e] of keyed) rows.push([k, encodeMessage('BundleEntryProto', e)]);
  return buildTable(rows);
}

export interface BundleIndex {
  numShards: number;
  /** Tensor name -> entry, in key order (a Map: a tensor named `__proto__` is an ordinary key). */
  entries: Map<string, BundleEntryMsg>;
}

/** Parses an `.index` file; anything malformed is a DataLossError naming `fileName`. */
export function parseIndex(bytes: Uint8Array, fileName: string): BundleIndex {
  const rows = readTable(bytes, fileName);
  const parse = <T>(name: 'BundleHeaderProto' | 'BundleEntryProto', key: string, value: Uint8Array): T => {
    try {
      return decodeMessage<T>(name, value);
    } catch (e) {
      throw new DataLossError(`${fileName}: entry for key '${key}' not parseable (${(e as Error).message})`);
    }
  };
  if (rows.length === 0 || rows[0]![0].length !== 0)
    throw new DataLossError(`${fileName}: no bundle header entry (is this a tensor bundle index?)`);
  const header = parse<BundleHeaderMsg>('BundleHeaderProto', '', rows[0]![1]);
  if ((header.endianness ?? 0) !== 0)
    throw new UnimplementedError(`${fileName}: big-endian checkpoints are not supported`);
  if ((header.version?.producer ?? 0) > BUNDLE_VERSION && (header.version?.minConsumer ?? 0) > BUNDLE_VERSION)
    throw new DataLossError(`${fileName}: checkpoint format version ${header.version?.producer} is too new`);
  const entries = new Map<string, BundleEntryMsg>();
  for (const [k, v] of rows.slice(1)) {
    const key = utf8Decoder.decode(k);
    entries.set(key, parse<BundleEntryMsg>('BundleEntryProto', key, v));
  }
  return { numShards: header.numShards ?? 1, entries };
}

/** The dtype graphmode holds an entry's tensor in (int64 becomes int32, range-checked on read). */
export function entryDType(entry: BundleEntryMsg): DType | null {
  switch (entry.dtype) {
    case DataType.DT_FLOAT:
      return 'float32';
    case DataType.DT_INT32:
    case DataType.DT_INT64:
      return 'int32';
    case DataType.DT_BOOL:
      return 'bool';
    case DataType.DT_STRING:
      return 'string';
    default:
      return null;
  }
}

export const entryShape = (entry: BundleEntryMsg): number[] =>
  (entry.shape?.dim ?? []).map((d) => d.size ?? 0);

/**
 * Decodes one tensor from its bytes in a data file (`bytes` = the whole [offset, offset + size)
 * range), checking size and checksum. Failures are DataLossErrors naming the file and tensor.
 */
export function decodeTensor(entry: BundleEntryMsg, bytes: Uint8Array, key: string, file: string): NDArray {
  const where = `tensor '${key}' in ${file}`;
  const dtype = entryDType(entry);
  if (dtype === null)
    throw new UnimplementedError(`${where} has DataType ${entry.dtype}, which graphmode lacks`);
  if (entry.slices?.length)
    throw new UnimplementedError(`${where} is saved in slices (a partitioned variable)`);
  const size = entry.size ?? 0;
  if (bytes.length !== size)
    throw new DataLossError(`${where}: expected ${size} bytes, the file has ${bytes.length}`);
  const checksumMismatch = () => new DataLossError(`${where}: checksum mismatch (the file is damaged)`);
  const expectedCrc = unmaskCrc(entry.crc32c ?? 0);
  if (entry.dtype !== DataType.DT_STRING && expectedCrc !== crc32c(bytes)) throw checksumMismatch();
  const shape = entryShape(entry);
  const n = shape.reduce((a, b) => a * b, 1);
  const width = {
    [DataType.DT_FLOAT]: 4,
    [DataType.DT_INT32]: 4,
    [DataType.DT_INT64]: 8,
    [DataType.DT_BOOL]: 1,
  }[entry.dtype as number];
  if (width !== undefined && size !== n * width)
    throw new DataLossError(`${where}: ${size} bytes do not hold ${n} elements of DataType ${entry.dtype}`);
  // The reader hands over bytes it read for this call: view them in place when aligned.
  const typed = <T>(C: new (b: ArrayBuffer, offset: number, length: number) => T, width: number): T =>
    bytes.byteOffset % width === 0 && bytes.buffer instanceof ArrayBuffer
      ? new C(bytes.buffer, bytes.byteOffset, n)
      : new C(new Uint8Array(bytes).buffer, 0, n);
  if (entry.dtype === DataType.DT_FLOAT) return new NDArray('float32', shape, typed(Float32Array, 4));
  if (entry.dtype === DataType.DT_INT32) return new NDArray('int32', shape, typed(Int32Array, 4));
  if (entry.dtype === DataType.DT_BOOL) return new NDArray('bool', shape, new Uint8Array(bytes));
  if (entry.dtype === DataType.DT_INT64) {
    const wide = typed(BigInt64Array, 8);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = wide[i]!;
      if (v > 2147483647n || v < -2147483648n)
        throw new UnimplementedError(
          `${where}: int64 value ${v} is outside int32, graphmode's widest integer`,
        );
      out[i] = Number(v);
    }
    return new NDArray('int32', shape, out);
  }
  const { strings, crc } = decodeStrings(bytes, n, where);
  if (crc !== expectedCrc) throw checksumMismatch();
  return new NDArray('string', shape, strings);
}

function decodeStrings(bytes: Uint8Array, n: number, where: string): { strings: string[]; crc: number } {
  let pos = 0;
  const lengths: number[] = [];
  const lengths32 = new Uint8Array(4 * n);
  const view = new DataView(lengths32.buffer);
  for (let i = 0; i < n; i++) {
    let len = 0;
    for (let mul = 1; ; mul *= 128) {
      if (pos >= bytes.length || mul > 2 ** 49) throw new DataLossError(`${where}: bad string length`);
      const b = bytes[pos++]!;
      len += (b & 0x7f) * mul;
      if (b < 0x80) break;
    }
    lengths.push(len);
    view.setUint32(4 * i, len, true);
  }
  if (pos + 4 > bytes.length) throw new DataLossError(`${where}: strings run past the tensor's bytes`);
  const checksum = bytes.subarray(pos, pos + 4);
  let crc = crc32c(checksum, crc32c(lengths32));
  pos += 4;
  const strings: string[] = [];
  for (const len of lengths) {
    if (pos + len > bytes.length) throw new DataLossError(`${where}: strings run past the tensor's bytes`);
    const b = bytes.subarray(pos, pos + len);
    crc = crc32c(b, crc);
    strings.push(utf8Decoder.decode(b));
    pos += len;
  }
  return { strings, crc };
}
