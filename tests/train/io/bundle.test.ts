// Checkpoints in TF's tensor-bundle V2 format: our `.index` read back by a table reader written
// here from the format description (not table.ts), a checkpoint written by an independent Python
// writer (tests/fixtures/make_fixtures.py) restored, damaged files named in DataLossErrors.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataLossError,
  errors,
  Graph,
  globalVariablesInitializer,
  NotFoundError,
  OpError,
  Session,
  UnimplementedError,
  variable,
} from '@graphmode/graph';
import { decodeMessage } from '@graphmode/graph/proto';
import { createGlobalStep, listVariables, loadVariable, Saver } from '@graphmode/train';
import { crc32c as referenceCrc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { buildTable } from '../../../packages/train/src/io/table.js';

const tmp = () => mkdtemp(join(tmpdir(), 'graphmode-bundle-'));
const FIXTURE = new URL('../../fixtures/tf_checkpoint/', import.meta.url).pathname;

// --- an independent reader of TF's table format ------------------------------------------------
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
function varints(b: Uint8Array, pos: number, count: number): [number[], number] {
  const out: number[] = [];
  while (out.length < count) {
    let n = 0;
    let shift = 0;
    for (;;) {
      const byte = b[pos++]!;
      n += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    out.push(n);
  }
  return [out, pos];
}
interface Parsed {
  entries: [string, Uint8Array][];
  dataBlocks: number;
  restartsChecked: number;
}
function parseTable(file: Uint8Array): Parsed {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const footer = file.length - 48;
  expect(dv.getBigUint64(footer + 40, true)).toBe(0xdb4775248b80fb57n);
  const [[, , indexOffset, indexSize]] = varints(file, footer, 4);
  let restartsChecked = 0;
  const block = (offset: number, size: number): [string, Uint8Array][] => {
    expect(file[offset + size]).toBe(0); // no compression
    const crc = referenceCrc32c(file.subarray(offset, offset + size + 1)) >>> 0;
    expect(dv.getUint32(offset + size + 1, true)).toBe(mask(crc));
    const n = dv.getUint32(offset + size - 4, true);
    const restarts = Array.from({ length: n }, (_, i) => dv.getUint32(offset + size - 4 - 4 * (n - i), true));
    const end = offset + size - 4 - 4 * n;
    const out: [string, Uint8Array][] = [];
    let key = Buffer.alloc(0);
    let pos = offset;
    while (pos < end) {
      const [[shared, unshared, len], p] = varints(file, pos, 3);
      if (restarts.includes(pos - offset)) {
        expect(shared).toBe(0); // a restart point stores its whole key
        restartsChecked++;
      }
      key = Buffer.concat([key.subarray(0, shared!), file.subarray(p, p + unshared!)]);
      out.push([key.toString('utf8'), file.subarray(p + unshared!, p + unshared! + len!)]);
      pos = p + unshared! + len!;
    }
    expect(pos).toBe(end);
    return out;
  };
  const index = block(indexOffset!, indexSize!);
  const entries: [string, Uint8Array][] = [];
  for (const [sep, handle] of index) {
    const [[off, size]] = varints(handle, 0, 2);
    const rows = block(off!, size!);
    expect(rows.every(([k]) => Buffer.compare(Buffer.from(k), Buffer.from(sep)) <= 0)).toBe(true);
    entries.push(...rows);
  }
  return { entries, dataBlocks: index.length, restartsChecked };
}

describe('tensor bundle .index (TF table format)', () => {
  it('lays out blocks, restart points, index and footer as TF does, over several blocks', () => {
    const rows: [Uint8Array, Uint8Array][] = Array.from({ length: 3000 }, (_, i) => [
      Buffer.from(`layer_${String(i).padStart(5, '0')}/weights`),
      Buffer.alloc(200, i % 251),
    ]);
    const parsed = parseTable(buildTable(rows));
    expect(parsed.dataBlocks).toBeGreaterThan(2); // 3000 × ~220 bytes over 256 KiB blocks
    expect(parsed.restartsChecked).toBeGreaterThan(3000 / 16 - 1);
    expect(parsed.entries.map(([k]) => k)).toEqual(rows.map(([k]) => Buffer.from(k).toString()));
    expect(parsed.entries.every(([, v], i) => Buffer.compare(v, rows[i]![1]) === 0)).toBe(true);
  });

  it('writes a header and one BundleEntryProto per variable; the global step as DT_INT64', async () => {
    const dir = await tmp();
    const g = new Graph();
    const vars = g.asDefault(() => ({
      w: variable(
        [
          [1.5, -2],
          [3, 4],
        ],
        { name: 'dense/w' },
      ),
      flag: variable([true, false, true], { name: 'flag' }),
      label: variable(['héllo', ''], { name: 'label' }),
      proto: variable([9], { name: 'p' }),
      step: createGlobalStep(g),
    }));
    const saver = g.asDefault(
      () =>
        new Saver({
          varList: Object.fromEntries([
            ...Object.entries(vars).map(([k, v]) => [k === 'proto' ? '__proto__' : v.op.name, v]),
          ]),
        }),
    );
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    const prefix = await saver.save(sess, join(dir, 'model.ckpt'), { globalStep: 42 });
    const { entries } = parseTable(await readFile(`${prefix}.index`));
    const data = await readFile(`${prefix}.data-00000-of-00001`);
    expect(entries.map(([k]) => k)).toEqual(['', '__proto__', 'dense/w', 'flag', 'global_step', 'label']);
    expect(decodeMessage('BundleHeaderProto', entries[0]![1])).toEqual({
      numShards: 1,
      version: { producer: 1 },
    });
    const entry = (k: string) =>
      decodeMessage<{
        dtype: number;
        shape: { dim?: { size: number }[] };
        offset?: number;
        size: number;
        crc32c: number;
      }>('BundleEntryProto', entries.find(([key]) => key === k)![1]);
    const bytesOf = (k: string, crc = (b: Uint8Array) => referenceCrc32c(b) >>> 0) => {
      const e = entry(k);
      const b = data.subarray(e.offset ?? 0, (e.offset ?? 0) + e.size);
      expect(e.crc32c).toBe(mask(crc(b)));
      return b;
    };
    expect(entry('dense/w')).toMatchObject({
      dtype: 1,
      shape: { dim: [{ size: 2 }, { size: 2 }] },
      size: 16,
    });
    expect(bytesOf('dense/w')).toEqual(Buffer.from(Float32Array.of(1.5, -2, 3, 4).buffer));
    expect(entry('global_step')).toMatchObject({ dtype: 9, shape: {}, size: 8 });
    expect(bytesOf('global_step')).toEqual(Buffer.from(BigInt64Array.of(0n).buffer));
    expect(entry('flag')).toMatchObject({ dtype: 10, size: 3 });
    expect([...bytesOf('flag')]).toEqual([1, 0, 1]);
    // Strings: varint lengths, masked CRC32C of the lengths as uint32 LE, then the bytes.
    // The entry's CRC covers the lengths as uint32 LE, the 4 checksum bytes, then the strings.
    const lengths = Buffer.from(Uint32Array.of(6, 0).buffer);
    const s = bytesOf('label', (b) => referenceCrc32c(b.subarray(2), referenceCrc32c(lengths)) >>> 0);
    expect([...s.subarray(0, 2)]).toEqual([6, 0]);
    expect(s.readUInt32LE(2)).toBe(mask(referenceCrc32c(lengths) >>> 0));
    expect(s.subarray(6).toString('utf8')).toBe('héllo');
    expect(entry('__proto__')).toMatchObject({ dtype: 1, size: 4 });

    // ... and reads back, `__proto__` included.
    sess.run(g.asDefault(() => vars.proto.assign([0])));
    await saver.restore(sess, prefix);
    expect(sess.run(vars.proto).toArray()).toEqual([9]);
    expect(await listVariables(dir)).toEqual([
      ['__proto__', [1]],
      ['dense/w', [2, 2]],
      ['flag', [3]],
      ['global_step', []],
      ['label', [2]],
    ]);
    expect((await loadVariable(prefix, 'label:0')).toArray()).toEqual(['héllo', '']);
    sess.close();
  });
});

function fixtureModel() {
  const g = new Graph();
  const v = g.asDefault(() => ({
    kernel: variable(
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      { name: 'dense/kernel' },
    ),
    bias: variable(new Float32Array(3), { name: 'dense/bias' }),
    count: variable(Int32Array.of(0, 0), { name: 'count' }),
    flags: variable([false, false, false], { name: 'flags' }),
    names: variable(['', ''], { name: 'names' }),
    layer: variable(new Float32Array(2), { name: 'layer_17/w' }),
    step: createGlobalStep(g),
  }));
  const saver = g.asDefault(() => new Saver({ varList: Object.values(v) }));
  return { g, v, saver, sess: new Session(g) };
}

describe('restoring a checkpoint in TF’s format written by an independent writer', () => {
  it('restores float32, int32, int64 (into int32), bool and string tensors', async () => {
    const { v, saver, sess } = fixtureModel();
    await saver.restore(sess, join(FIXTURE, 'model.ckpt-7'));
    const [kernel, bias, count, flags, names, layer, step] = sess.run([
      v.kernel,
      v.bias,
      v.count,
      v.flags,
      v.names,
      v.layer,
      v.step,
    ]);
    expect(kernel!.data).toEqual(Float32Array.of(0.5, -1.25, 2, 3.5, -0.125, 1e-3));
    expect(bias!.data).toEqual(Float32Array.of(0.1, 0.2, 0.3));
    expect(count!.toArray()).toEqual([-5, 2147483647]);
    expect(flags!.toArray()).toEqual([true, false, true]);
    expect(names!.toArray()).toEqual(['hello', 'wörld']);
    expect(layer!.toArray()).toEqual([17, -17]);
    expect(step!.item()).toBe(7);
    sess.close();
  });

  it('lists and loads variables of a directory’s latest checkpoint', async () => {
    const list = await listVariables(FIXTURE);
    expect(list).toHaveLength(47);
    expect(list.slice(0, 4)).toEqual([
      ['big_int64', [1]],
      ['count', [2]],
      ['dense/bias', [3]],
      ['dense/kernel', [2, 3]],
    ]);
    expect((await loadVariable(FIXTURE, 'global_step')).item()).toBe(7);
    await expect(loadVariable(FIXTURE, 'big_int64')).rejects.toThrow(UnimplementedError);
    await expect(loadVariable(FIXTURE, 'nope')).rejects.toThrow(NotFoundError);
  });

  it('a damaged data or index file is a DataLossError naming the file and tensor', async () => {
    const dir = await tmp();
    await cp(FIXTURE, dir, { recursive: true });
    const prefix = join(dir, 'model.ckpt-7');
    const data = await readFile(`${prefix}.data-00000-of-00001`);
    const offset = (await listVariables(prefix)).findIndex(([n]) => n === 'dense/bias');
    expect(offset).toBeGreaterThan(-1);
    const biasAt = data.indexOf(Buffer.from(Float32Array.of(0.1, 0.2, 0.3).buffer));
    data[biasAt + 5]! ^= 0x10;
    await writeFile(`${prefix}.data-00000-of-00001`, data);
    const { saver, sess } = fixtureModel();
    const err = await saver.restore(sess, prefix).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataLossError);
    expect(err).toBeInstanceOf(OpError);
    expect(errors.DataLossError).toBe(DataLossError);
    expect((err as Error).message).toMatch(/dense\/bias.*model\.ckpt-7\.data-00000-of-00001/);
    await expect(loadVariable(prefix, 'dense/kernel')).resolves.toBeDefined(); // other tensors are intact

    const index = await readFile(`${prefix}.index`);
    index[40]! ^= 0xff;
    await writeFile(`${prefix}.index`, index);
    await expect(saver.restore(sess, prefix)).rejects.toThrow(/model\.ckpt-7\.index/);
    await expect(saver.restore(sess, prefix)).rejects.toThrow(DataLossError);
    await writeFile(`${prefix}.index`, index.subarray(0, 30));
    await expect(listVariables(prefix)).rejects.toThrow(DataLossError);
    sess.close();
  });
});
