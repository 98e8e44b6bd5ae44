// Cross-entropy rows of the nn table. The fused op's backprop is softmax - labels, which assumes
// each row of labels sums to 1 (as TF does), so gradient rows feed it softmax(labels); the
// forward rows feed raw positive labels, which the forward pass takes as they are.

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { OpCase } from '../op_table.js';

const xent = (logits: tf.Tensor, labels: tf.Tensor) =>
  tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1));
const onehot = (labels: tf.Tensor, n: number) => tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, n);
// tfjs's softmax/logSoftmax take the last axis only; these oracles take any axis.
export const logSoftmaxAxis = (x: tf.Tensor, axis: number) => {
  const z = tf.sub(x, tf.max(x, axis, true));
  return tf.sub(z, tf.log(tf.sum(tf.exp(z), axis, true)));
};
const xentAxis = (logits: tf.Tensor, labels: tf.Tensor, axis: number) =>
  tf.neg(tf.sum(tf.mul(labels, logSoftmaxAxis(logits, axis)), axis));
// Sparse ids of any shape against logits [..., n], via a flat one-hot.
const sparseXent = (logits: tf.Tensor, labels: tf.Tensor, n: number) =>
  xent(logits, tf.reshape(onehot(tf.reshape(labels, [-1]), n), logits.shape));

export const crossEntropyOps: OpCase[] = [
  {
    name: 'softmaxCrossEntropyWithLogits',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogits (labels stopped)',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels: g.softmax(labels), logits }),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    forward: false,
    grad: { wrt: [0], secondOrder: true },
  },
  {
    name: 'softmaxCrossEntropyWithLogits (large logits, unknown batch)',
    inputs: [
      { shape: [4, 5], domain: [-300, 300], staticShape: [null, 5] },
      { shape: [4, 5], domain: 'positive', staticShape: [null, 5] },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    staticShape: [null],
    grad: false,
  },
  // The forward and gradient rows of the next two configurations share a title: the gradient
  // ones normalise the labels, so each harness runs its own.
  {
    name: 'softmaxCrossEntropyWithLogits rank 3, unknown outer dims',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, null, 5] },
      { shape: [2, 3, 5], domain: 'positive', staticShape: [null, 3, null] },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    staticShape: [null, 3],
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogits rank 3, unknown outer dims',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, null, 5] },
      { shape: [2, 3, 5], domain: 'positive', staticShape: [null, 3, 5] },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels: g.softmax(labels), logits }),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    forward: false,
    grad: { wrt: [0], secondOrder: true },
  },
  {
    name: 'softmaxCrossEntropyWithLogits axis 1 of rank 3',
    inputs: [{ shape: [2, 5, 3] }, { shape: [2, 5, 3], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits, axis: 1 }),
    eager: (logits, labels) => xentAxis(logits, labels, 1),
    tol: 1e-4,
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogits axis 1 of rank 3',
    inputs: [{ shape: [2, 4, 3] }, { shape: [2, 4, 3], domain: 'positive' }],
    build: (logits, labels) =>
      g.softmaxCrossEntropyWithLogits({ labels: g.softmax(labels, { axis: 1 }), logits, axis: 1 }),
    eager: (logits, labels) => xentAxis(logits, tf.exp(logSoftmaxAxis(labels, 1)), 1),
    forward: false,
    grad: { wrt: [0], secondOrder: true },
  },
  {
    name: 'softmaxCrossEntropyWithLogits rank 1 (a scalar loss)',
    inputs: [{ shape: [5] }, { shape: [5], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogits axis 0 of rank 2',
    inputs: [{ shape: [5, 3] }, { shape: [5, 3], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits, axis: 0 }),
    eager: (logits, labels) => xentAxis(logits, labels, 0),
    tol: 1e-4,
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogits unknown rank',
    inputs: [
      { shape: [2, 2, 4], staticShape: null },
      { shape: [2, 2, 4], domain: 'positive', staticShape: null },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    staticShape: null,
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogitsV2 rank 3',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogitsV2({ labels, logits }),
    eager: xent,
    grad: false,
  },
  {
    name: 'softmaxCrossEntropyWithLogitsV2 rank 3 (logits and labels)',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogitsV2({ labels: g.softmax(labels), logits }),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'SoftmaxCrossEntropyWithLogits backprop output',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => g.SoftmaxCrossEntropyWithLogits.applyOp({ logits, labels }, {}).outputs[1]!,
    eager: (logits, labels) => tf.sub(tf.softmax(logits), labels),
    grad: false,
  },
  {
    name: 'SoftmaxCrossEntropyWithLogits op (logits and labels)',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) =>
      g.SoftmaxCrossEntropyWithLogits.apply({ logits, labels: g.softmax(labels) }, {}),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    forward: false,
    grad: { secondOrder: true },
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits',
    inputs: [{ shape: [6, 5] }, { shape: [6], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => xent(logits, onehot(labels, 5)),
    grad: { secondOrder: true },
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits rank 3, unknown batch',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, 3, 5] },
      { shape: [2, 3], domain: [0, 5], dtype: 'int32', staticShape: [null, 3] },
    ],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 5),
    staticShape: [null, 3],
    grad: { secondOrder: true },
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits rank 1 logits, scalar label',
    inputs: [{ shape: [5] }, { shape: [], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 5),
    grad: false,
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits unknown ranks',
    inputs: [
      { shape: [2, 2, 4], staticShape: null },
      { shape: [2, 2], domain: [0, 4], dtype: 'int32', staticShape: null },
    ],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 4),
    staticShape: null,
    grad: { secondOrder: true },
  },
  {
    name: 'SparseSoftmaxCrossEntropyWithLogits backprop output',
    inputs: [{ shape: [6, 5] }, { shape: [6], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) =>
      g.SparseSoftmaxCrossEntropyWithLogits.applyOp({ logits, labels }, {}).outputs[1]!,
    eager: (logits, labels) => tf.sub(tf.softmax(logits), onehot(labels, 5)),
    grad: false,
  },
];
