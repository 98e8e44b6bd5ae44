import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { runOnce } from '../../helpers.js';
import { forwardCases, named } from '../../op_table.js';
import { slicingOps } from '../../tables/slicing.js';
import { checkForward } from './harness.js';

describe('slicing ops: forward vs eager tfjs', () => {
  it.each(named(forwardCases(slicingOps)))('%s', (_, c) => checkForward(c));
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
