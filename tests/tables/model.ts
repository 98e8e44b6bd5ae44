// Rows for the model-building ops (graph/src/model/model_ops.ts); neither has a gradient.
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { OpCase } from '../op_table.js';

// in_top_k written with tfjs ops: fewer than k scores strictly above the target's (finite rows).
const eagerInTopK = (k: number) => (pred: tf.Tensor, targets: tf.Tensor) => {
  const [batch, classes] = pred.shape as [number, number];
  const picked = tf.sum(tf.mul(pred, tf.oneHot(tf.cast(targets, 'int32'), classes)), 1).reshape([batch, 1]);
  return tf.less(tf.sum(tf.cast(tf.greater(pred, picked), 'int32'), 1), k);
};

export const modelOps: OpCase[] = [
  {
    name: 'inTopK k=1',
    inputs: [{ shape: [6, 5] }, { shape: [6], dtype: 'int32', domain: [0, 4.99] }],
    build: (p, t) => g.inTopK(p, t, 1),
    eager: eagerInTopK(1),
    grad: false,
  },
  {
    name: 'inTopK k=3',
    inputs: [{ shape: [6, 5] }, { shape: [6], dtype: 'int32', domain: [0, 4.99] }],
    build: (p, t) => g.inTopK(p, t, 3),
    eager: eagerInTopK(3),
    grad: false,
  },
  // Q·R reconstructs the input (a check independent of the kernel's sign convention).
  {
    name: 'qr: q·r = x (tall)',
    inputs: [{ shape: [5, 3] }],
    build: (x) => g.matMul(...g.qr(x)),
    eager: (x) => x,
    tol: 1e-4,
    grad: false,
  },
  {
    name: 'qr: q has orthonormal columns',
    inputs: [{ shape: [4, 4] }],
    build: (x) => {
      const [q] = g.qr(x);
      return g.matMul(q, q, { transposeA: true });
    },
    eager: () => tf.eye(4),
    tol: 1e-4,
    grad: false,
  },
];
