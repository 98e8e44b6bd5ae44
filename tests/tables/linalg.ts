// matMul / batchMatMul rows for the forward and gradient harnesses (see tests/op_table.ts).

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { OpCase } from '../op_table.js';

export const flags = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
export const mm = (ta: boolean, tb: boolean, m = 2, k = 3, n = 4) => ({
  a: ta ? [k, m] : [m, k],
  b: tb ? [n, k] : [k, n],
});

// tfjs's eager batch matmul miscounts batches that broadcast on both sides, so the oracle tiles
// both operands to the full batch shape first (tile's gradient does the summing).
const tiledMatMul = (x: tf.Tensor, y: tf.Tensor, ta = false, tb = false): tf.Tensor => {
  const bx = x.shape.slice(0, -2);
  const by = y.shape.slice(0, -2);
  const rank = Math.max(bx.length, by.length);
  const pad = (s: number[]) => [...Array<number>(rank - s.length).fill(1), ...s];
  const batch = pad(bx).map((d, i) => Math.max(d, pad(by)[i]!));
  const full = (t: tf.Tensor, b: number[]) =>
    tf.tile(tf.reshape(t, [...pad(b), ...t.shape.slice(-2)]), [...batch.map((d, i) => d / pad(b)[i]!), 1, 1]);
  return tf.matMul(full(x, bx), full(y, by), ta, tb);
};

export const linalgOps: OpCase[] = [
  ...flags.map(([ta, tb]): OpCase => {
    const { a, b } = mm(ta, tb);
    return {
      name: `matMul transposeA=${ta} transposeB=${tb}`,
      inputs: [{ shape: a }, { shape: b }],
      build: (x, y) => g.matMul(x, y, { transposeA: ta, transposeB: tb }),
      eager: (x, y) => tf.matMul(x, y, ta, tb),
    };
  }),
  // x · op(x) makes the first-order gradient depend on x, so second order is not trivially null.
  ...flags.map(
    ([ta, tb]): OpCase => ({
      name: `matMul(x, x) transposeA=${ta} transposeB=${tb}, second order`,
      inputs: [{ shape: [3, 3] }],
      build: (x) => g.matMul(x, x, { transposeA: ta, transposeB: tb }),
      eager: (x) => tf.matMul(x, x, ta, tb),
      forward: false,
      grad: { secondOrder: true },
    }),
  ),
  {
    name: 'matMul(tanh(a), b), second order through both',
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
    build: (a, b) => g.matMul(g.tanh(a), b),
    eager: (a, b) => tf.matMul(tf.tanh(a), b),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'matMul int32',
    inputs: [
      { shape: [2, 3], domain: 'int' },
      { shape: [3, 2], domain: 'int' },
    ],
    build: (x, y) => g.matMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
    grad: false,
  },
  {
    name: 'matMul unknown batch dim [?,3]·[3,4]',
    inputs: [{ shape: [5, 3], staticShape: [null, 3] }, { shape: [3, 4] }],
    build: (x, y) => g.matMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
    staticShape: [null, 4],
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
    grad: false,
  },
  {
    name: 'matMul all dims unknown, transposeB',
    inputs: [
      { shape: [5, 3], staticShape: [null, null] },
      { shape: [4, 3], staticShape: [null, null] },
    ],
    build: (x, y) => g.matMul(x, y, { transposeB: true }),
    eager: (x, y) => tf.matMul(x, y, false, true),
    staticShape: [null, null],
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
    grad: false,
  },
  {
    name: 'matMul of rank 3 inputs becomes a batch matmul (transposeB)',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }],
    build: (x, y) => g.matMul(x, y, { transposeB: true }),
    eager: (x, y) => tf.matMul(x, y, false, true),
    grad: false,
  },
  ...flags.map(
    ([adjX, adjY]): OpCase => ({
      name: `batchMatMul adjX=${adjX} adjY=${adjY}`,
      inputs: [{ shape: adjX ? [2, 3, 2] : [2, 2, 3] }, { shape: adjY ? [2, 4, 3] : [2, 3, 4] }],
      build: (x, y) => g.batchMatMul(x, y, { adjX, adjY }),
      eager: (x, y) => tf.matMul(x, y, adjX, adjY),
    }),
  ),
  {
    name: 'batchMatMul(x, x) second order',
    inputs: [{ shape: [2, 3, 3] }],
    build: (x) => g.batchMatMul(x, x, { adjY: true }),
    eager: (x) => tf.matMul(x, x, false, true),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'batchMatMul broadcasting [2,1,3,4]·[5,4,2]',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [5, 4, 2] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tiledMatMul(x, y),
  },
  {
    name: 'batchMatMul of a batch with one matrix [2,3,4]·[4,5]',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tf.matMul(x, tf.tile(tf.expandDims(y, 0), [2, 1, 1])),
    grad: false,
  },
  {
    name: 'batchMatMul of a batch with one matrix [2,3,4]·[4,5], adjY',
    inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }],
    build: (x, y) => g.batchMatMul(x, y, { adjY: true }),
    eager: (x, y) => tiledMatMul(x, y, false, true),
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
    grad: false,
  },
  {
    name: 'batchMatMul unknown batch dims [?,3,4]·[?,4,2] with broadcasting',
    inputs: [
      { shape: [3, 3, 4], staticShape: [null, 3, 4] },
      { shape: [1, 4, 2], staticShape: [null, 4, 2] },
    ],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tiledMatMul(x, y),
    staticShape: [null, 3, 2],
  },
  {
    name: 'batchMatMul unknown rank',
    inputs: [{ shape: [2, 3, 4], staticShape: null }, { shape: [2, 4, 5] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
    staticShape: null,
    grad: false,
  },
];
