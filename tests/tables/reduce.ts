// Reduction rows for the forward and gradient harnesses (see tests/op_table.ts).

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { Domain } from '../helpers.js';
import type { GradOptions, OpCase } from '../op_table.js';

type Reducer = (x: g.Tensor, axis?: number | number[] | g.Tensor | null, o?: g.ReduceOptions) => g.Tensor;
type Eager = (x: tf.Tensor, axis?: number | number[], keepDims?: boolean) => tf.Tensor;

const X = [2, 3, 4];
const fedAxis = { shape: [], domain: [1, 1.5], dtype: 'int32' } as const;

interface Kind {
  name: string;
  /** Which harness the kind was written for; 'grad' kinds are only built for differentiable reducers. */
  for: 'both' | 'forward' | 'grad';
  row: (f: Reducer, e: Eager, domain: Domain) => Omit<OpCase, 'name' | 'grad'>;
}

const kinds: Kind[] = [
  {
    name: 'all axes',
    for: 'both',
    row: (f, e, domain) => ({ inputs: [{ shape: X, domain }], build: (x) => f(x), eager: (x) => e(x) }),
  },
  {
    name: 'axis 1',
    for: 'both',
    row: (f, e, domain) => ({ inputs: [{ shape: X, domain }], build: (x) => f(x, 1), eager: (x) => e(x, 1) }),
  },
  {
    name: 'axes [0,-1] keepDims',
    for: 'both',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain }],
      build: (x) => f(x, [0, -1], { keepDims: true }),
      eager: (x) => e(x, [0, 2], true),
    }),
  },
  {
    name: 'axes [2,0] (unsorted)',
    for: 'grad',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain }],
      build: (x) => f(x, [2, 0]),
      eager: (x) => e(x, [0, 2]),
    }),
  },
  {
    name: 'axis [] is a no-op',
    for: 'forward',
    row: (f, _, domain) => ({
      inputs: [{ shape: X, domain }],
      build: (x) => f(x, []),
      eager: (x) => tf.clone(x),
    }),
  },
  {
    name: 'unknown dims [?,3,?] axis 2',
    for: 'both',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain, staticShape: [null, 3, null] }],
      build: (x) => f(x, 2),
      eager: (x) => e(x, 2),
      staticShape: [null, 3],
    }),
  },
  {
    name: 'unknown dims [?,?,?] axis 1',
    for: 'grad',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain, staticShape: [null, null, null] }],
      build: (x) => f(x, 1),
      eager: (x) => e(x, 1),
      staticShape: [null, null],
    }),
  },
  {
    name: 'unknown rank, all axes',
    for: 'forward',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain, staticShape: null }],
      build: (x) => f(x),
      eager: (x) => e(x),
      staticShape: [],
    }),
  },
  {
    name: 'unknown rank, axis -1',
    for: 'grad',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain, staticShape: null }],
      build: (x) => f(x, -1),
      // tfjs's eager Prod gradient rejects a negative axis; 2 is the same axis of X.
      eager: (x) => e(x, 2),
      staticShape: null,
    }),
  },
  {
    name: 'unknown rank, axis 0 keepDims',
    for: 'forward',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain, staticShape: null }],
      build: (x) => f(x, 0, { keepDims: true }),
      eager: (x) => e(x, 0, true),
      staticShape: null,
    }),
  },
  {
    // The axis comes from a fed int32 tensor, so the shape rule cannot read it.
    name: 'fed axis, keepDims keeps the rank',
    for: 'forward',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain }, fedAxis],
      build: (x, axis) => f(x, axis, { keepDims: true }),
      eager: (x) => e(x, 1, true),
      staticShape: [null, null, null],
    }),
  },
  {
    name: 'fed axis without keepDims: unknown rank',
    for: 'both',
    row: (f, e, domain) => ({
      inputs: [{ shape: X, domain }, fedAxis],
      build: (x, axis) => f(x, axis),
      eager: (x) => e(x, 1),
      staticShape: null,
    }),
  },
];

/** Every kind for a differentiable reducer (`grad` set), the forward kinds otherwise. */
const rows = (name: string, f: Reducer, e: Eager, domain: Domain, grad: GradOptions | false): OpCase[] =>
  kinds
    .filter((k) => grad !== false || k.for !== 'grad')
    .map((k) => ({
      name: `${name} ${k.name}`,
      ...k.row(f, e, domain),
      grad: grad === false || k.for === 'forward' ? false : grad,
    }));

export const reduceOps: OpCase[] = [
  ...rows('reduceSum', g.reduceSum, tf.sum, 'normal', {}),
  ...rows('reduceMean', g.reduceMean, tf.mean, 'normal', {}),
  ...rows('reduceMax', g.reduceMax, tf.max, 'normal', {}),
  ...rows('reduceMin', g.reduceMin, tf.min, 'normal', {}),
  ...rows('reduceProd', g.reduceProd, tf.prod, 'positive', { secondOrder: true }),
  ...rows('reduceAll', g.reduceAll, tf.all, 'bool', false),
  ...rows('reduceAny', g.reduceAny, tf.any, 'bool', false),
  ...rows('reduceSum (int)', g.reduceSum, tf.sum, 'int', false),
  ...rows('reduceMax (int)', g.reduceMax, tf.max, 'int', false),
  ...rows('reduceProd (int)', g.reduceProd, tf.prod, 'int', false),
  {
    // TF's _ProdGrad with the rank, the axes and so the permutation known only at run time.
    name: 'reduceProd unknown rank, fed axes [2,0] (several axes, dynamic transpose)',
    inputs: [
      { shape: X, domain: 'positive', staticShape: null },
      { shape: [2], domain: [0, 1], dtype: 'int32' },
    ],
    // axes = 0 * fed + [2, -3]: the values are [2, 0] but no shape rule can read them.
    build: (x, a) => g.reduceProd(x, g.add(g.mul(a, 0), [2, -3])),
    eager: (x) => tf.prod(x, [0, 2]),
    forward: false,
    grad: { secondOrder: true, wrt: [0] },
  },
  {
    name: 'reduceMean (int) truncates toward zero',
    inputs: [{ shape: [4, 5], domain: 'int' }],
    build: (x) => g.reduceMean(x, 1),
    // Oracle: the float mean truncated (not floored) — TF's integer division.
    eager: (x) => tf.cast(tf.mul(tf.sign(tf.mean(x, 1)), tf.floor(tf.abs(tf.mean(x, 1)))), 'int32'),
    grad: false,
  },
  ...[1, -1, 0].map(
    (axis): OpCase => ({
      name: `argMax axis ${axis}`,
      inputs: [{ shape: [3, 5] }],
      build: (x) => g.argMax(x, axis),
      eager: (x) => tf.argMax(x, axis),
      grad: false,
    }),
  ),
  {
    name: 'argMin axis 1 (int input)',
    inputs: [{ shape: [3, 5], domain: 'int' }],
    build: (x) => g.argMin(x, 1),
    eager: (x) => tf.argMin(x, 1),
    grad: false,
  },
  {
    name: 'argMax default axis 0, unknown dims',
    inputs: [{ shape: [4, 3], staticShape: [null, 3] }],
    build: (x) => g.argMax(x),
    eager: (x) => tf.argMax(x, 0),
    staticShape: [3],
    grad: false,
  },
  {
    name: 'argMin with a fed axis: rank known, dims unknown',
    inputs: [{ shape: [4, 3] }, fedAxis],
    build: (x, axis) => g.argMin(x, axis),
    eager: (x) => tf.argMin(x, 1),
    staticShape: [null],
    grad: false,
  },
  {
    name: 'reduceSum composed with a smooth op (second order through the broadcast)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.reduceSum(g.mul(g.sin(x), g.exp(x)), 1),
    eager: (x) => tf.sum(tf.mul(tf.sin(x), tf.exp(x)), 1),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'reduceMean of squares, unknown batch dim (second order)',
    inputs: [{ shape: [3, 4], staticShape: [null, 4] }],
    build: (x) => g.reduceMean(g.square(x), 0),
    eager: (x) => tf.mean(tf.square(x), 0),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'reduceLogSumExp axis 1',
    inputs: [{ shape: [3, 4], domain: [-50, 50] }],
    build: (x) => g.reduceLogSumExp(x, 1),
    eager: (x) => tf.logSumExp(x, 1),
    grad: false,
  },
  {
    // The forward row above covers the wide domain; this one differentiates the composite.
    name: 'reduceLogSumExp axis 1 (composite)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.reduceLogSumExp(x, 1),
    eager: (x) => tf.logSumExp(x, 1),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'reduceLogSumExp all axes keepDims',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.reduceLogSumExp(x, null, { keepDims: true }),
    eager: (x) => tf.logSumExp(x, [0, 1], true),
    grad: false,
  },
  {
    name: 'reduceLogSumExp all axes keepDims, unknown dims',
    inputs: [{ shape: [3, 4], staticShape: [null, null] }],
    build: (x) => g.reduceLogSumExp(x, null, { keepDims: true }),
    eager: (x) => tf.logSumExp(x, [0, 1], true),
    staticShape: [1, 1],
  },
  {
    name: 'reduceLogSumExp unknown batch dim',
    inputs: [{ shape: [3, 4], staticShape: [null, 4] }],
    build: (x) => g.reduceLogSumExp(x, -1),
    eager: (x) => tf.logSumExp(x, -1),
    staticShape: [null],
    grad: false,
  },
];
