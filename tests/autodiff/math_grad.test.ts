import { gradients, registeredGradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Domain } from '../helpers.js';
import { checkGradient, type GradCase } from './harness.js';

type U = (x: g.Tensor) => g.Tensor;
type UE = (x: tf.Tensor) => tf.Tensor;
const unary = (
  name: string,
  build: U,
  eager: UE,
  domain: Domain = 'normal',
  secondOrder = true,
): GradCase => ({
  name,
  inputs: [{ shape: [2, 3], domain }],
  build,
  eager,
  secondOrder,
});

type B = (x: g.Tensor, y: g.Tensor) => g.Tensor;
type BE = (x: tf.Tensor, y: tf.Tensor) => tf.Tensor;
const binary = (
  name: string,
  build: B,
  eager: BE | null,
  domains: [Domain, Domain] = ['normal', 'normal'],
  extra: Partial<GradCase> = {},
): GradCase[] => {
  // tfjs's Maximum/Minimum/SquaredDifference gradients skip the broadcast reduction, so the
  // oracle broadcasts both operands to the output shape first (tfjs's broadcastTo grad sums).
  const full: BE | null =
    eager &&
    ((x, y) => {
      const shape = tf.broadcastTo(x, tf.add(x, y).shape).shape;
      return eager(tf.broadcastTo(x, shape), tf.broadcastTo(y, shape));
    });
  return rows(name, build, full, domains, extra);
};
const rows = (
  name: string,
  build: B,
  eager: BE | null,
  domains: [Domain, Domain],
  extra: Partial<GradCase>,
): GradCase[] => [
  // [2,3] op [3]: y's gradient is summed over the broadcast rows.
  {
    name: `${name} [2,3]·[3]`,
    inputs: [
      { shape: [2, 3], domain: domains[0] },
      { shape: [3], domain: domains[1] },
    ],
    build,
    eager,
    ...extra,
  },
  // [2,1] op [1,3]: both sides broadcast.
  {
    name: `${name} [2,1]·[1,3]`,
    inputs: [
      { shape: [2, 1], domain: domains[0] },
      { shape: [1, 3], domain: domains[1] },
    ],
    build,
    eager,
    ...extra,
  },
  // Unknown dims force the driver's dynamic reduction.
  {
    name: `${name} [?,3]·[?]`,
    inputs: [
      { shape: [2, 3], domain: domains[0], staticShape: [null, 3] },
      { shape: [3], domain: domains[1], staticShape: [null] },
    ],
    build,
    eager,
    ...extra,
  },
];

const cases: GradCase[] = [
  ...binary('add', g.add, tf.add),
  ...binary('sub', g.sub, tf.sub),
  ...binary('mul', g.mul, tf.mul),
  ...binary('div', g.div, tf.div, ['normal', 'nonzero']),
  ...binary('realDiv', g.realDiv, tf.div, ['normal', 'nonzero']),
  ...binary('divNoNan', g.divNoNan, tf.div, ['normal', 'nonzero']),
  ...binary('pow', g.pow, tf.pow, ['positive', 'normal'], { secondOrder: true }),
  ...binary('maximum', g.maximum, tf.maximum),
  ...binary('minimum', g.minimum, tf.minimum),
  ...binary('squaredDifference', g.squaredDifference, tf.squaredDifference, ['normal', 'normal'], {
    secondOrder: true,
  }),
  // Kinks of floor(x/y) lie everywhere, so finite differences would straddle them.
  ...binary('mod', g.mod, tf.mod, ['positive', 'positive'], { noFiniteDifferences: true }),
  {
    name: 'pow with a negative base and an integer exponent (log(x) masked to 0)',
    inputs: [{ shape: [2, 3], domain: 'nonzero' }],
    build: (x) => g.pow(x, 3),
    eager: (x) => tf.pow(x, tf.scalar(3)),
    secondOrder: true,
  },
  {
    name: 'pow: gradient of the exponent where the base is <= 0 is 0',
    inputs: [
      { shape: [4], domain: [-2, -0.5] },
      { shape: [4], domain: 'normal' },
    ],
    build: (x, y) => g.pow(g.abs(x), y),
    eager: (x, y) => tf.pow(tf.abs(x), y),
  },
  unary('neg', g.neg, tf.neg, 'normal', false),
  unary('abs', g.abs, tf.abs, 'nonzero'),
  unary('sign', g.sign, tf.sign, 'nonzero', false),
  unary('square', g.square, tf.square),
  unary('sqrt', g.sqrt, tf.sqrt, 'positive'),
  unary('rsqrt', g.rsqrt, tf.rsqrt, 'positive'),
  unary('exp', g.exp, tf.exp),
  unary('log', g.log, tf.log, 'positive'),
  unary('log1p', g.log1p, tf.log1p, 'positive'),
  unary('sin', g.sin, tf.sin),
  unary('cos', g.cos, tf.cos),
  unary('reciprocal', g.reciprocal, tf.reciprocal, 'positive'),
  unary('tanh', g.tanh, tf.tanh),
  unary('sigmoid', g.sigmoid, tf.sigmoid),
  unary('tanh with unknown dims', g.tanh, tf.tanh, 'normal'),
  {
    name: 'addN',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }],
    build: (a, b, c) => g.addN([a, b, g.mul(c, c)]),
    eager: (a, b, c) => tf.addN([a, b, tf.mul(c, c)]),
  },
  {
    name: 'accumulateN',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    build: (a, b) => g.accumulateN([a, g.exp(b)]),
    eager: (a, b) => tf.add(a, tf.exp(b)),
  },
  ...[
    [false, false],
    [true, true],
  ].flatMap(([exclusive, reverse]): GradCase[] => [
    {
      name: `cumsum exclusive=${exclusive} reverse=${reverse}`,
      inputs: [{ shape: [3, 4] }],
      build: (x) => g.cumsum(x, 1, { exclusive, reverse }),
      eager: (x) => tf.cumsum(x, 1, exclusive, reverse),
    },
    {
      // tfjs has no Cumprod gradient: finite differences and second order are the oracles.
      name: `cumprod exclusive=${exclusive} reverse=${reverse}`,
      inputs: [{ shape: [3, 4], domain: 'positive' }],
      build: (x) => g.cumprod(x, -1, { exclusive, reverse }),
      eager: null,
      secondOrder: true,
    },
  ]),
  {
    name: 'floor, ceil, round and sign pass no gradient, the smooth branch does',
    inputs: [{ shape: [2, 3], domain: 'unit' }],
    build: (x) => g.addN([g.floor(x), g.ceil(x), g.round(g.mul(x, 0.3)), g.sign(x), g.sin(x)]),
    eager: (x) => tf.sin(x),
    noFiniteDifferences: true,
  },
];
cases.find((c) => c.name === 'tanh with unknown dims')!.inputs = [
  { shape: [2, 3], staticShape: [null, null] },
];

describe('math gradients vs eager tfjs and finite differences', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkGradient(c));
});

describe('math gradients: special cases', () => {
  const inGraph = <T>(fn: () => T): T => new g.Graph().asDefault(fn);
  it('maximum/minimum send the whole gradient to x on ties (TF selects x >= y)', () => {
    const graph = new g.Graph();
    const { dx, dy } = graph.asDefault(() => {
      const x = g.constant([1, 2, 3]);
      const y = g.constant([1, 5, 0]);
      const [dxMax, dyMax] = gradients(g.maximum(x, y), [x, y]) as g.Tensor[];
      const [dxMin, dyMin] = gradients(g.minimum(x, y), [x, y]) as g.Tensor[];
      return { dx: g.stack([dxMax!, dxMin!]), dy: g.stack([dyMax!, dyMin!]) };
    });
    const sess = new g.Session(graph);
    const [vx, vy] = sess.run([dx, dy]);
    sess.close();
    expect(vx.toArray()).toEqual([
      [1, 0, 1],
      [1, 1, 0],
    ]);
    expect(vy.toArray()).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });
  it('casts to and from integers, comparisons and logic ops pass no gradient', () =>
    inGraph(() => {
      const x = g.placeholder('float32', [3]);
      const viaInt = g.cast(g.cast(x, 'int32'), 'float32');
      const viaBool = g.cast(g.logicalAnd(g.greater(x, 0), g.logicalNot(g.isNan(x))), 'float32');
      const viaFloorDiv = g.floorDiv(x, 2);
      for (const y of [viaInt, viaBool, viaFloorDiv]) expect(gradients(y, x)).toEqual([null]);
    }));
  it('every op type of ops/math.ts has a gradient rule or is declared not differentiable', async () => {
    const exported: unknown[] = Object.values(await import('../../packages/graph/src/ops/math.js'));
    const isOpDef = (v: unknown): v is g.OpDef => typeof v === 'object' && v !== null && 'inputNames' in v;
    const mathTypes = exported.filter(isOpDef).map((d) => d.type);
    expect(mathTypes.length).toBeGreaterThan(40);
    expect(mathTypes.filter((t) => !registeredGradients().has(t))).toEqual([]);
  });
});
