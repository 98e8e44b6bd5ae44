import { gradients, IndexedSlices } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { runOnce } from '../helpers.js';
import { gradCases, named } from '../op_table.js';
import { arrayOps } from '../tables/array.js';
import { slicingOps } from '../tables/slicing.js';
import { checkGradient } from './harness.js';

describe('array gradients vs eager tfjs and finite differences', () => {
  it.each(named(gradCases([...arrayOps, ...slicingOps])))('%s', (_, c) => checkGradient(c));
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
