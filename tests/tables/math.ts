// Element-wise math rows for the forward and gradient harnesses (see tests/op_table.ts).

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { Domain } from '../helpers.js';
import type { GradOptions, OpCase } from '../op_table.js';

const S = [2, 3];
type U = (x: g.Tensor) => g.Tensor;
type UE = (x: tf.Tensor) => tf.Tensor;
type B = (x: g.Tensor, y: g.Tensor) => g.Tensor;
type BE = (x: tf.Tensor, y: tf.Tensor) => tf.Tensor;

const unary = (
  name: string,
  build: U,
  eager: UE,
  domain: Domain = 'normal',
  grad: false | GradOptions = { secondOrder: true },
): OpCase => ({ name, inputs: [{ shape: S, domain }], build, eager, grad });

/** A forward-only binary row: [2,3] op [3], both operands from one domain. */
const binaryForward = (name: string, build: B, eager: BE, domain: Domain = 'normal'): OpCase => ({
  name,
  inputs: [
    { shape: [2, 3], domain },
    { shape: [3], domain },
  ],
  build,
  eager,
  grad: false,
});

/**
 * Three broadcasting rows per differentiable binary op. `gradEager` overrides the tf.grads
 * oracle (null: finite differences only).
 */
const binary = (
  name: string,
  build: B,
  eager: BE,
  domains: [Domain, Domain] = ['normal', 'normal'],
  extra: GradOptions = {},
  gradEager: BE | null = eager,
): OpCase[] => {
  // tfjs's Maximum/Minimum/SquaredDifference gradients skip the broadcast reduction, so the
  // oracle broadcasts both operands to the output shape first (tfjs's broadcastTo grad sums).
  const full: BE | null =
    gradEager &&
    ((x, y) => {
      const shape = tf.broadcastTo(x, tf.add(x, y).shape).shape;
      return gradEager(tf.broadcastTo(x, shape), tf.broadcastTo(y, shape));
    });
  const grad: GradOptions = { ...extra, eager: full };
  return [
    // [2,3] op [3]: y's gradient is summed over the broadcast rows.
    {
      name: `${name} [2,3]·[3]`,
      inputs: [
        { shape: [2, 3], domain: domains[0] },
        { shape: [3], domain: domains[1] },
      ],
      build,
      eager,
      grad,
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
      grad,
    },
    // Unknown dims force the driver's dynamic reduction; the forward rows below cover them.
    {
      name: `${name} [?,3]·[?]`,
      inputs: [
        { shape: [2, 3], domain: domains[0], staticShape: [null, 3] },
        { shape: [3], domain: domains[1], staticShape: [null] },
      ],
      build,
      eager,
      forward: false,
      grad,
    },
  ];
};

const intBinary = (name: string, build: B, eager: BE): OpCase => ({
  name,
  inputs: [
    { shape: [2, 3], domain: 'int' },
    { shape: [3], domain: [1, 4], dtype: 'int32' },
  ],
  build: (x, y) => build(x, g.mul(y, g.sign(g.sub(y, 2)))), // divisors of both signs, never 0
  eager: (x, y) => eager(x, tf.mul(y, tf.sign(tf.sub(y, tf.scalar(2, 'int32'))))),
  grad: false,
});

const scanFlags = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

export const mathOps: OpCase[] = [
  ...binary('add', g.add, tf.add),
  ...binary('sub', g.sub, tf.sub),
  ...binary('mul', g.mul, tf.mul),
  ...binary('div', g.div, tf.div, ['normal', 'nonzero']),
  ...binary('realDiv', g.realDiv, tf.div, ['normal', 'nonzero']),
  ...binary('divNoNan', g.divNoNan, tf.divNoNan, ['normal', 'nonzero'], {}, tf.div),
  ...binary('pow', g.pow, tf.pow, ['positive', 'normal'], { secondOrder: true }),
  ...binary('maximum', g.maximum, tf.maximum),
  ...binary('minimum', g.minimum, tf.minimum),
  ...binary('squaredDifference', g.squaredDifference, tf.squaredDifference, ['normal', 'normal'], {
    secondOrder: true,
  }),
  // Kinks of floor(x/y) lie everywhere, so finite differences would straddle them.
  ...binary('mod', g.mod, tf.mod, ['positive', 'positive'], { noFiniteDifferences: true }),
  // tfjs's floorDiv always returns int32; TF's FloorDiv keeps float inputs float.
  binaryForward('floorDiv', g.floorDiv, (a, b) => tf.floor(tf.div(a, b)), 'nonzero'),
  {
    name: 'pow with a negative base and an integer exponent (log(x) masked to 0)',
    inputs: [{ shape: [2, 3], domain: 'nonzero' }],
    build: (x) => g.pow(x, 3),
    eager: (x) => tf.pow(x, tf.scalar(3)),
    grad: { secondOrder: true },
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
  unary('neg', g.neg, tf.neg, 'normal', {}),
  unary('abs', g.abs, tf.abs, 'nonzero'),
  unary('sign', g.sign, tf.sign, 'nonzero', {}),
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
  {
    name: 'tanh with unknown dims',
    inputs: [{ shape: S, staticShape: [null, null] }],
    build: g.tanh,
    eager: tf.tanh,
    staticShape: [null, null],
    grad: { secondOrder: true },
  },
  unary('isFinite', g.isFinite, tf.isFinite, 'normal', false),
  unary('isNan', g.isNan, tf.isNaN, 'normal', false),
  binaryForward('equal', g.equal, tf.equal),
  binaryForward('less', g.less, tf.less),
  binaryForward('greaterEqual', g.greaterEqual, tf.greaterEqual),
  {
    name: 'addN',
    inputs: [{ shape: S }, { shape: S }, { shape: S }],
    build: (a, b, c) => g.addN([a, b, g.mul(c, c)]),
    eager: (a, b, c) => tf.addN([a, b, tf.mul(c, c)]),
  },
  {
    name: 'cast float→int32',
    inputs: [{ shape: S, domain: [-5, 5] }],
    build: (x) => g.cast(x, 'int32'),
    eager: (x) => tf.cast(x, 'int32'),
    grad: false,
  },
  binaryForward('notEqual', g.notEqual, tf.notEqual),
  binaryForward('lessEqual', g.lessEqual, tf.lessEqual),
  binaryForward('greater', g.greater, tf.greater),
  unary('floor', g.floor, tf.floor, 'normal', false),
  unary('ceil', g.ceil, tf.ceil, 'normal', false),
  unary('round', g.round, tf.round, 'normal', false),
  {
    name: 'floor, ceil, round and sign pass no gradient, the smooth branch does',
    inputs: [{ shape: [2, 3], domain: 'unit' }],
    build: (x) => g.addN([g.floor(x), g.ceil(x), g.round(g.mul(x, 0.3)), g.sign(x), g.sin(x)]),
    eager: (x) => tf.sin(x),
    forward: false,
    grad: { noFiniteDifferences: true },
  },
  intBinary('div (int: floor division)', g.div, tf.floorDiv),
  intBinary('floorDiv (int)', g.floorDiv, tf.floorDiv),
  intBinary('mod (int, sign of divisor)', g.mod, tf.mod),
  intBinary('add (int)', g.add, tf.add),
  intBinary('maximum (int)', g.maximum, tf.maximum),
  intBinary('equal (int)', g.equal, tf.equal),
  {
    name: 'sign/abs/neg/square (int)',
    inputs: [{ shape: S, domain: 'int' }],
    build: (x) => g.addN([g.sign(x), g.abs(x), g.neg(x), g.square(x)]),
    eager: (x) => tf.addN([tf.sign(x), tf.abs(x), tf.neg(x), tf.square(x)]),
    grad: false,
  },
  {
    name: 'logicalAnd / logicalOr / logicalNot',
    inputs: [
      { shape: S, domain: 'bool' },
      { shape: [3], domain: 'bool' },
    ],
    build: (a, b) => g.logicalOr(g.logicalAnd(a, b), g.logicalNot(a)),
    eager: (a, b) => tf.logicalOr(tf.logicalAnd(a, b), tf.logicalNot(a)),
    grad: false,
  },
  {
    name: 'accumulateN',
    inputs: [{ shape: S }, { shape: S }],
    build: (a, b) => g.accumulateN([a, g.exp(b)]),
    eager: (a, b) => tf.add(a, tf.exp(b)),
  },
  {
    name: 'addN of one tensor is that tensor',
    inputs: [{ shape: S }],
    build: (a) => g.addN([a]),
    eager: (a) => a,
    grad: false,
  },
  {
    name: 'cast int32→float32 and bool→float32',
    inputs: [
      { shape: S, domain: 'int' },
      { shape: S, domain: 'bool' },
    ],
    build: (i, b) => g.add(g.cast(i, 'float32'), g.cast(b, 'float32')),
    eager: (i, b) => tf.add(tf.cast(i, 'float32'), tf.cast(b, 'float32')),
    grad: false,
  },
  {
    name: 'cast float32→bool',
    inputs: [{ shape: S, domain: 'int', dtype: 'float32' }],
    build: (x) => g.cast(x, 'bool'),
    eager: (x) => tf.notEqual(x, 0),
    grad: false,
  },
  ...scanFlags.flatMap(([exclusive, reverse]): OpCase[] => [
    {
      name: `cumsum axis 1 exclusive=${exclusive} reverse=${reverse}`,
      inputs: [{ shape: [3, 4] }],
      build: (x) => g.cumsum(x, 1, { exclusive, reverse }),
      eager: (x) => tf.cumsum(x, 1, exclusive, reverse),
    },
    {
      name: `cumprod axis -2 exclusive=${exclusive} reverse=${reverse}`,
      inputs: [{ shape: [3, 2] }],
      build: (x) => g.cumprod(x, -2, { exclusive, reverse }),
      eager: (x) => tf.cumprod(x, 0, exclusive, reverse),
      grad: false,
    },
  ]),
  ...scanFlags
    .filter(([exclusive, reverse]) => exclusive === reverse)
    .map(
      ([exclusive, reverse]): OpCase => ({
        // tfjs has no Cumprod gradient: finite differences and second order are the oracles.
        name: `cumprod axis -1 exclusive=${exclusive} reverse=${reverse}`,
        inputs: [{ shape: [3, 4], domain: 'positive' }],
        build: (x) => g.cumprod(x, -1, { exclusive, reverse }),
        eager: (x) => tf.cumprod(x, 1, exclusive, reverse),
        grad: { eager: null, secondOrder: true },
      }),
    ),
  {
    name: 'cumsum with an unknown-rank input',
    inputs: [{ shape: [2, 3], staticShape: null }],
    build: (x) => g.cumsum(x, 0),
    eager: (x) => tf.cumsum(x, 0),
    staticShape: null,
    grad: false,
  },
  {
    name: 'mul with unknown dims on both sides: [?,3] * [2,?]',
    inputs: [
      { shape: [2, 3], staticShape: [null, 3] },
      { shape: [2, 3], staticShape: [2, null] },
    ],
    build: g.mul,
    eager: tf.mul,
    staticShape: [2, 3],
    grad: false,
  },
  {
    name: 'sub with an unknown-rank input',
    inputs: [{ shape: [2, 3], staticShape: null }, { shape: [3] }],
    build: g.sub,
    eager: tf.sub,
    staticShape: null,
    grad: false,
  },
  {
    name: 'add with unknown batch dim',
    inputs: [{ shape: [4, 3], staticShape: [null, 3] }, { shape: [3] }],
    build: g.add,
    eager: tf.add,
    staticShape: [null, 3],
    grad: false,
  },
  // Size-1 operands of rank > 0 take the kernels' scalar fast path only where that keeps the shape.
  {
    name: 'div by a [1,1] operand',
    inputs: [{ shape: [4, 3] }, { shape: [1, 1], domain: 'positive' }],
    build: g.div,
    eager: tf.div,
    grad: false,
  },
  {
    name: 'a [1,1] operand minus a [3] one broadcasts to [1,3]',
    inputs: [{ shape: [1, 1] }, { shape: [3] }],
    build: g.sub,
    eager: tf.sub,
    grad: false,
  },
  {
    name: 'a [1] operand times a [1,1] one',
    inputs: [{ shape: [1] }, { shape: [1, 1] }],
    build: g.mul,
    eager: tf.mul,
    grad: false,
  },
];
