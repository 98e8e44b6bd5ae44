import { gradients, registeredGradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Domain } from '../helpers.js';
import { checkGradient, type GradCase } from './harness.js';

type Reducer = (x: g.Tensor, axis?: number | number[] | g.Tensor | null, o?: g.ReduceOptions) => g.Tensor;
type Eager = (x: tf.Tensor, axis?: number | number[], keepDims?: boolean) => tf.Tensor;

const X = [2, 3, 4];
const rows = (
  name: string,
  f: Reducer,
  e: Eager,
  domain: Domain,
  extra: Partial<GradCase> = {},
): GradCase[] => [
  {
    name: `${name} all axes`,
    inputs: [{ shape: X, domain }],
    build: (x) => f(x),
    eager: (x) => e(x),
    ...extra,
  },
  {
    name: `${name} axis 1`,
    inputs: [{ shape: X, domain }],
    build: (x) => f(x, 1),
    eager: (x) => e(x, 1),
    ...extra,
  },
  {
    name: `${name} axes [0,-1] keepDims`,
    inputs: [{ shape: X, domain }],
    build: (x) => f(x, [0, -1], { keepDims: true }),
    eager: (x) => e(x, [0, 2], true),
    ...extra,
  },
  {
    name: `${name} axes [2,0] (unsorted)`,
    inputs: [{ shape: X, domain }],
    build: (x) => f(x, [2, 0]),
    eager: (x) => e(x, [0, 2]),
    ...extra,
  },
  {
    name: `${name} unknown dims [?,3,?] axis 2`,
    inputs: [{ shape: X, domain, staticShape: [null, 3, null] }],
    build: (x) => f(x, 2),
    eager: (x) => e(x, 2),
    ...extra,
  },
  {
    name: `${name} unknown dims [?,?,?] axis 1`,
    inputs: [{ shape: X, domain, staticShape: [null, null, null] }],
    build: (x) => f(x, 1),
    eager: (x) => e(x, 1),
    ...extra,
  },
  {
    name: `${name} unknown rank, axis -1`,
    inputs: [{ shape: X, domain, staticShape: null }],
    build: (x) => f(x, -1),
    eager: (x) => e(x, -1),
    ...extra,
  },
  {
    name: `${name} fed axis`,
    inputs: [
      { shape: X, domain },
      { shape: [], domain: [1, 1.5], dtype: 'int32' },
    ],
    build: (x, axis) => f(x, axis),
    eager: (x) => e(x, 1),
    ...extra,
  },
];

const cases: GradCase[] = [
  ...rows('reduceSum', g.reduceSum, tf.sum, 'normal'),
  ...rows('reduceMean', g.reduceMean, tf.mean, 'normal'),
  ...rows('reduceMax', g.reduceMax, tf.max, 'normal'),
  ...rows('reduceMin', g.reduceMin, tf.min, 'normal'),
  ...rows('reduceProd', g.reduceProd, tf.prod, 'positive', { secondOrder: true }).filter(
    (c) => !/unknown rank|fed axis/.test(c.name),
  ),
  {
    name: 'reduceSum composed with a smooth op (second order through the broadcast)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.reduceSum(g.mul(g.sin(x), g.exp(x)), 1),
    eager: (x) => tf.sum(tf.mul(tf.sin(x), tf.exp(x)), 1),
    secondOrder: true,
  },
  {
    name: 'reduceMean of squares, unknown batch dim (second order)',
    inputs: [{ shape: [3, 4], staticShape: [null, 4] }],
    build: (x) => g.reduceMean(g.square(x), 0),
    eager: (x) => tf.mean(tf.square(x), 0),
    secondOrder: true,
  },
  {
    name: 'reduceLogSumExp axis 1 (composite)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.reduceLogSumExp(x, 1),
    eager: (x) => tf.logSumExp(x, 1),
    secondOrder: true,
  },
  {
    name: 'reduceLogSumExp all axes keepDims, unknown dims',
    inputs: [{ shape: [3, 4], staticShape: [null, null] }],
    build: (x) => g.reduceLogSumExp(x, null, { keepDims: true }),
    eager: (x) => tf.logSumExp(x, [0, 1], true),
  },
];

describe('reduction gradients vs eager tfjs and finite differences', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkGradient(c));
});

const grad = (build: (x: g.Tensor) => g.Tensor, value: number[][]): number[][] => {
  const graph = new g.Graph();
  const dx = graph.asDefault(() => {
    const x = g.constant(value);
    return gradients(build(x), x)[0] as g.Tensor;
  });
  const sess = new g.Session(graph);
  try {
    return sess.run(dx).toArray() as number[][];
  } finally {
    sess.close();
  }
};

describe('reduction gradients: special cases', () => {
  it('max and min share the gradient equally among ties', () => {
    const x = [
      [1, 3, 3],
      [2, 2, 2],
    ];
    const t = 1 / 3;
    expect(grad((v) => g.reduceMax(v, 1), x)).toEqual([
      [0, 0.5, 0.5],
      [expect.closeTo(t), expect.closeTo(t), expect.closeTo(t)],
    ]);
    const y = [
      [2, 3, 2],
      [2, 5, 2],
    ];
    expect(grad((v) => g.reduceMin(v), y)).toEqual([
      [0.25, 0, 0.25],
      [0.25, 0, 0.25],
    ]);
  });
  it('prod handles zeros: d/dx_i is the product of the other entries', () => {
    const x = [
      [2, 0, 3],
      [0, 0, 5],
    ];
    expect(grad((v) => g.reduceProd(v, 1), x)).toEqual([
      [0, 6, 0],
      [0, 0, 0],
    ]);
    expect(grad((v) => g.reduceProd(v, 0), x)).toEqual([
      [0, 0, 5],
      [2, 0, 3],
    ]);
  });
  it('mean of an int tensor and arg-reductions pass no gradient', () => {
    new g.Graph().asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const viaArg = g.cast(g.add(g.argMax(x, 1), g.argMin(x, 1)), 'float32');
      expect(gradients(viaArg, x)).toEqual([null]);
      const viaAll = g.cast(g.reduceAll(g.greater(x, 0)), 'float32');
      expect(gradients(viaAll, x)).toEqual([null]);
    });
  });
  it('prod over non-constant axes is reported as unimplemented, naming the op', () => {
    new g.Graph().asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const axis = g.placeholder('int32', []);
      const y = g.reduceProd(x, axis, { name: 'p' });
      expect(() => gradients(y, x)).toThrow(g.UnimplementedError);
      expect(() => gradients(y, x)).toThrow(/gradient of Prod op 'p'/);
    });
  });
  it('every reduction op type has a rule or is declared not differentiable', () => {
    const types = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'All', 'Any', 'ArgMax', 'ArgMin'];
    for (const t of types) expect(g.getOpDef(t), t).toBeDefined();
    expect(types.filter((t) => !registeredGradients().has(t))).toEqual([]);
  });
});
