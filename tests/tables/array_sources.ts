// Shape queries and tensor sources (fill, zeros, range): forward-only rows of the array table.

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { OpCase } from '../op_table.js';

const intVec = (_: tf.Tensor, v: readonly number[]) => tf.tensor1d(v as number[], 'int32');

export const arraySourceOps: OpCase[] = [
  // shape queries: `optimize: false` forces the kernels; the default folds to a Const.
  {
    name: 'shape',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.shape(x, { optimize: false }),
    eager: (x) => intVec(x, x.shape),
    grad: false,
  },
  {
    name: 'shape folded',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.shape(x),
    eager: (x) => intVec(x, x.shape),
    grad: false,
  },
  {
    name: 'shape unknown dim',
    inputs: [{ shape: [4, 3], staticShape: [null, 3] }],
    build: (x) => g.shape(x),
    eager: (x) => intVec(x, x.shape),
    grad: false,
  },
  {
    name: 'size',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.size(x, { optimize: false }),
    eager: (x) => tf.scalar(x.size, 'int32'),
    grad: false,
  },
  {
    name: 'rank unknown',
    inputs: [{ shape: [2, 3, 1], staticShape: null }],
    build: (x) => g.rank(x),
    eager: (x) => tf.scalar(x.rank, 'int32'),
    grad: false,
  },
  // sources
  {
    name: 'fill dynamic dims',
    inputs: [{ shape: [2, 4], staticShape: [null, 4] }],
    build: (x) => g.fill(g.shape(x), 1.5),
    eager: (x) => tf.fill(x.shape, 1.5),
    staticShape: [null, 4],
    grad: false,
  },
  {
    name: 'zeros int32',
    inputs: [],
    build: () => g.zeros([2, 3], { dtype: 'int32' }),
    eager: () => tf.zeros([2, 3], 'int32'),
    grad: false,
  },
  {
    name: 'zeros large (Fill)',
    inputs: [],
    build: () => g.zeros([40, 30]),
    eager: () => tf.zeros([40, 30]),
    grad: false,
  },
  {
    name: 'ones of a mixed shape',
    inputs: [{ shape: [3, 2], staticShape: [null, 2] }],
    build: (x) => g.ones([g.gather(g.shape(x), 0), 4]),
    eager: (x) => tf.ones([x.shape[0]!, 4]),
    staticShape: [null, 4],
    grad: false,
  },
  {
    name: 'zerosLike',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.zerosLike(x),
    eager: (x) => tf.zerosLike(x),
    grad: false,
  },
  {
    name: 'zerosLike (op)',
    inputs: [{ shape: [2, 3], staticShape: [null, 3] }],
    build: (x) => g.zerosLike(x),
    eager: (x) => tf.zerosLike(x),
    staticShape: [null, 3],
    grad: false,
  },
  {
    name: 'onesLike bool',
    inputs: [{ shape: [2], domain: 'bool', staticShape: [null] }],
    build: (x) => g.onesLike(x),
    eager: (x) => tf.onesLike(x),
    staticShape: [null],
    grad: false,
  },
  {
    name: 'range(5)',
    inputs: [],
    build: () => g.range(5),
    eager: () => tf.range(0, 5, 1, 'int32'),
    grad: false,
  },
  {
    name: 'range float',
    inputs: [],
    build: () => g.range(1, 2, 0.25),
    eager: () => tf.range(1, 2, 0.25),
    grad: false,
  },
  {
    name: 'range down',
    inputs: [],
    build: () => g.range(10, 2, -3),
    eager: () => tf.range(10, 2, -3, 'int32'),
    grad: false,
  },
  {
    name: 'range dynamic limit',
    inputs: [{ shape: [4, 2], staticShape: [null, 2] }],
    build: (x) => g.range(0, g.gather(g.shape(x), 0), 2),
    eager: () => tf.range(0, 4, 2, 'int32'),
    staticShape: [null],
    grad: false,
  },
];
