import { gradients, IndexedSlices } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runOnce } from '../helpers.js';
import { checkGradient, type GradCase } from './harness.js';

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
): GradCase => ({
  name: `stridedSlice ${name}`,
  inputs: [{ shape }],
  build: (x) => g.stridedSlice(x, b, e, s, m),
  eager: null,
});
/** `square(f(x))`: a linear op made nonlinear, so second order exercises the rule's own gradient. */
const squared = (c: GradCase): GradCase => ({
  ...c,
  name: `${c.name} (squared, 2nd order)`,
  build: (...xs) => g.square(c.build(...xs)),
  eager: c.eager ? (...xs) => tf.square(c.eager!(...xs)) : null,
  secondOrder: true,
});

const cases: GradCase[] = [
  {
    name: 'reshape',
    inputs: [{ shape: [2, 6] }],
    build: (x) => g.reshape(x, [3, 4]),
    eager: (x) => tf.reshape(x, [3, 4]),
  },
  {
    name: 'reshape unknown batch',
    inputs: [{ shape: [4, 6], staticShape: [null, 6] }],
    build: (x) => g.reshape(x, [-1, 2, 3]),
    eager: (x) => tf.reshape(x, [-1, 2, 3]),
  },
  {
    name: 'expandDims',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.expandDims(x, 1),
    eager: (x) => tf.expandDims(x, 1),
  },
  {
    name: 'squeeze',
    inputs: [{ shape: [2, 1, 3] }],
    build: (x) => g.squeeze(x),
    eager: (x) => tf.squeeze(x),
  },
  {
    name: 'transpose',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => g.transpose(x, [2, 0, 1]),
    eager: (x) => tf.transpose(x, [2, 0, 1]),
  },
  {
    name: 'reverse',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.reverse(x, [1]),
    eager: (x) => tf.reverse(x, [1]),
  },
  {
    name: 'concat',
    inputs: [{ shape: [2, 3] }, { shape: [2, 2] }],
    build: (a, b) => g.concat([a, b], 1),
    eager: (a, b) => tf.concat([a, b], 1),
  },
  {
    name: 'concat unknown sizes (dynamic offsets)',
    inputs: [
      { shape: [2, 3], staticShape: [null, 3] },
      { shape: [3, 3], staticShape: [null, 3] },
    ],
    build: (a, b) => g.concat([a, b], 0),
    eager: (a, b) => tf.concat([a, b], 0),
  },
  {
    name: 'concat run-time axis',
    inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }],
    build: (a, b, c) => g.concat([a, b, c], g.placeholderWithDefault(g.constant(-1, { dtype: 'int32' }), [])),
    eager: (a, b, c) => tf.concat([a, b, c], 1),
  },
  {
    name: 'stack',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    build: (a, b) => g.stack([a, b], { axis: 1 }),
    eager: (a, b) => tf.stack([a, b], 1),
  },
  {
    name: 'unstack (one output used)',
    inputs: [{ shape: [3, 2] }],
    build: (x) => g.unstack(x)[1]!,
    eager: (x) => tf.unstack(x)[1]!,
  },
  {
    name: 'split (one output used)',
    inputs: [{ shape: [2, 6] }],
    build: (x) => g.split(x, 3, 1)[1]!,
    eager: (x) => tf.split(x, 3, 1)[1]!,
  },
  {
    name: 'split sizes, all outputs',
    inputs: [{ shape: [5, 2] }],
    build: (x) => {
      const [a, b] = g.split(x, [2, -1], 0);
      return g.concat([g.mul(a!, 2), b!], 0);
    },
    eager: (x) => {
      const [a, b] = tf.split(x, [2, 3], 0);
      return tf.concat([tf.mul(a!, 2), b!], 0);
    },
  },
  {
    name: 'tile',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.tile(x, [3, 2]),
    eager: (x) => tf.tile(x, [3, 2]),
  },
  {
    name: 'tile unknown dim',
    inputs: [{ shape: [2, 3], staticShape: [null, 3] }],
    build: (x) => g.tile(x, [2, 1]),
    eager: (x) => tf.tile(x, [2, 1]),
  },
  {
    name: 'pad',
    inputs: [{ shape: [2, 3] }],
    build: (x) =>
      g.pad(x, [
        [1, 0],
        [2, 1],
      ]),
    eager: (x) =>
      tf.pad(x, [
        [1, 0],
        [2, 1],
      ]),
  },
  {
    name: 'padV2',
    inputs: [{ shape: [2, 3] }],
    build: (x) =>
      g.pad(
        x,
        [
          [0, 1],
          [1, 1],
        ],
        { constantValues: 3 },
      ),
    eager: (x) =>
      tf.pad(
        x,
        [
          [0, 1],
          [1, 1],
        ],
        3,
      ),
  },
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
  {
    name: 'broadcastTo',
    inputs: [{ shape: [3, 1] }],
    build: (x) => g.broadcastTo(x, [2, 3, 4]),
    eager: (x) => tf.broadcastTo(x, [2, 3, 4]),
  },
  {
    name: 'broadcastTo dynamic shape',
    inputs: [{ shape: [1, 3] }, { shape: [4, 3], staticShape: [null, 3] }],
    build: (x, y) => g.broadcastTo(x, g.shape(y)),
    eager: (x, y) => tf.broadcastTo(x, y.shape),
    wrt: [0],
  },
  {
    name: 'fill',
    inputs: [{ shape: [] }],
    build: (v) => g.fill([2, 3], v),
    eager: (v) => tf.mul(tf.ones([2, 3]), v),
  },
];

const second: GradCase[] = [
  cases[4]!, // transpose
  cases[6]!, // concat
  cases[13]!, // tile
  cases[15]!, // pad
  cases[17]!, // slice
  cases[19]!, // stridedSlice basic
  cases[20]!, // stridedSlice negative stride
  cases[24]!, // gather axis 1
  cases[26]!, // unsortedSegmentSum
  cases[28]!, // where
  cases[30]!, // broadcastTo
].map(squared);

describe('array gradients vs eager tfjs and finite differences', () => {
  it.each([...cases, ...second].map((c) => [c.name, c] as const))('%s', (_, c) => checkGradient(c));
});

describe('array gradients: structure', () => {
  it('gather on axis 0 gives IndexedSlices with TF shapes; other axes are dense', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const p = g.placeholder('float32', [5, 3]);
      const i = g.placeholder('int32', [2, 2]);
      const [d0] = gradients(g.gather(p, i), [p]);
      expect(d0).toBeInstanceOf(IndexedSlices);
      const s = d0 as IndexedSlices;
      expect(s.values.shape).toEqual([4, 3]);
      expect(s.indices.shape).toEqual([4]);
      expect(g.constantValue(s.denseShape!)).toEqual([5, 3]);
      const [d1] = gradients(g.gather(p, [0, 0], { axis: 1 }), [p]);
      expect(d1).toBeInstanceOf(g.Tensor);
      expect((d1 as g.Tensor).shape).toEqual([5, 3]);
    });
  });
  it('keeps static shapes through the rules (constant folding)', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 4, 6]);
      const y = g.reduceSum(
        g.tile(
          g.pad(g.slice(g.transpose(x, [0, 2, 1]), [0, 1, 0], [-1, 3, -1]), [
            [0, 0],
            [1, 1],
            [0, 0],
          ]),
          [1, 2, 1],
        ),
      );
      const [dx] = gradients(y, [x]) as g.Tensor[];
      expect(dx!.shape).toEqual([null, 4, 6]);
      const z = g.placeholder('float32', [2, 3, 4]);
      const [dz] = gradients(g.reduceSum(g.stridedSlice(z, [0, 1], [0, 3], [1, 1], { ellipsisMask: 1 })), [
        z,
      ]) as g.Tensor[];
      expect(dz!.shape).toEqual([2, 3, 4]);
    });
  });
  it('shape-like ops have no gradient', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 3]);
      const y = g.cast(g.shape(x), 'float32');
      expect(gradients(g.reduceSum(y), [x])).toEqual([null]);
      const oh = g.oneHot(g.cast(x, 'int32'), 4);
      expect(gradients(g.reduceSum(oh), [x])).toEqual([null]);
    });
  });
  it('the gradient of a gradient of stridedSlice slices again', () => {
    const graph = new g.Graph();
    const x = graph.asDefault(() =>
      g.constant([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const ddy = graph.asDefault(() => {
      const dy = g.placeholderWithDefault(g.constant([7, 8]), [2]);
      const y = g.stridedSlice(x, [0, -1], [0, 0], [1, 1], { beginMask: 1, endMask: 1, shrinkAxisMask: 2 });
      const [dx] = gradients(y, [x], { gradYs: [dy] }) as g.Tensor[];
      expect(dx!.op.type).toBe('StridedSliceGrad');
      return gradients(dx!, [dy], {
        gradYs: [
          g.constant([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ],
      })[0] as g.Tensor;
    });
    expect(runOnce(graph, ddy).toArray()).toEqual([3, 6]);
  });
});
