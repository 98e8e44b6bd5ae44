import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, toTf } from '../helpers.js';
import { checkGradient, type GradCase } from './harness.js';

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

const cases: GradCase[] = [
  ...flags.map(([ta, tb]): GradCase => {
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
    ([ta, tb]): GradCase => ({
      name: `matMul(x, x) transposeA=${ta} transposeB=${tb}, second order`,
      inputs: [{ shape: [3, 3] }],
      build: (x) => g.matMul(x, x, { transposeA: ta, transposeB: tb }),
      eager: (x) => tf.matMul(x, x, ta, tb),
      secondOrder: true,
    }),
  ),
  {
    name: 'matMul(tanh(a), b), second order through both',
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
    build: (a, b) => g.matMul(g.tanh(a), b),
    eager: (a, b) => tf.matMul(tf.tanh(a), b),
    secondOrder: true,
  },
  {
    name: 'matMul unknown batch dim [?,3]·[3,4]',
    inputs: [{ shape: [5, 3], staticShape: [null, 3] }, { shape: [3, 4] }],
    build: (x, y) => g.matMul(x, y),
    eager: (x, y) => tf.matMul(x, y),
  },
  {
    name: 'matMul all dims unknown, transposeB',
    inputs: [
      { shape: [5, 3], staticShape: [null, null] },
      { shape: [4, 3], staticShape: [null, null] },
    ],
    build: (x, y) => g.matMul(x, y, { transposeB: true }),
    eager: (x, y) => tf.matMul(x, y, false, true),
  },
  ...flags.map(
    ([adjX, adjY]): GradCase => ({
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
    secondOrder: true,
  },
  {
    name: 'batchMatMul broadcasting [2,1,3,4]·[5,4,2]',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [5, 4, 2] }],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tiledMatMul(x, y),
  },
  {
    name: 'batchMatMul of a batch with one matrix [2,3,4]·[4,5], adjY',
    inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }],
    build: (x, y) => g.batchMatMul(x, y, { adjY: true }),
    eager: (x, y) => tiledMatMul(x, y, false, true),
  },
  {
    name: 'batchMatMul unknown batch dims [?,3,4]·[?,4,2] with broadcasting',
    inputs: [
      { shape: [3, 3, 4], staticShape: [null, 3, 4] },
      { shape: [1, 4, 2], staticShape: [null, 4, 2] },
    ],
    build: (x, y) => g.batchMatMul(x, y),
    eager: (x, y) => tiledMatMul(x, y),
  },
];

describe('linalg gradients vs eager tfjs and finite differences', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkGradient(c));
});

describe('linalg gradients on the wasm backend', () => {
  it('matMul gradients (transposed forms) match tfjs', async () => {
    const va = randomArray([6, 7], 'normal', 3);
    const vb = randomArray([7, 5], 'normal', 4);
    const graph = new g.Graph();
    const { a, b, grads } = graph.asDefault(() => {
      const a = g.placeholder('float32', [6, 7]);
      const b = g.placeholder('float32', [7, 5]);
      const y = g.reduceSum(g.square(g.matMul(a, b)));
      return { a, b, grads: gradients(y, [a, b]) as g.Tensor[] };
    });
    const sess = await g.Session.create(graph, { backend: 'wasm' });
    const got = sess.run(grads, [
      [a, va],
      [b, vb],
    ]);
    sess.close();
    const expected = tf.tidy(() =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([toTf(va), toTf(vb)]),
    );
    got.forEach((v, i) => expectClose(v, expected[i]!, 1e-4));
    tf.dispose(expected);
    expect(got).toHaveLength(2);
  });
});
