import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, toTf } from '../../helpers.js';
import { forwardCases, named } from '../../op_table.js';
import { flags, linalgOps, mm } from '../../tables/linalg.js';
import { checkForward } from './harness.js';

describe('linalg ops: forward vs eager tfjs', () => {
  it.each(named(forwardCases(linalgOps)))('%s', (_, c) => checkForward(c));
});

describe('linalg ops: wasm backend (transposes explicitly before a plain matMul)', () => {
  // [2,9,40] and [40,9,2] also take the (B'·A')ᵀ form for one flag (fewer elements to transpose).
  const sizes = [
    [6, 7, 5],
    [2, 9, 40],
    [40, 9, 2],
  ] as const;
  it.each(
    flags.flatMap(([ta, tb]) =>
      sizes.map((s) => [`transposeA=${ta} transposeB=${tb} m,k,n=${s.join(',')}`, ta, tb, s] as const),
    ),
  )('matMul and batchMatMul %s match the eager cpu result', async (_, ta, tb, [m, k, n]) => {
    const { a, b } = mm(ta, tb, m, k, n);
    const va = randomArray(a, 'normal', 1);
    const vb = randomArray(b, 'normal', 2);
    const graph = new g.Graph();
    const out = graph.asDefault(() => {
      const pa = g.placeholder('float32', a);
      const pb = g.placeholder('float32', b);
      const batched = g.batchMatMul(g.stack([pa, pa]), pb, { adjX: ta, adjY: tb });
      return { pa, pb, y: g.matMul(pa, pb, { transposeA: ta, transposeB: tb }), batched };
    });
    const sess = await g.Session.create(graph, { backend: 'wasm' });
    const feeds = new Map([
      [out.pa, va],
      [out.pb, vb],
    ]);
    const [y, batched] = sess.run([out.y, out.batched], feeds);
    sess.close();
    const expected = tf.tidy(() => tf.matMul(toTf(va), toTf(vb), ta, tb));
    expectClose(y, expected, 1e-4);
    const expectedBatch = tf.tidy(() => tf.stack([expected, expected]));
    expectClose(batched, expectedBatch, 1e-4);
    tf.dispose([expected, expectedBatch]);
  });
});

describe('linalg ops: names and build-time errors', () => {
  it('names ops as TF does', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 2]);
      const x3 = g.placeholder('float32', [1, 2, 2]);
      const ops = [g.matMul(x, x), g.matMul(x, x), g.matMul(x3, x3), g.batchMatMul(x3, x3)].map(
        (t) => `${t.op.type}:${t.op.name}`,
      );
      expect(ops).toEqual([
        'MatMul:MatMul',
        'MatMul:MatMul_1',
        'BatchMatMulV2:MatMul_2',
        'BatchMatMulV2:BatchMatMulV2',
      ]);
      const t = g.matMul(x, x, { transposeA: true, name: 'mm' });
      expect(t.op.attrs).toEqual({ transposeA: true, transposeB: false });
    });
  });
  it('rejects mismatched inner dims, naming both shapes and the transpose flags', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const a = g.placeholder('float32', [2, 3], { name: 'a' });
      const b = g.placeholder('float32', [4, 5], { name: 'b' });
      expect(() => g.matMul(a, b)).toThrow(g.ValueError);
      expect(() => g.matMul(a, b)).toThrow(
        /MatMul op 'MatMul(_\d+)?': Dimensions must be equal, but are 3 and 4: the inner dimensions of \[2,3\] \(transposeA=false\) and \[4,5\] \(transposeB=false\) must match.*a:0: float32\[2,3\], b:0: float32\[4,5\]/,
      );
      expect(() => g.matMul(a, b, { transposeA: true })).toThrow(/but are 2 and 4/);
      expect(g.matMul(a, g.placeholder('float32', [5, 3]), { transposeB: true }).shape).toEqual([2, 5]);
    });
  });
  it('rejects batch matmuls whose inner dims or batch dims disagree', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3, 4], { name: 'x' });
      expect(() => g.batchMatMul(x, g.placeholder('float32', [2, 3, 4]))).toThrow(
        /BatchMatMulV2 op .*but are 4 and 3: the inner dimensions of \[2,3,4\] \(adjX=false\) and \[2,3,4\] \(adjY=false\)/,
      );
      expect(() => g.batchMatMul(x, g.placeholder('float32', [3, 4, 5]))).toThrow(
        /BatchMatMulV2 op .*Dimensions must be equal, but are 2 and 3/,
      );
      expect(() => g.batchMatMul(x, g.placeholder('float32', [4]))).toThrow(/must be at least rank 2/);
    });
  });
  it('rejects wrong ranks and dtypes', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const a = g.placeholder('float32', [2, 3], { name: 'a' });
      expect(() => g.matMul(a, g.placeholder('float32', [3]))).toThrow(/MatMul op .*must be rank 2/);
      expect(() => g.matMul(a, g.placeholder('int32', [3, 2]))).toThrow(g.TypeError);
      expect(() => g.matMul(g.placeholder('bool', [2, 2]), g.placeholder('bool', [2, 2]))).toThrow(
        /has dtype bool/,
      );
    });
  });
});
