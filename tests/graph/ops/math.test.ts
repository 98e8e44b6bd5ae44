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

const cases: ForwardCase[] = [
  binary('add', g.add, tf.add),
  binary('sub', g.sub, tf.sub),
  binary('mul', g.mul, tf.mul),
  binary('div', g.div, tf.div, 'nonzero'),
  binary('pow', g.pow, tf.pow, 'positive'),
  binary('maximum', g.maximum, tf.maximum),
  binary('minimum', g.minimum, tf.minimum),
  binary('squaredDifference', g.squaredDifference, tf.squaredDifference),
  binary('floorDiv', g.floorDiv, tf.floorDiv, 'nonzero'),
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
  {
    name: 'add with unknown batch dim',
    inputs: [{ shape: [4, 3], staticShape: [null, 3] }, { shape: [3] }],
    build: g.add,
    eager: tf.add,
    staticShape: [null, 3],
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
        /AddV2 op 'add(_\d+)?'.*Dimensions must be equal, but are 3 and 4.*a:0: float32\[2,3\], b:0: float32\[4\]/,
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
