// Slicing and gathering rows (slice, stridedSlice, gather, unsortedSegmentSum, oneHot, where)
// for the forward and gradient harnesses, see tests/op_table.ts.

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { GradOptions, OpCase } from '../op_table.js';

type Masks = Partial<g.SliceMasks>;
const idx = (shape: number[], n: number) => ({
  shape,
  dtype: 'int32' as const,
  domain: [0, n - 0.01] as const,
});
/**
 * A stridedSlice row checked against tfjs's own stridedSlice. tfjs has no StridedSlice gradient,
 * so the rows that check one rely on finite differences (and second order).
 */
const strided = (
  name: string,
  shape: number[],
  begin: number[],
  end: number[],
  strides: number[],
  m: Masks = {},
  grad: false | GradOptions = false,
): OpCase => ({
  name: `stridedSlice ${name}`,
  inputs: [{ shape }],
  build: (x) => g.stridedSlice(x, begin, end, strides, m),
  eager: (x) =>
    tf.stridedSlice(
      x,
      begin,
      end,
      strides,
      m.beginMask ?? 0,
      m.endMask ?? 0,
      m.ellipsisMask ?? 0,
      m.newAxisMask ?? 0,
      m.shrinkAxisMask ?? 0,
    ),
  grad,
});
const noOracle: GradOptions = { eager: null };

export const slicingOps: OpCase[] = [
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
  strided('basic', [4, 5], [1, 0], [3, 5], [1, 2], {}, noOracle),
  strided('negative indices', [6], [-4], [-1], [1]),
  strided('negative stride', [6, 3], [5, 0], [0, 3], [-2, 1], {}, noOracle),
  strided('reverse all (masks)', [5], [0], [0], [-1], { beginMask: 1, endMask: 1 }),
  strided('begin/end masks', [4, 5], [2, 1], [0, 4], [1, 1], { beginMask: 1, endMask: 1 }),
  strided('ellipsis', [2, 3, 4], [0, 1], [0, 3], [1, 1], { ellipsisMask: 1 }),
  strided(
    'ellipsis, last axis reversed',
    [2, 3, 4],
    [0, 3],
    [0, 0],
    [1, -1],
    { ellipsisMask: 1, endMask: 2 },
    noOracle,
  ),
  strided('new axis', [3, 4], [0, 0, 1], [0, 0, 3], [1, 1, 1], { newAxisMask: 2, beginMask: 1, endMask: 1 }),
  strided('shrink', [3, 4], [1, 0], [2, 4], [1, 1], { shrinkAxisMask: 1 }),
  strided('shrink negative', [3, 4], [0, -1], [0, 0], [1, 1], {
    beginMask: 1,
    endMask: 1,
    shrinkAxisMask: 2,
  }),
  strided(
    'masks, new axis, shrink',
    [3, 4, 2],
    [0, 0, 1, 1],
    [0, 0, 3, 0],
    [1, 1, 1, 1],
    { beginMask: 1, endMask: 1, newAxisMask: 2, shrinkAxisMask: 8 },
    noOracle,
  ),
  strided('out-of-range clamps', [4], [-10], [10], [1]),
  // tfjs's own stridedSlice rejects this case, so the oracle is the empty result itself
  { ...strided('empty result', [4], [3], [1], [1]), eager: () => tf.zeros([0]) },
  strided('implicit trailing dims', [3, 4, 2], [1], [3], [1]),
  {
    name: 'stridedSlice ellipsis + new axis + shrink',
    inputs: [{ shape: [2, 3, 4] }],
    // x[..., tf.newaxis, 1]
    build: (x) =>
      g.stridedSlice(x, [0, 0, 1], [0, 0, 2], [1, 1, 1], {
        ellipsisMask: 1,
        newAxisMask: 2,
        shrinkAxisMask: 4,
      }),
    eager: (x) => tf.expandDims(tf.gather(x, 1, 2), 2),
    grad: false,
  },
  {
    name: 'stridedSlice unknown dims',
    inputs: [{ shape: [5, 4], staticShape: [null, 4] }],
    build: (x) => g.stridedSlice(x, [1, 0], [0, 4], [1, 2], { endMask: 1 }),
    eager: (x) => tf.stridedSlice(x, [1, 0], [0, 4], [1, 2], 0, 1),
    staticShape: [null, 2],
    grad: false,
  },
  {
    name: 'stridedSlice dynamic begin',
    inputs: [{ shape: [5, 4] }, idx([2], 2)],
    build: (x, b) => g.stridedSlice(x, b, [4, 4], [1, 1]),
    eager: (x, b) => tf.stridedSlice(x, Array.from(b.dataSync()), [4, 4], [1, 1]),
    staticShape: null,
    grad: false,
  },
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
    // axis = 0 * fed - 2 (i.e. 1): no shape rule can read it, so the gradient is built
    // with run-time permutations (TF's _GatherV2Grad for a tensor axis).
    name: 'gather fed axis 1 of a rank-3 params, 2-D indices',
    inputs: [{ shape: [2, 4, 3] }, idx([2, 3], 4), idx([], 1)],
    build: (p, i, a) => g.gather(p, i, { axis: g.sub(g.mul(a, 0), 2) }),
    eager: (p, i) => tf.gather(p, i, 1),
    staticShape: null,
    grad: { wrt: [0] },
  },
  {
    name: 'gather fed axis 0 (dense gradient), unknown params rank',
    inputs: [{ shape: [4, 3], staticShape: null }, idx([6], 4), idx([], 1)],
    build: (p, i, a) => g.gather(p, i, { axis: a }),
    eager: (p, i) => tf.gather(p, i, 0),
    staticShape: null,
    grad: { wrt: [0] },
  },
  {
    name: 'gather axis -1, unknown params rank',
    inputs: [{ shape: [3, 4], staticShape: null }, idx([5], 4)],
    build: (p, i) => g.gather(p, i, { axis: -1 }),
    eager: (p, i) => tf.gather(p, i, 1),
    staticShape: null,
  },
  {
    name: 'unsortedSegmentSum',
    inputs: [{ shape: [6, 2] }, idx([6], 3)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 3),
    eager: (d, s) => tf.unsortedSegmentSum(d, s as tf.Tensor1D, 3),
  },
  {
    name: 'unsortedSegmentSum with an empty segment',
    inputs: [{ shape: [6, 2] }, idx([6], 3)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 4),
    eager: (d, s) => tf.unsortedSegmentSum(d, s as tf.Tensor1D, 4),
    grad: false,
  },
  {
    name: 'unsortedSegmentSum 2-D ids',
    inputs: [{ shape: [2, 3, 2] }, idx([2, 3], 4)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 4),
    eager: (d, s) => tf.unsortedSegmentSum(tf.reshape(d, [6, 2]), tf.reshape(s, [6]), 4),
  },
  {
    name: 'oneHot',
    inputs: [idx([4], 3)],
    build: (i) => g.oneHot(i, 3),
    eager: (i) => tf.oneHot(i, 3, 1, 0, 'float32'),
    grad: false,
  },
  {
    name: 'oneHot axis 0, on/off, int32',
    inputs: [idx([2, 3], 5)],
    build: (i) => g.oneHot(i, 4, { axis: 0, onValue: 5, offValue: -1, dtype: 'int32' }),
    eager: (i) => tf.transpose(tf.oneHot(i, 4, 5, -1, 'int32'), [2, 0, 1]),
    grad: false,
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
  {
    name: 'where scalar condition',
    inputs: [{ shape: [], domain: 'bool' }, { shape: [2, 2] }, { shape: [2, 2] }],
    build: (c, x, y) => g.where(c, x, y),
    eager: (c, x, y) => tf.where(c, x, y),
    grad: false,
  },
];
