// Checkpoint throughput for one 64 MB float32 variable: Saver.save / Saver.restore (TF tensor
// bundle on disk: fetch, CRC32C, write, fsync, rename; read, CRC check, decode, assign) and the
// in-memory halves (bundle encode / decode), against tfjs-core's io.encodeWeights /
// decodeWeights (in memory, no checksums) and the same plus a plain file write / read.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, globalVariablesInitializer, Session, variable } from '@graphmode/graph';
import { Saver } from '@graphmode/train';
import * as tfc from '@tensorflow/tfjs-core';
import { buildIndex, decodeTensor, encodeTensor, parseIndex } from '../packages/train/src/io/bundle.js';
import { type Bench, type Row, round } from './util.js';

const MB = 64;
const REPS = Number(process.env.BENCH_REPS ?? 5);

async function median(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const row = (what: string, ms: number, tfjsMs: number, tfjsWhat: string): Row => ({
  what,
  ms: round(ms, 1),
  'MB/s': round((MB / ms) * 1000, 0),
  tfjs: tfjsWhat,
  'tfjs ms': round(tfjsMs, 1),
  'tfjs MB/s': round((MB / tfjsMs) * 1000, 0),
  'ours/tfjs time': round(ms / tfjsMs, 2),
});

const bench: Bench = {
  name: 'checkpoint',
  description: `save/restore of one ${MB} MB float32 variable vs tfjs encodeWeights/decodeWeights`,
  async run() {
    const n = (MB * 2 ** 20) / 4;
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const dir = mkdtempSync(join(tmpdir(), 'graphmode-bench-ckpt-'));
    const g = new Graph();
    const w = g.asDefault(() => variable(values, { name: 'w' }));
    const saver = g.asDefault(() => new Saver({ varList: [w], maxToKeep: 1 }));
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    const prefix = join(dir, 'model.ckpt');
    const nd = sess.run(w);

    const save = await median(() => saver.save(sess, prefix));
    const restore = await median(() => saver.restore(sess, prefix));
    const encode = await median(() => {
      const t = encodeTensor(nd);
      buildIndex(new Map([['w', { ...t.entry, offset: 0 }]]));
    });
    const indexBytes = await readFile(`${prefix}.index`);
    const dataBytes = await readFile(`${prefix}.data-00000-of-00001`);
    const decode = await median(() => {
      const e = parseIndex(indexBytes, 'index').entries.get('w')!;
      decodeTensor(e, dataBytes, 'w', 'data');
    });

    const tensor = tfc.tensor1d(values);
    const tfjsEncode = await median(() => tfc.io.encodeWeights({ w: tensor }));
    const { data, specs } = await tfc.io.encodeWeights({ w: tensor });
    const tfjsDecode = await median(() => tfc.dispose(Object.values(tfc.io.decodeWeights(data, specs))));
    const file = join(dir, 'weights.bin');
    const tfjsSave = await median(async () => {
      const out = await tfc.io.encodeWeights({ w: tensor });
      await writeFile(file, new Uint8Array(out.data));
    });
    const tfjsLoad = await median(async () => {
      const b = await readFile(file);
      const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      tfc.dispose(Object.values(tfc.io.decodeWeights(buf, specs)));
    });
    tensor.dispose();
    sess.close();
    rmSync(dir, { recursive: true });
    return [
      row(
        'Saver.save (fetch + encode + write + fsync + rename)',
        save,
        tfjsSave,
        'encodeWeights + writeFile',
      ),
      row('Saver.restore (read + check + decode + assign)', restore, tfjsLoad, 'readFile + decodeWeights'),
      row('bundle encode (in memory, CRC32C)', encode, tfjsEncode, 'encodeWeights'),
      row('bundle decode (in memory, CRC32C check)', decode, tfjsDecode, 'decodeWeights'),
    ];
  },
};
export default bench;
