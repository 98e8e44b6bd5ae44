import { DataLossError } from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc, unmaskCrc } from '../../../packages/train/src/io/crc32c.js';
import { decodeRecords, encodeRecord } from '../../../packages/train/src/io/tfrecord.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  // Check values from RFC 3720 (iSCSI) appendix B.4 and the CRC catalogue.
  it.each([
    ['123456789', ascii('123456789'), 0xe3069283],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['bytes 0..31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['bytes 31..0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ['empty', new Uint8Array(0), 0],
  ])('%s', (_, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it('masking is TF’s rotate-and-add and is undone by unmask', () => {
    const crc = 0xe3069283;
    const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
    expect(maskCrc(crc)).toBe((rotated + 0xa282ead8) >>> 0);
    expect(maskCrc(crc)).not.toBe(crc);
    for (const c of [0, 1, 0xffffffff, 0x12345678, crc]) expect(unmaskCrc(maskCrc(c))).toBe(c);
  });
});

describe('TFRecord framing', () => {
  it('lays out length, masked length CRC, data, masked data CRC', () => {
    const data = ascii('hello');
    const rec = encodeRecord(data);
    expect(rec.length).toBe(8 + 4 + 5 + 4);
    const view = new DataView(rec.buffer);
    expect(view.getBigUint64(0, true)).toBe(5n);
    expect(view.getUint32(8, true)).toBe(maskCrc(crc32c(Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0]))));
    expect([...rec.subarray(12, 17)]).toEqual([...data]);
    expect(view.getUint32(17, true)).toBe(maskCrc(crc32c(data)));
  });

  it('round-trips several records, including an empty one', () => {
    const payloads = [ascii('a'), new Uint8Array(0), Uint8Array.from({ length: 300 }, (_, i) => i % 256)];
    const file = new Uint8Array(Buffer.concat(payloads.map(encodeRecord)));
    expect(decodeRecords(file).map((r) => [...r])).toEqual(payloads.map((p) => [...p]));
  });

  it('rejects a flipped data byte and a truncated file', () => {
    const file = encodeRecord(ascii('payload'));
    const bad = file.slice();
    bad[13] ^= 1;
    expect(() => decodeRecords(bad)).toThrow(DataLossError);
    expect(() => decodeRecords(bad)).toThrow(/corrupted record data at offset 0/);
    expect(() => decodeRecords(file.subarray(0, file.length - 2))).toThrow(/truncated record at offset 0/);
    const badLen = file.slice();
    badLen[0] ^= 2;
    expect(() => decodeRecords(badLen)).toThrow(/corrupted record length/);
  });
});
