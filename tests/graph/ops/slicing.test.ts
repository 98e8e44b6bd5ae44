import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runOnce } from '../../helpers.js';
import { checkForward, type ForwardCase } from './harness.js';

type Masks = Partial<g.SliceMasks>;
/** A stridedSlice row checked against tfjs's own stridedSlice. */
const strided = (
  name: string,
  shape: number[],
  begin: number[],
  end: number[],
  strides: number[],
  m: Masks = {},
  staticShape?: (number | null)[],
): ForwardCase => ({
  name: `stridedSlice ${name}`,
  inputs: [{ shape, ...(staticShape ? { staticShape } : {}) }],
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
});
const idx = (shape: number[], n: number) => ({
  shape,
  dtype: 'int32' as const,
  domain: [0, n - 0.01] as const,
});

const cases: ForwardCase[] = [
  {
    name: 'slice',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.slice(x, [1, 0], [2, -1]),
    eager: (x) => tf.slice(x, [1, 0], [2, -1]),
  },
  {
    name: 'slice unknown dims',
    inputs: [{ shape: [3, 4], staticShape: [null, 4] }],
    build: (x) => g.slice(x, [1, 1], [-1, 2]),
    eager: (x) => tf.slice(x, [1, 1], [-1, 2]),
    staticShape: [null, 2],
  },
  strided('basic', [4, 5], [1, 0], [3, 5], [1, 2]),
  strided('negative indices', [6], [-4], [-1], [1]),
  strided('negative stride', [6, 3], [5, 0], [0, 3], [-2, 1]),
  strided('reverse all (masks)', [5], [0], [0], [-1], { beginMask: 1, endMask: 1 }),
  strided('begin/end masks', [4, 5], [2, 1], [0, 4], [1, 1], { beginMask: 1, endMask: 1 }),
  strided('ellipsis', [2, 3, 4], [0, 1], [0, 3], [1, 1], { ellipsisMask: 1 }),
  strided('new axis', [3, 4], [0, 0, 1], [0, 0, 3], [1, 1, 1], { newAxisMask: 2, beginMask: 1, endMask: 1 }),
  strided('shrink', [3, 4], [1, 0], [2, 4], [1, 1], { shrinkAxisMask: 1 }),
  strided('shrink negative', [3, 4], [0, -1], [0, 0], [1, 1], {
    beginMask: 1,
    endMask: 1,
    shrinkAxisMask: 2,
  }),
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
  },
  {
    name: 'stridedSlice unknown dims',
    inputs: [{ shape: [5, 4], staticShape: [null, 4] }],
    build: (x) => g.stridedSlice(x, [1, 0], [0, 4], [1, 2], { endMask: 1 }),
    eager: (x) => tf.stridedSlice(x, [1, 0], [0, 4], [1, 2], 0, 1),
    staticShape: [null, 2],
  },
  {
    name: 'stridedSlice dynamic begin',
    inputs: [{ shape: [5, 4] }, idx([2], 2)],
    build: (x, b) => g.stridedSlice(x, b, [4, 4], [1, 1]),
    eager: (x, b) => tf.stridedSlice(x, Array.from(b.dataSync()), [4, 4], [1, 1]),
    staticShape: null,
  },
  {
    name: 'gather axis 0',
    inputs: [{ shape: [4, 3] }, idx([5], 4)],
    build: (p, i) => g.gather(p, i),
    eager: (p, i) => tf.gather(p, i),
  },
  {
    name: 'gather axis 1, 2-D indices',
    inputs: [{ shape: [2, 5, 3] }, idx([2, 2], 5)],
    build: (p, i) => g.gather(p, i, { axis: 1 }),
    eager: (p, i) => tf.gather(p, i, 1),
  },
  {
    name: 'gather axis -1',
    inputs: [{ shape: [2, 3] }, idx([4], 3)],
    build: (p, i) => g.gather(p, i, { axis: -1 }),
    eager: (p, i) => tf.gather(p, i, 1),
  },
  {
    name: 'unsortedSegmentSum',
    inputs: [{ shape: [6, 2] }, idx([6], 3)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 4),
    eager: (d, s) => tf.unsortedSegmentSum(d, s as tf.Tensor1D, 4),
  },
  {
    name: 'unsortedSegmentSum 2-D ids',
    inputs: [{ shape: [2, 3, 2] }, idx([2, 3], 3)],
    build: (d, s) => g.unsortedSegmentSum(d, s, 3),
    eager: (d, s) => tf.unsortedSegmentSum(tf.reshape(d, [6, 2]), tf.reshape(s, [6]), 3),
  },
  {
    name: 'oneHot',
    inputs: [idx([4], 3)],
    build: (i) => g.oneHot(i, 3),
    eager: (i) => tf.oneHot(i, 3, 1, 0, 'float32'),
  },
  {
    name: 'oneHot axis 0, on/off, int32',
    inputs: [idx([2, 3], 5)],
    build: (i) => g.oneHot(i, 4, { axis: 0, onValue: 5, offValue: -1, dtype: 'int32' }),
    eager: (i) => tf.transpose(tf.oneHot(i, 4, 5, -1, 'int32'), [2, 0, 1]),
  },
  {
    name: 'where same shape',
    inputs: [{ shape: [2, 3], domain: 'bool' }, { shape: [2, 3] }, { shape: [2, 3] }],
    build: (c, x, y) => g.where(c, x, y),
    eager: (c, x, y) => tf.where(c, x, y),
  },
  {
    name: 'where vector condition picks rows',
    inputs: [{ shape: [3], domain: 'bool' }, { shape: [3, 2] }, { shape: [3, 2] }],
    build: (c, x, y) => g.where(c, x, y),
    eager: (c, x, y) => tf.where(tf.reshape(c, [3, 1]), x, y),
  },
  {
    name: 'where scalar condition',
    inputs: [{ shape: [], domain: 'bool' }, { shape: [2, 2] }, { shape: [2, 2] }],
    build: (c, x, y) => g.where(c, x, y),
    eager: (c, x, y) => tf.where(c, x, y),
  },
];

describe('slicing ops: forward vs eager tfjs', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkForward(c));
});

describe('slicing ops: hand-checked values', () => {
  const run = (build: () => g.Tensor) => {
    const graph = new g.Graph();
    return runOnce(graph, graph.asDefault(build)).toArray();
  };
  const m = [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9, 10, 11],
  ];
  it('x[::-1, 1:3]', () =>
    expect(run(() => g.stridedSlice(m, [0, 1], [0, 3], [-1, 1], { beginMask: 1, endMask: 1 }))).toEqual([
      [9, 10],
      [5, 6],
      [1, 2],
    ]));
  it('x[-1, ::-2]', () =>
    expect(
      run(() => g.stridedSlice(m, [-1, 0], [0, 0], [1, -2], { shrinkAxisMask: 1, beginMask: 2, endMask: 2 })),
    ).toEqual([11, 9]));
  it('x[2:0:-1, tf.newaxis, 3]', () =>
    expect(
      run(() => g.stridedSlice(m, [2, 0, 3], [0, 0, 4], [-1, 1, 1], { newAxisMask: 2, shrinkAxisMask: 4 })),
    ).toEqual([[11], [7]]));
});

describe('slicing ops: errors', () => {
  const graph = new g.Graph();
  const within = (fn: () => void) => graph.asDefault(fn);
  it('stridedSlice checks indices at build time', () =>
    within(() => {
      const x = g.placeholder('float32', [3, 4], { name: 'x' });
      expect(() => g.stridedSlice(x, [5], [6], [1], { shrinkAxisMask: 1 })).toThrow(
        /StridedSlice op .*slice index 5 of dimension 0 out of bounds.*x:0: float32\[3,4\]/,
      );
      expect(() => g.stridedSlice(x, [0, 0, 0], [1, 1, 1], [1, 1, 1])).toThrow(/Index out of range/);
      expect(() => g.stridedSlice(x, [0], [1], [0])).toThrow(/strides\[0\] must be non-zero/);
      expect(() => g.stridedSlice(x, [0, 0], [1, 1], [1, 1], { ellipsisMask: 3 })).toThrow(
        /Multiple ellipses/,
      );
    }));
  it('slice checks bounds', () =>
    within(() => {
      const x = g.placeholder('float32', [3, 4]);
      expect(() => g.slice(x, [2, 0], [2, 4])).toThrow(/slice \[2, 4\) of dimension 0 exceeds its size 3/);
      expect(() => g.slice(x, [0], [1])).toThrow(/one entry per dimension/);
    }));
  it('gather needs int32 indices, and fails at run time when out of range', () => {
    within(() => {
      const p = g.placeholder('float32', [3, 2]);
      expect(() => g.gather(p, g.placeholder('float32', [2]))).toThrow(g.TypeError);
    });
    const gr = new g.Graph();
    const y = gr.asDefault(() => g.gather(g.constant([[1], [2]]), [0, 2]));
    expect(() => runOnce(gr, y)).toThrow(/indices\[1\] = 2 is not in \[0, 2\)/);
  });
  it('where checks the condition shape', () =>
    within(() => {
      const x = g.placeholder('float32', [3, 2]);
      expect(() => g.where(g.placeholder('bool', [2]), x, x)).toThrow(/condition must be a scalar, a vector/);
      expect(() => g.where(g.placeholder('bool', [3, 2]), x, g.placeholder('float32', [2, 3]))).toThrow(
        /t and e must have the same shape/,
      );
      expect(() => g.where(g.placeholder('float32', [3, 2]), x, x)).toThrow(g.TypeError);
    }));
  it('unsortedSegmentSum needs ids shaped like a prefix of data', () =>
    within(() => {
      expect(() =>
        g.unsortedSegmentSum(g.placeholder('float32', [4, 2]), g.placeholder('int32', [3]), 2),
      ).toThrow(/segment_ids shape \[3\] must be a prefix of data shape \[4,2\]/);
    }));
});

describe('array family on the wasm backend', () => {
  it('matches the cpu backend (cpu itself is checked against eager tfjs above)', async () => {
    const graph = new g.Graph();
    const ys = graph.asDefault(() => {
      const x = g.constant([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11, 12],
      ]);
      const ids = g.constant([2, 0, 2], { dtype: 'int32' });
      return [
        g.reshape(x, [2, -1]),
        g.transpose(x),
        g.concat([x, x], 1),
        g.stack([x, x], { axis: 1 }),
        g.unstack(x)[2]!,
        g.split(x, [1, -1], 1)[1]!,
        g.tile(x, [1, 2]),
        g.pad(
          x,
          [
            [1, 0],
            [0, 2],
          ],
          { constantValues: 5 },
        ),
        g.reverse(x, [0]),
        g.broadcastTo(g.expandDims(g.squeeze(g.slice(x, [0, 0], [1, -1])), 0), [2, 4]),
        g.slice(x, [1, 1], [-1, 2]),
        g.stridedSlice(x, [2, 0], [0, 4], [-1, 2], { endMask: 1 }),
        g.stridedSliceGrad(
          g.constant([3, 4], { dtype: 'int32' }),
          g.constant([0, 1], { dtype: 'int32' }),
          g.constant([3, 4], { dtype: 'int32' }),
          g.constant([2, 2], { dtype: 'int32' }),
          g.constant([
            [1, 2],
            [3, 4],
          ]),
          { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
        ),
        g.gather(x, ids, { axis: 1 }),
        g.oneHot(ids, 3, { axis: 0 }),
        g.where(g.constant([true, false, true]), x, g.neg(x)),
        g.fill([2, 2], 3),
        g.range(1, 10, 3),
        g.zerosLike(g.placeholderWithDefault(x, [null, 4])),
        g.shape(x, { optimize: false }),
        g.invertPermutation([1, 2, 0]),
        g.broadcastGradientArgs(
          [2, 1],
          g.placeholderWithDefault(g.constant([1, 3], { dtype: 'int32' }), [2]),
        )[0]!,
      ];
    });
    const cpu = new g.Session(graph);
    const want = cpu.run(ys);
    cpu.close();
    const wasm = await g.Session.create(graph, { backend: 'wasm' });
    const got = wasm.run(ys);
    wasm.close();
    got.forEach((v, i) => expect(v.toArray(), `output ${i}`).toEqual(want[i]!.toArray()));
  });
  it('runs UnsortedSegmentSum (no wasm kernel of its own) as a scatter-add', async () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() => g.unsortedSegmentSum(g.constant([[1], [2], [3], [4]]), [0, 2, 0, -1], 3));
    const wasm = await g.Session.create(graph, { backend: 'wasm' });
    expect(wasm.run(y).toArray()).toEqual([[4], [0], [2]]);
    wasm.close();
  });
});
