import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, toTf } from '../../helpers.js';
import { checkForward, type ForwardCase } from './harness.js';

const flags = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
const mm = (ta: boolean, tb: boolean, m = 2, k = 3, n = 4) => ({
  a: ta ? [k, m] : [m, k],
  b: tb ? [n, k] : [k, n],
});

const cases: ForwardCase[] = [
  ...flags.map(([ta, tb]): ForwardCase => {
    const { a, b } = mm(ta, tb);
    return {
      name: `matMul transposeA=${ta} transposeB=${tb}`,
      inputs: [{ shape: a }, { shape: b }],
      build: (x, y) => g.matMul(x, y, { transposeA: ta, transposeB: tb }),
      eager: (x, y) => tf.matMul(x, y, ta, tb),
    };
  }),
  {
    name: 'matMul int32',
    inputs: [
      { shape: [2, 3], domain: 'int' },
      { shape: [3, 2], domain: 'int' },
    ],
    build: (x, y) => g.matMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
  },
  {
    name: 'matMul unknown batch and inner dims',
    inputs: [
      { shape: [5, 3], staticShape: [null, null] },
      { shape: [3, 4], staticShape: [3, 4] },
    ],
    build: (x, y) => g.matMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
    staticShape: [null, 4],
  },
  {
    name: 'matMul with transposeA and an unknown dim',
    inputs: [
      { shape: [3, 5], staticShape: [3, null] },
      { shape: [3, 4], staticShape: [null, 4] },
    ],
    build: (x, y) => g.matMul(x, y, { transposeA: true }),
    eager: (x, y) => tf.matMul(x, y, true),
    staticShape: [null, 4],
  },
  {
    name: 'matMul of rank 3 inputs becomes a batch matmul (transposeB)',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }],
    build: (x, y) => g.matMul(x, y, { transposeB: true }),
    eager: (x, y) => tf.matMul(x, y, false, true),
  },
  ...flags.map(
    ([adjX, adjY]): ForwardCase => ({
      name: `batchMatMul adjX=${adjX} adjY=${adjY}`,
      inputs: [{ shape: adjX ? [3, 4, 2] : [3, 2, 4] }, { shape: adjY ? [3, 5, 4] : [3, 4, 5] }],
      build: (x, y) => g.batchMatMul(x, y, { adjX, adjY }),
      eager: (x, y) => tf.matMul(x, y, adjX, adjY),
    }),
  ),
  {
    name: 'batchMatMul broadcasts batch dims [2,1,3,4]·[5,4,6]',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [5, 4, 6] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tf.matMul(tf.tile(x, [1, 5, 1, 1]), tf.tile(tf.expandDims(y, 0), [2, 1, 1, 1])),
  },
  {
    name: 'batchMatMul of a batch with one matrix [2,3,4]·[4,5]',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tf.matMul(x, tf.tile(tf.expandDims(y, 0), [2, 1, 1])),
  },
  {
    name: 'batchMatMul unknown batch dim',
    inputs: [
      { shape: [2, 3, 4], staticShape: [null, 3, 4] },
      { shape: [2, 4, 5], staticShape: [null, 4, null] },
    ],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
    staticShape: [null, 3, null],
  },
  {
    name: 'batchMatMul unknown rank',
    inputs: [{ shape: [2, 3, 4], staticShape: null }, { shape: [2, 4, 5] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
    staticShape: null,
  },
];

describe('linalg ops: forward vs eager tfjs', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkForward(c));
});

describe('linalg ops: wasm backend (transposes explicitly before a plain matMul)', () => {
  it.each(flags.map(([ta, tb]) => [`transposeA=${ta} transposeB=${tb}`, ta, tb] as const))(
    'matMul and batchMatMul %s match the eager cpu result',
    async (_, ta, tb) => {
      const { a, b } = mm(ta, tb, 6, 7, 5);
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
    },
  );
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
