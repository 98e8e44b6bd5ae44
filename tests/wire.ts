// A schema-free protobuf wire reader for tests: fields as (number, wire type, value), read with
// protobufjs's low-level Reader, so encoded bytes are checked without our message schemas.
import protobuf from 'protobufjs';

export interface ProtoField {
  field: number;
  wire: number;
  /** Varint value (wire type 0), as a signed 64-bit number. */
  int?: number;
  /** Length-delimited payload (wire type 2). */
  bytes: Uint8Array;
  /** Fixed32 payload read as float (wire type 5). */
  float?: number;
}

export function decodeFields(bytes: Uint8Array): ProtoField[] {
  const r = protobuf.Reader.create(bytes);
  const out: ProtoField[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ field, wire, int: Number(r.int64().toString()), bytes: new Uint8Array() });
    else if (wire === 2) out.push({ field, wire, bytes: r.bytes() });
    else if (wire === 5) out.push({ field, wire, float: r.float(), bytes: new Uint8Array() });
    else if (wire === 1) out.push({ field, wire, float: r.double(), bytes: new Uint8Array() });
    else throw new Error(`unexpected wire type ${wire} for field ${field}`);
  }
  return out;
}

export const fieldString = (f: ProtoField): string => new TextDecoder().decode(f.bytes);
export const fieldFloat = (f: ProtoField): number => f.float!;
/** A packed repeated varint field. */
export function fieldInts(f: ProtoField): number[] {
  const r = protobuf.Reader.create(f.bytes);
  const out: number[] = [];
  while (r.pos < r.len) out.push(Number(r.int64().toString()));
  return out;
}
