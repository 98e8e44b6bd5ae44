// Activation, softmax, bias and cross-entropy rows for the forward and gradient harnesses (see
// tests/op_table.ts). Conv and pool rows stay in their own test files.

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { Domain } from '../helpers.js';
import type { GradOptions, OpCase } from '../op_table.js';
import { crossEntropyOps, logSoftmaxAxis } from './nn_xent.js';

const S = [3, 4];
const unary = (
  name: string,
  build: (x: g.Tensor) => g.Tensor,
  eager: (x: tf.Tensor) => tf.Tensor,
  domain: Domain = 'normal',
  grad: false | GradOptions = { secondOrder: true },
): OpCase => ({ name, inputs: [{ shape: S, domain }], build, eager, grad });

// The activation-gradient ops against tfjs's own gradient of the activation (dy, x) -> dx.
const vjp =
  (f: (x: tf.Tensor) => tf.Tensor) =>
  (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
    tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx), dy)))(x);
const gradRow = (
  name: string,
  build: (dy: g.Tensor, x: g.Tensor) => g.Tensor,
  f: (x: tf.Tensor) => tf.Tensor,
  domain: readonly [number, number] = [-3, 3],
): OpCase => ({ name, inputs: [{ shape: S }, { shape: S, domain }], build, eager: vjp(f), grad: false });

// A square after the op makes its first-order gradient depend on x, so second order runs
// through the backprop ops' own rules.
const sq = (t: g.Tensor) => g.mul(t, t);
const tsq = (t: tf.Tensor) => tf.mul(t, t);

const softmaxAxis = (x: tf.Tensor, axis: number) => tf.div(tf.exp(x), tf.sum(tf.exp(x), axis, true));

const activations: OpCase[] = [
  // Away from the kinks at 0 (and 6): 'nonzero' draws from ±[0.3, 1.8].
  unary('relu', g.relu, tf.relu, 'nonzero'),
  unary('relu6', g.relu6, tf.relu6, 'nonzero'),
  unary('relu6 saturated', g.relu6, tf.relu6, [6.3, 9], {}),
  unary('elu', g.elu, tf.elu, 'nonzero'),
  unary('softplus', g.softplus, tf.softplus),
  unary('selu', g.selu, tf.selu, 'nonzero'),
  // x / (1 + |x|), written out: tfjs has no softsign.
  unary('softsign', g.softsign, (x) => tf.div(x, tf.add(tf.abs(x), 1)), 'nonzero'),
  unary('softplus (large |x|)', g.softplus, tf.softplus, [-60, 60], false),
  unary(
    'leakyRelu (default alpha 0.2)',
    (x) => g.leakyRelu(x),
    (x) => tf.leakyRelu(x, 0.2),
    'normal',
    false,
  ),
  unary(
    'leakyRelu alpha 0.01',
    (x) => g.leakyRelu(x, { alpha: 0.01 }),
    (x) => tf.leakyRelu(x, 0.01),
    'normal',
    false,
  ),
  unary(
    'leakyRelu',
    (x) => g.leakyRelu(x, { alpha: 0.3 }),
    (x) => tf.leakyRelu(x, 0.3),
    'nonzero',
  ),
  unary('l2Loss', g.l2Loss, (x) => tf.div(tf.sum(tf.square(x)), 2)),
  gradRow('reluGrad', g.reluGrad, tf.relu),
  gradRow('relu6Grad', g.relu6Grad, tf.relu6, [-3, 9]),
  gradRow('softplusGrad', g.softplusGrad, tf.softplus),
  gradRow('seluGrad', (dy, x) => g.seluGrad(dy, g.selu(x)), tf.selu),
  gradRow('softsignGrad', g.softsignGrad, (x) => tf.div(x, tf.add(tf.abs(x), 1))),
  gradRow(
    'leakyReluGrad',
    (dy, x) => g.leakyReluGrad(dy, x, { alpha: 0.3 }),
    (x) => tf.leakyRelu(x, 0.3),
  ),
  // EluGrad reads Elu's outputs, as in TF.
  gradRow('eluGrad', (dy, x) => g.eluGrad(dy, g.elu(x)), tf.elu),
];

const softmaxes: OpCase[] = [
  unary('softmax', g.softmax, (x) => tf.softmax(x)),
  unary('softmax (large logits)', g.softmax, (x) => tf.softmax(x), [-500, 500], false),
  unary('logSoftmax', g.logSoftmax, (x) => tf.logSoftmax(x)),
  {
    name: 'softmax rank 3',
    inputs: [{ shape: [2, 3, 4] }],
    build: g.softmax,
    eager: (x) => tf.softmax(x),
    grad: { secondOrder: true },
  },
  {
    name: 'softmax rank 1',
    inputs: [{ shape: [6] }],
    build: g.softmax,
    eager: (x) => tf.softmax(x),
    grad: false,
  },
  {
    name: 'softmax axis 0 of rank 3',
    inputs: [{ shape: [3, 2, 4] }],
    build: (x) => g.softmax(x, { axis: 0 }),
    eager: (x) => softmaxAxis(x, 0),
    grad: { eager: (x) => tf.exp(logSoftmaxAxis(x, 0)), secondOrder: true },
  },
  {
    name: 'softmax axis -2, unknown batch',
    inputs: [{ shape: [2, 5, 3], staticShape: [null, 5, 3] }],
    build: (x) => g.softmax(x, { axis: -2 }),
    eager: (x) => softmaxAxis(x, 1),
    staticShape: [null, 5, 3],
    grad: false,
  },
  {
    name: 'logSoftmax axis 1, unknown batch',
    inputs: [{ shape: [2, 4, 3], staticShape: [null, 4, 3] }],
    build: (x) => g.logSoftmax(x, { axis: 1 }),
    eager: (x) => logSoftmaxAxis(x, 1),
    staticShape: [null, 4, 3],
    grad: { secondOrder: true },
  },
  {
    name: 'logSoftmax axis 1 of rank 4',
    inputs: [{ shape: [2, 4, 3, 2] }],
    build: (x) => g.logSoftmax(x, { axis: 1 }),
    eager: (x) => tf.log(softmaxAxis(x, 1)),
    tol: 1e-4,
    grad: false,
  },
];

const biases: OpCase[] = [
  {
    name: 'biasAdd rank 2',
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    build: g.biasAdd,
    eager: tf.add,
    grad: false,
  },
  {
    name: 'biasAdd',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }],
    build: (x, b) => sq(g.biasAdd(x, b)),
    eager: (x, b) => tsq(tf.add(x, b)),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'biasAdd rank 4 NHWC, unknown batch',
    inputs: [{ shape: [2, 3, 3, 5], staticShape: [null, 3, 3, 5] }, { shape: [5] }],
    build: g.biasAdd,
    eager: tf.add,
    staticShape: [null, 3, 3, 5],
    grad: false,
  },
  {
    name: 'biasAdd NCHW',
    inputs: [{ shape: [2, 4, 3, 3] }, { shape: [4] }],
    build: (x, b) => g.biasAdd(x, b, { dataFormat: 'NCHW' }),
    eager: (x, b) => tf.add(x, tf.reshape(b, [4, 1, 1])),
  },
  {
    name: 'xwPlusB',
    inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }],
    build: g.xwPlusB,
    eager: (x, w, b) => tf.add(tf.matMul(x, w), b),
    grad: false,
  },
  {
    name: 'reluLayer',
    inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }],
    build: g.reluLayer,
    eager: (x, w, b) => tf.relu(tf.add(tf.matMul(x, w), b)),
    grad: false,
  },
  {
    // Second order through BiasAddGrad's rule: d/dy of biasAddGrad(y * y).
    name: 'biasAddGrad',
    inputs: [{ shape: [2, 3, 4] }],
    build: (dy) => g.biasAddGrad(sq(dy)),
    eager: (dy) => tf.sum(tsq(dy), [0, 1]),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'biasAddGrad NHWC',
    inputs: [{ shape: [2, 3, 3, 5] }],
    build: (dy) => g.biasAddGrad(dy),
    eager: (dy) => tf.sum(dy, [0, 1, 2]),
    grad: false,
  },
  {
    name: 'biasAddGrad NCHW',
    inputs: [{ shape: [2, 5, 3, 3] }],
    build: (dy) => g.biasAddGrad(dy, { dataFormat: 'NCHW' }),
    eager: (dy) => tf.sum(dy, [0, 2, 3]),
    grad: false,
  },
];

export const nnOps: OpCase[] = [...activations, ...softmaxes, ...biases, ...crossEntropyOps];
