import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { runOnce } from '../../helpers.js';
import { forwardCases, named } from '../../op_table.js';
import { modelOps } from '../../tables/model.js';
import { checkForward } from './harness.js';

describe('model ops: forward vs eager tfjs', () => {
  it.each(named(forwardCases(modelOps)))('%s', (_, c) => checkForward(c));
});

describe('inTopK (TF’s in_top_k kernel semantics)', () => {
  const run = (pred: number[][], targets: number[], k: number) => {
    const graph = new g.Graph();
    const y = graph.asDefault(() => g.inTopK(g.constant(pred), g.constant(targets, { dtype: 'int32' }), k));
    expect(y.op.type).toBe('InTopKV2');
    expect(y.name).toBe('in_top_k/InTopKV2:0');
    return Array.from(runOnce(graph, y).data as Uint8Array).map(Boolean);
  };
  it('ties at the boundary count as in the top k (testTopK ties)', () => {
    expect(
      run(
        [
          [0.1, 0.3, 0.2, 0.4],
          [0.1, 0.2, 0.3, 0.4],
        ],
        [3, 1],
        2,
      ),
    ).toEqual([true, false]);
    expect(run([[0.1, 0.3, 0.3, 0.2]], [1], 1)).toEqual([true]);
    expect(run([[0.1, 0.3, 0.3, 0.2]], [2], 1)).toEqual([true]);
  });
  it('non-finite scores and out-of-range targets give false', () => {
    expect(
      run(
        [
          [0.1, NaN, 0.2],
          [0.1, 0.2, Infinity],
          [0.1, 0.2, 0.3],
        ],
        [0, 1, 5],
        3,
      ),
    ).toEqual([false, false, false]);
  });
  it('checks shapes at build time', () => {
    const graph = new g.Graph();
    expect(() =>
      graph.asDefault(() => g.inTopK(g.constant([[1, 2]]), g.constant([0, 1], { dtype: 'int32' }), 1)),
    ).toThrow(/First dimension of predictions \[1,2\] must match length of targets \[2\]/);
  });
});
