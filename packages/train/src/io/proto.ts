// A minimal protocol-buffers wire-format writer and reader (proto3 encoding rules), enough for
// the Event, Summary, GraphDef and SessionLog messages TensorBoard reads. Fields are written in
// field-number order with default values skipped, as the reference encoder does.
import { ValueError } from '@graphmode/graph';

export const WireType = { VARINT: 0, FIXED64: 1, LENGTH_DELIMITED: 2, FIXED32: 5 } as const;
type Wire = (typeof WireType)[keyof typeof WireType];

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Appends fields to a growing buffer; `finish()` returns the message bytes. */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private tag(field: number, wire: Wire): void {
    this.rawVarint(field * 8 + wire);
  }

  /** Unsigned varint of a non-negative safe integer, or two's complement (10 bytes) of a negative one. */
  rawVarint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new ValueError(`protobuf varint needs a safe integer, got ${n}`);
    if (n < 0) {
      let big = BigInt.asUintN(64, BigInt(n));
      this.reserve(10);
      while (big >= 0x80n) {
        this.buf[this.len++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.len++] = Number(big);
      return;
    }
    this.reserve(8);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  rawBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** int32 / int64 / uint64 / enum field (skipped when 0 unless `always`, for oneof members). */
  varint(field: number, n: number, always = false): this {
    if (n !== 0 || always) this.tag(field, WireType.VARINT), this.rawVarint(n);
    return this;
  }
  bool(field: number, b: boolean, always = false): this {
    return this.varint(field, b ? 1 : 0, always);
  }
  /** A double field (skipped when +0 unless `always`, for oneof members whose presence matters). */
  double(field: number, x: number, always = false): this {
    if (x === 0 && !Object.is(x, -0) && !always) return this;
    this.tag(field, WireType.FIXED64);
    this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.len, x, true);
    this.len += 8;
    return this;
  }
  float(field: number, x: number, always = false): this {
    if (x === 0 && !Object.is(x, -0) && !always) return this;
    this.tag(field, WireType.FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, x, true);
    this.len += 4;
    return this;
  }
  /** A length-delimited field: bytes, or a string as UTF-8 (skipped when empty unless `always`). */
  bytes(field: number, value: Uint8Array | string, always = false): this {
    const b = typeof value === 'string' ? utf8.encode(value) : value;
    if (b.length === 0 && !always) return this;
    this.tag(field, WireType.LENGTH_DELIMITED);
    this.rawVarint(b.length);
    this.rawBytes(b);
    return this;
  }
  /** An embedded message, written even when empty (presence matters for message fields). */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish(), true);
  }
  /** A packed repeated double field. */
  packedDoubles(field: number, xs: ArrayLike<number>): this {
    const b = new Uint8Array(xs.length * 8);
    const view = new DataView(b.buffer);
    for (let i = 0; i < xs.length; i++) view.setFloat64(i * 8, xs[i]!, true);
    return this.bytes(field, b);
  }
  /** A packed repeated float field. */
  packedFloats(field: number, xs: ArrayLike<number>): this {
    const b = new Uint8Array(xs.length * 4);
    const view = new DataView(b.buffer);
    for (let i = 0; i < xs.length; i++) view.setFloat32(i * 4, xs[i]!, true);
    return this.bytes(field, b);
  }
  /** A packed repeated varint field (int32 / bool). */
  packedVarints(field: number, xs: ArrayLike<number>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < xs.length; i++) inner.rawVarint(xs[i]!);
    return this.bytes(field, inner.finish());
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One decoded field: varints as numbers, fixed64/fixed32 as their raw little-endian bytes. */
export interface ProtoField {
  field: number;
  wire: Wire;
  /** VARINT value (exact below 2^53). */
  int: number;
  /** LENGTH_DELIMITED payload, or the 8/4 raw bytes of a FIXED64/FIXED32 field. */
  bytes: Uint8Array;
}

/** Splits a message into its fields, in wire order (repeated fields appear several times). */
export function decodeFields(msg: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  // Values are read as signed int64 (exact within ±2^53), so negative int32/int64 fields round-trip.
  const varint = (): number => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= msg.length) throw new ValueError(`protobuf: truncated varint at byte ${pos}`);
      const b = msg[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, result));
      shift += 7n;
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > msg.length) throw new ValueError(`protobuf: field runs past the end at byte ${pos}`);
    const b = msg.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  while (pos < msg.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    const empty = new Uint8Array(0);
    if (wire === WireType.VARINT) fields.push({ field, wire, int: varint(), bytes: empty });
    else if (wire === WireType.FIXED64) fields.push({ field, wire, int: 0, bytes: take(8) });
    else if (wire === WireType.LENGTH_DELIMITED) fields.push({ field, wire, int: 0, bytes: take(varint()) });
    else if (wire === WireType.FIXED32) fields.push({ field, wire, int: 0, bytes: take(4) });
    else throw new ValueError(`protobuf: unsupported wire type ${wire} for field ${field}`);
  }
  return fields;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const fieldDouble = (f: ProtoField): number => view(f.bytes).getFloat64(0, true);
export const fieldFloat = (f: ProtoField): number => view(f.bytes).getFloat32(0, true);
export const fieldString = (f: ProtoField): string => utf8Decoder.decode(f.bytes);
/** A packed (or single unpacked) repeated double field. */
export function fieldDoubles(f: ProtoField): number[] {
  if (f.wire === WireType.FIXED64) return [fieldDouble(f)];
  const v = view(f.bytes);
  return Array.from({ length: f.bytes.length / 8 }, (_, i) => v.getFloat64(i * 8, true));
}
/** A packed (or single unpacked) repeated float field. */
export function fieldFloats(f: ProtoField): number[] {
  if (f.wire === WireType.FIXED32) return [fieldFloat(f)];
  const v = view(f.bytes);
  return Array.from({ length: f.bytes.length / 4 }, (_, i) => v.getFloat32(i * 4, true));
}
/** A packed (or single unpacked) repeated varint field, as signed 32-bit values. */
export function fieldInts(f: ProtoField): number[] {
  if (f.wire === WireType.VARINT) return [f.int | 0];
  return decodeFields(packedAsFields(f.bytes)).map((g) => g.int | 0);
}
// Re-reads a packed varint payload through the field decoder by giving each value a field-1 key.
function packedAsFields(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const byte of b) {
    if (start) out.push(0x08);
    out.push(byte);
    start = byte < 0x80;
  }
  return Uint8Array.from(out);
}

/** Bytes carried in a string tensor element, one char per byte ('binary'/latin1), and back. */
export const bytesToLatin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
export const latin1ToBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
