import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkForward, type ForwardCase } from './harness.js';

const S = [2, 3];
const unary = (
  name: string,
  build: (x: g.Tensor) => g.Tensor,
  eager: (x: tf.Tensor) => tf.Tensor,
  domain: 'normal' | 'positive' | 'unit' = 'normal',
): ForwardCase => ({
  name,
  inputs: [{ shape: S, domain }],
  build,
  eager,
});
const binary = (
  name: string,
  build: (x: g.Tensor, y: g.Tensor) => g.Tensor,
  eager: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor,
  domain: 'normal' | 'positive' | 'nonzero' = 'normal',
): ForwardCase => ({
  name,
  inputs: [
    { shape: [2, 3], domain },
    { shape: [3], domain },
  ],
  build,
  eager,
});

const intBinary = (
  name: string,
  build: (x: g.Tensor, y: g.Tensor) => g.Tensor,
  eager: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor,
): ForwardCase => ({
  name,
  inputs: [
    { shape: [2, 3], domain: 'int' },
    { shape: [3], domain: [1, 4], dtype: 'int32' },
  ],
  build: (x, y) => build(x, g.mul(y, g.sign(g.sub(y, 2)))), // divisors of both signs, never 0
  eager: (x, y) => eager(x, tf.mul(y, tf.sign(tf.sub(y, tf.scalar(2, 'int32'))))),
});

const cases: ForwardCase[] = [
  binary('add', g.add, tf.add),
  binary('sub', g.sub, tf.sub),
  binary('mul', g.mul, tf.mul),
  binary('div', g.div, tf.div, 'nonzero'),
  binary('pow', g.pow, tf.pow, 'positive'),
  binary('maximum', g.maximum, tf.maximum),
  binary('minimum', g.minimum, tf.minimum),
  binary('squaredDifference', g.squaredDifference, tf.squaredDifference),
  // tfjs's floorDiv always returns int32; TF's FloorDiv keeps float inputs float.
  binary('floorDiv', g.floorDiv, (a, b) => tf.floor(tf.div(a, b)), 'nonzero'),
  binary('mod', g.mod, tf.mod, 'positive'),
  unary('neg', g.neg, tf.neg),
  unary('abs', g.abs, tf.abs),
  unary('sign', g.sign, tf.sign),
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
  unary('isFinite', g.isFinite, tf.isFinite),
  unary('isNan', g.isNan, tf.isNaN),
  binary('equal', g.equal, tf.equal),
  binary('less', g.less, tf.less),
  binary('greaterEqual', g.greaterEqual, tf.greaterEqual),
  {
    name: 'addN',
    inputs: [{ shape: S }, { shape: S }, { shape: S }],
    build: (a, b, c) => g.addN([a, b, c]),
    eager: (a, b, c) => tf.addN([a, b, c]),
  },
  {
    name: 'cast float→int32',
    inputs: [{ shape: S, domain: [-5, 5] }],
    build: (x) => g.cast(x, 'int32'),
    eager: (x) => tf.cast(x, 'int32'),
  },
  binary('realDiv', g.realDiv, tf.div, 'nonzero'),
  binary('divNoNan', g.divNoNan, tf.divNoNan, 'nonzero'),
  binary('notEqual', g.notEqual, tf.notEqual),
  binary('lessEqual', g.lessEqual, tf.lessEqual),
  binary('greater', g.greater, tf.greater),
  unary('floor', g.floor, tf.floor),
  unary('ceil', g.ceil, tf.ceil),
  unary('round', g.round, tf.round),
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
  },
  {
    name: 'logicalAnd / logicalOr / logicalNot',
    inputs: [
      { shape: S, domain: 'bool' },
      { shape: [3], domain: 'bool' },
    ],
    build: (a, b) => g.logicalOr(g.logicalAnd(a, b), g.logicalNot(a)),
    eager: (a, b) => tf.logicalOr(tf.logicalAnd(a, b), tf.logicalNot(a)),
  },
  {
    name: 'accumulateN',
    inputs: [{ shape: S }, { shape: S }],
    build: (a, b) => g.accumulateN([a, b]),
    eager: (a, b) => tf.add(a, b),
  },
  {
    name: 'addN of one tensor is that tensor',
    inputs: [{ shape: S }],
    build: (a) => g.addN([a]),
    eager: (a) => a,
  },
  {
    name: 'cast int32→float32 and bool→float32',
    inputs: [
      { shape: S, domain: 'int' },
      { shape: S, domain: 'bool' },
    ],
    build: (i, b) => g.add(g.cast(i, 'float32'), g.cast(b, 'float32')),
    eager: (i, b) => tf.add(tf.cast(i, 'float32'), tf.cast(b, 'float32')),
  },
  {
    name: 'cast float32→bool',
    inputs: [{ shape: S, domain: 'int', dtype: 'float32' }],
    build: (x) => g.cast(x, 'bool'),
    eager: (x) => tf.notEqual(x, 0),
  },
  ...[
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ].flatMap(([exclusive, reverse]): ForwardCase[] => [
    {
      name: `cumsum axis 1 exclusive=${exclusive} reverse=${reverse}`,
      inputs: [{ shape: [2, 4] }],
      build: (x) => g.cumsum(x, 1, { exclusive, reverse }),
      eager: (x) => tf.cumsum(x, 1, exclusive, reverse),
    },
    {
      name: `cumprod axis -2 exclusive=${exclusive} reverse=${reverse}`,
      inputs: [{ shape: [3, 2] }],
      build: (x) => g.cumprod(x, -2, { exclusive, reverse }),
      eager: (x) => tf.cumprod(x, 0, exclusive, reverse),
    },
  ]),
  {
    name: 'cumsum with an unknown-rank input',
    inputs: [{ shape: [2, 3], staticShape: null }],
    build: (x) => g.cumsum(x, 0),
    eager: (x) => tf.cumsum(x, 0),
    staticShape: null,
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
  },
  {
    name: 'broadcast [2,1] * [1,3]',
    inputs: [{ shape: [2, 1] }, { shape: [1, 3] }],
    build: g.mul,
    eager: tf.mul,
  },
  {
    name: 'sub with an unknown-rank input',
    inputs: [{ shape: [2, 3], staticShape: null }, { shape: [3] }],
    build: g.sub,
    eager: tf.sub,
    staticShape: null,
  },
  {
    name: 'add with unknown batch dim',
    inputs: [{ shape: [4, 3], staticShape: [null, 3] }, { shape: [3] }],
    build: g.add,
    eager: tf.add,
    staticShape: [null, 3],
  },
  // Size-1 operands of rank > 0 take the kernels' scalar fast path only where that keeps the shape.
  {
    name: 'div by a [1,1] operand',
    inputs: [{ shape: [4, 3] }, { shape: [1, 1], domain: 'positive' }],
    build: g.div,
    eager: tf.div,
  },
  {
    name: 'a [1,1] operand minus a [3] one broadcasts to [1,3]',
    inputs: [{ shape: [1, 1] }, { shape: [3] }],
    build: g.sub,
    eager: tf.sub,
  },
  {
    name: 'a [1] operand times a [1,1] one',
    inputs: [{ shape: [1] }, { shape: [1, 1] }],
    build: g.mul,
    eager: tf.mul,
  },
];

describe('math ops: forward vs eager tfjs', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkForward(c));
});

describe('math ops: build-time errors', () => {
  it('rejects non-broadcastable shapes, naming op, shapes and the rule', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const a = g.placeholder('float32', [2, 3], { name: 'a' });
      const b = g.placeholder('float32', [4], { name: 'b' });
      expect(() => g.add(a, b)).toThrow(g.ValueError);
      expect(() => g.add(a, b)).toThrow(
        /AddV2 op 'Add(_\d+)?'.*Dimensions must be equal, but are 3 and 4.*a:0: float32\[2,3\], b:0: float32\[4\]/,
      );
    });
  });
  it('rejects mixed dtypes with the package TypeError', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const a = g.placeholder('float32', [2], { name: 'a' });
      const b = g.placeholder('int32', [2], { name: 'b' });
      expect(() => g.mul(a, b)).toThrow(g.TypeError);
      expect(() => g.log(b)).toThrow(/Log op 'Log': x 'b:0' has dtype int32, expected one of float32/);
    });
  });
  it('names ops as TF 1.15 does', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2]);
      const i = g.placeholder('int32', [2]);
      const names = [
        g.add(x, x),
        g.sub(x, x),
        g.mul(x, x),
        g.div(x, x),
        g.div(i, i),
        g.realDiv(x, x),
        g.floorDiv(x, x),
        g.mod(x, x),
        g.pow(x, x),
        g.maximum(x, x),
        g.squaredDifference(x, x),
        g.neg(x),
        g.cast(x, 'int32'),
        g.equal(x, x),
        g.cumsum(x),
      ].map((t) => `${t.op.type}:${t.op.name}`);
      expect(names).toEqual([
        'AddV2:Add',
        'Sub:Sub',
        'Mul:Mul',
        'RealDiv:div',
        'FloorDiv:div_1',
        'RealDiv:truediv',
        'FloorDiv:floordiv',
        'FloorMod:FloorMod',
        'Pow:Pow',
        'Maximum:Maximum',
        'SquaredDifference:SquaredDifference',
        'Neg:Neg',
        'Cast:Cast',
        'Equal:Equal',
        'Cumsum:Cumsum',
      ]);
    });
  });
  it('checks dtypes of logic ops, realDiv, casts and scans', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2], { name: 'x' });
      const i = g.placeholder('int32', [2], { name: 'i' });
      const s = g.placeholder('string', [2], { name: 's' });
      expect(() => g.logicalAnd(x, x)).toThrow(
        /LogicalAnd op .*x 'x:0' has dtype float32, expected one of bool/,
      );
      expect(() => g.realDiv(i, i)).toThrow(g.TypeError);
      expect(() => g.cast(s, 'float32')).toThrow(/Cast op .*has dtype string/);
      expect(() => g.isNan(i)).toThrow(g.TypeError);
      expect(() => g.less(s, s)).toThrow(g.TypeError);
      expect(() => g.cumsum(x, 1)).toThrow(
        /Cumsum op 'Cumsum(_\d+)?': axis 1 is out of range for a tensor of rank 1/,
      );
      expect(() => g.addN([x, g.placeholder('float32', [3])])).toThrow(/AddN op .*same shape/);
      expect(() => g.addN([x, i])).toThrow(g.TypeError);
    });
  });
  it('gives plain JS operands the other operand dtype', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const i = g.placeholder('int32', [2]);
      expect(g.add(i, 1).dtype).toBe('int32');
      expect(g.mul(2, i).dtype).toBe('int32');
      expect(() => g.add(i, 1.5)).toThrow(g.TypeError);
    });
  });
});
