// Slicing and gathering rows of the array table: slice, stridedSlice, gather,
// unsortedSegmentSum, where.

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { OpCase } from '../op_table.js';

type Masks = Partial<g.SliceMasks>;
const idx = (shape: number[], n: number) => ({
  shape,
  dtype: 'int32' as const,
  domain: [0, n - 0.01] as const,
});
// tfjs has no StridedSlice gradient, so those rows rely on finite differences (and second order).
const strided = (
  name: string,
  shape: number[],
  b: number[],
  e: number[],
  s: number[],
  m: Masks = {},
): OpCase => ({
  name: `stridedSlice ${name}`,
  inputs: [{ shape }],
  build: (x) => g.stridedSlice(x, b, e, s, m),
  eager: (x) =>
    tf.stridedSlice(x, b, e, s, m.beginMask, m.endMask, m.ellipsisMask, m.newAxisMask, m.shrinkAxisMask),
  grad: { eager: null },
});

export const arraySlicingOps: OpCase[] = [
  {
    name: 'slice',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.slice(x, [1, 1], [2, -1]),
    eager: (x) => tf.slice(x, [1, 1], [2, -1]),
  },
  {
    name: 'slice unknown dims',
    inputs: [{ shape: [3, 4], staticShape: [null, null] }],
    build: (x) => g.slice(x, [1, 0], [-1, 2]),
    eager: (x) => tf.slice(x, [1, 0], [-1, 2]),
    staticShape: [null, 2],
  },
  strided('basic', [4, 5], [1, 0], [3, 5], [1, 2]),
  strided('negative stride', [6, 3], [5, 0], [0, 3], [-2, 1]),
  strided('masks, new axis, shrink', [3, 4, 2], [0, 0, 1, 1], [0, 0, 3, 0], [1, 1, 1, 1], {
    beginMask: 1,
    endMask: 1,
    newAxisMask: 2,
    shrinkAxisMask: 8,
  }),
  strided('ellipsis', [2, 3, 4], [0, 3], [0, 0], [1, -1], { ellipsisMask: 1, endMask: 2 }),
  {
    name: 'gather axis 0 (IndexedSlices, repeated ids)',
    inputs: [{ shape: [4, 3] }, idx([6], 4)],
    build: (p, i) => g.gather(p, i),
    eager: (p, i) => tf.gather(p, i),
  },
  {
    name: 'gather axis 1, 2-D indices',
    inputs: [{ shape: [2, 4, 3] }, idx([2, 3], 4)],
    build: (p, i) => g.gather(p, i, { axis: 1 }),
    eager: (p, i) => tf.gather(p, i, 1),
  },
  {
    name: 'gather axis -1',
    inputs: [{ shape: [3, 4] }, idx([5], 4)],
    build: (p, i) => g.gather(p, i, { axis: -1 }),
    eager: (p, i) => tf.gather(p, i, 1),
  },
  {
    name: 'unsortedSegmentSum',
    inputs: [{ shape: [6, 2] }, idx([6], 3)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 3),
    eager: (d, s) => tf.unsortedSegmentSum(d, s as tf.Tensor1D, 3),
  },
  {
    name: 'unsortedSegmentSum 2-D ids',
    inputs: [{ shape: [2, 3, 2] }, idx([2, 3], 4)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 4),
    eager: (d, s) => tf.unsortedSegmentSum(tf.reshape(d, [6, 2]), tf.reshape(s, [6]), 4),
  },
  {
    name: 'where',
    inputs: [{ shape: [2, 3], domain: 'bool' }, { shape: [2, 3] }, { shape: [2, 3] }],
    build: (c, x, y) => g.where(c, x, y),
    eager: (c, x, y) => tf.where(c, x, y),
  },
  {
    name: 'where vector condition',
    inputs: [{ shape: [3], domain: 'bool' }, { shape: [3, 2] }, { shape: [3, 2] }],
    build: (c, x, y) => g.where(c, x, y),
    eager: (c, x, y) => tf.where(tf.reshape(c, [3, 1]), x, y),
  },
];
