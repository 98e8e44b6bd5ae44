// TFRecord framing, as TensorFlow's record_writer.cc lays it out:
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
// CRC32C is the Castagnoli polynomial (reflected 0x82F63B78), the checksum TF uses everywhere.
import { OpError } from '@graphmode/graph';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `bytes` (crc32c('123456789') === 0xe3069283). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// TF masks stored CRCs because computing the CRC of a string that itself contains CRCs is
// problematic (crc32c.h): rotate right by 15 bits and add a constant.
const MASK_DELTA = 0xa282ead8;

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/** One framed record: header (length + its CRC), the payload, and the payload's CRC. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

/**
 * Splits a TFRecord file's bytes into its payloads, checking both CRCs of every record (TF's
 * `tf_record_iterator`). A truncated tail or a bad checksum is a data-loss error naming the offset.
 */
export function decodeRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw dataLoss(`truncated record header at offset ${pos}`);
    const lengthCrc = view.getUint32(pos + 8, true);
    if (unmaskCrc(lengthCrc) !== crc32c(bytes.subarray(pos, pos + 8))) {
      throw dataLoss(`corrupted record length at offset ${pos}`);
    }
    const length = Number(view.getBigUint64(pos, true));
    const start = pos + 12;
    if (start + length + 4 > bytes.length) throw dataLoss(`truncated record at offset ${pos}`);
    const data = bytes.subarray(start, start + length);
    if (unmaskCrc(view.getUint32(start + length, true)) !== crc32c(data)) {
      throw dataLoss(`corrupted record data at offset ${pos}`);
    }
    records.push(data);
    pos = start + length + 4;
  }
  return records;
}

// TF raises DataLossError here; the graph package has no such class, so the base OpError carries it.
const dataLoss = (what: string): OpError => new OpError(`Data loss: ${what}`);
