// TFRecord framing, as TensorFlow's record_writer.cc lays it out:
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
import { DataLossError } from '@graphmode/graph';
import { crc32c, maskCrc, unmaskCrc } from './crc32c.js';

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

const dataLoss = (what: string): DataLossError => new DataLossError(what);
