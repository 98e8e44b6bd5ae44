import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { runOnce } from '../../helpers.js';
import { forwardCases, named } from '../../op_table.js';
import { arrayOps } from '../../tables/array.js';
import { checkForward } from './harness.js';

describe('array ops: forward vs eager tfjs', () => {
  it.each(named(forwardCases(arrayOps)))('%s', (_, c) => checkForward(c));
});

describe('array ops: BroadcastGradientArgs (TF bcast semantics)', () => {
  // [2,3,4] vs [3,1] aligns as [1,3,1]: y sums axes 0 and 2; equal shapes sum nothing;
  // all-ones dims are summed by both.
  const rows: [number[], number[], number[], number[]][] = [
    [[2, 3, 4], [3, 1], [], [0, 2]],
    [[2, 3], [2, 3], [], []],
    [[1, 1], [1], [0, 1], [0, 1]],
    [[5, 1], [1, 7], [1], [0]],
  ];
  it.each(rows)('%j vs %j', (s0, s1, r0, r1) => {
    const graph = new g.Graph();
    const [a, b, pa] = graph.asDefault(() => {
      const p = g.placeholder('int32', [s0.length]);
      return [...g.broadcastGradientArgs(p, s1), p] as const;
    });
    const feeds = new Map([[pa, new g.NDArray('int32', [s0.length], Int32Array.from(s0))]]);
    expect(runOnce(graph, a, feeds).toArray()).toEqual(r0);
    expect(runOnce(graph, b, feeds).toArray()).toEqual(r1);
    // and folded at build time when both shapes are constants
    graph.asDefault(() => {
      const [c0, c1] = g.broadcastGradientArgs(s0, s1);
      expect(g.constantValue(c0)).toEqual(r0);
      expect(g.constantValue(c1)).toEqual(r1);
    });
  });
  it('fails on incompatible shapes, at build time when known', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      expect(() => g.broadcastGradientArgs([2, 3], [4])).toThrow(/Incompatible shapes.*\[2,3\] and \[4\]/);
      const p = g.placeholder('int32', [2]);
      const [r0] = g.broadcastGradientArgs(p, [4]);
      const feeds = new Map([[p, new g.NDArray('int32', [2], Int32Array.from([2, 3]))]]);
      expect(() => runOnce(graph, r0, feeds)).toThrow(g.InvalidArgumentError);
    });
  });
});

describe('array ops: static shapes and folding', () => {
  it('reduces an unknown-rank tensor over all axes via range(rank(x))', () => {
    const graph = new g.Graph();
    const [x, y] = graph.asDefault(() => {
      const x = g.placeholder('float32', null);
      return [x, g.reduceSum(x)];
    });
    const v = new g.NDArray('float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
    expect(runOnce(graph, y, new Map([[x, v]])).item()).toBe(10);
  });
  it('folds int arithmetic, casts and gathers of partially known shapes', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 3, 4]);
      const s = g.shape(x);
      expect(g.constantShape(s)).toEqual([null, 3, 4]);
      expect(g.constantValue(g.gather(s, 2))).toEqual([4]);
      expect(g.constantValue(g.sub(g.gather(s, [1, 2]), 1))).toEqual([2, 3]);
      expect(g.constantValue(g.stridedSlice(s, [-1], [0], [1], { shrinkAxisMask: 1 }))).toEqual([4]);
      expect(g.constantValue(g.cast(g.range(0, 3), 'float32'))).toEqual([0, 1, 2]);
      expect(g.constantShape(g.stack([g.gather(s, 0), 5]))).toEqual([null, 5]);
      expect(g.reshape(x, g.stack([-1, g.gather(s, 2)])).shape).toEqual([null, 4]);
    });
  });
});

describe('array ops: build-time errors', () => {
  const graph = new g.Graph();
  const within = (fn: () => void) => graph.asDefault(fn);
  it('reshape names the element counts and shapes', () =>
    within(() => {
      const x = g.placeholder('float32', [2, 3], { name: 'x' });
      expect(() => g.reshape(x, [4, 2])).toThrow(
        /Reshape op 'Reshape(_\d+)?'.*Cannot reshape a tensor with 6 elements to shape \[4,2\] \(8 elements\).*x:0: float32\[2,3\]/,
      );
      expect(() => g.reshape(x, [-1, 4])).toThrow(/6 is not a multiple of 4/);
      expect(() => g.reshape(x, [-1, -1])).toThrow(/only infer one dimension/);
    }));
  it('transpose checks the permutation', () =>
    within(() => {
      const x = g.placeholder('float32', [2, 3]);
      expect(() => g.transpose(x, [0, 0])).toThrow(/perm \[0,0\] is not a permutation of 2 dimensions/);
      expect(() => g.transpose(g.placeholder('float32', null))).toThrow(/unknown rank/);
    }));
  it('squeeze refuses a dimension that is not 1', () =>
    within(() => {
      expect(() => g.squeeze(g.placeholder('float32', [2, 3]), { axis: 1 })).toThrow(
        /Can not squeeze dim\[1\].*got 3/,
      );
    }));
  it('expandDims checks the axis range', () =>
    within(() => {
      expect(() => g.expandDims(g.placeholder('float32', [2, 3]), 4)).toThrow(
        /axis 4 is out of range.*rank 3/,
      );
    }));
  it('broadcastTo refuses incompatible targets', () =>
    within(() => {
      expect(() => g.broadcastTo(g.placeholder('float32', [3]), [2, 4])).toThrow(
        /cannot broadcast \[3\] to \[2,4\]/,
      );
      expect(() => g.broadcastTo(g.placeholder('float32', [2, 3]), [3])).toThrow(/lower-rank/);
    }));
  it('concat, stack and split check shapes', () =>
    within(() => {
      const a = g.placeholder('float32', [2, 3], { name: 'a' });
      expect(() => g.concat([a, g.placeholder('float32', [3, 3])], 1)).toThrow(
        /dimensions other than axis 1 must match/,
      );
      expect(() => g.concat([a, g.placeholder('float32', [3])], 0)).toThrow(/same rank/);
      expect(() => g.concat([a, a], 2)).toThrow(/axis 2 is out of range/);
      expect(() => g.stack([a, g.placeholder('float32', [3, 2])])).toThrow(/same shape.*\[2,3\] and \[3,2\]/);
      expect(() => g.split(a, 2, 1)).toThrow(/evenly divide the split dimension.*size = 3.*num_split 2/);
      expect(() => g.split(a, [1, 1], 1)).toThrow(/do not add up/);
      expect(() => g.unstack(g.placeholder('float32', [null, 2]))).toThrow(/Cannot infer num/);
    }));
  it('pad, tile, range and fill check their arguments', () =>
    within(() => {
      const a = g.placeholder('float32', [2, 3]);
      expect(() => g.pad(a, [[1, 1]])).toThrow(/paddings must have shape \[rank, 2\]/);
      expect(() =>
        g.pad(a, [
          [1, 1],
          [-1, 0],
        ]),
      ).toThrow(/non-negative/);
      expect(() => g.tile(a, [2])).toThrow(/one entry per dimension/);
      expect(() => g.range(0, 5, 0)).toThrow(/delta != 0/);
      expect(() => g.range(5, 0, 1)).toThrow(/start <= limit/);
      expect(() => g.fill([[2]], 1)).toThrow(/must be rank 1/);
    }));
  it('shape-like arguments must be int32', () =>
    within(() => {
      const x = g.placeholder('float32', [2, 3]);
      expect(() => g.reshape(x, g.placeholder('float32', [2]))).toThrow(g.TypeError);
    }));
  it('run-time squeeze of a non-1 dim is an InvalidArgumentError', () => {
    const gr = new g.Graph();
    const [x, y] = gr.asDefault(() => {
      const x = g.placeholder('float32', [null]);
      return [x, g.squeeze(x, { axis: 0 })];
    });
    expect(() => runOnce(gr, y, new Map([[x, new g.NDArray('float32', [2], new Float32Array(2))]]))).toThrow(
      /Can not squeeze dim\[0\]/,
    );
  });
  it('runs kernels on int32 inputs too', () => {
    const gr = new g.Graph();
    const y = gr.asDefault(() => g.transpose(g.constant([[1, 2, 3]], { dtype: 'int32' })));
    expect(runOnce(gr, y).toArray()).toEqual([[1], [2], [3]]);
  });
});
