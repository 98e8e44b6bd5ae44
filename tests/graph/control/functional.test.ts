// mapFn, scan and foldl over the first dimension (TF's functional_ops), checked against closed forms.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';

const values = (graph: g.Graph, t: g.Nest, feeds?: g.FeedDict): number[][] => {
  const sess = new g.Session(graph);
  try {
    const r = sess.run(t as g.Tensor, feeds);
    return [Array.from(r.data as Float32Array), r.shape];
  } finally {
    sess.close();
  }
};

describe('mapFn', () => {
  it('applies fn to each row and stacks the results (TF testMap_Simple: x*3+2)', () =>
    inGraph((graph) => {
      const elems = g.constant([1, 2, 3, 4, 5, 6]);
      const r = g.mapFn((x: g.Tensor) => g.add(g.mul(x, 3), 2), elems);
      expect((r as g.Tensor).shape).toEqual([6]);
      expect(values(graph, r)[0]).toEqual([5, 8, 11, 14, 17, 20]);
    }));

  it('maps rows of a matrix to vectors, with a fed (unknown) row count', () =>
    inGraph((graph) => {
      const m = g.placeholder('float32', [null, 2]);
      const r = g.mapFn((row: g.Tensor) => g.stack([g.reduceSum(row), g.reduceMax(row)]), m) as g.Tensor;
      expect(r.shape).toEqual([null, 2]);
      const [data, shape] = values(graph, r, [
        [
          m,
          [
            [1, 2],
            [5, -1],
            [0, 3],
          ],
        ],
      ]);
      expect(data).toEqual([3, 2, 4, 5, 3, 3]);
      expect(shape).toEqual([3, 2]);
    }));

  it('takes nested elems and returns a nest (TF testMap_MultiInputSingleOutput / MultiOutput)', () =>
    inGraph((graph) => {
      const a = g.constant([1, 2, 3]);
      const b = g.constant([10, 20, 30]);
      const r = g.mapFn(
        (e: [g.Tensor, g.Tensor]) => ({ s: g.add(e[0], e[1]), p: g.mul(e[0], e[1]) }),
        [a, b],
        {
          dtype: { p: 'float32', s: 'float32' },
        },
      ) as { s: g.Tensor; p: g.Tensor };
      expect(values(graph, r.s)[0]).toEqual([11, 22, 33]);
      expect(values(graph, r.p)[0]).toEqual([10, 40, 90]);
    }));

  it('an empty input maps to an empty result', () =>
    inGraph((graph) => {
      const m = g.placeholder('float32', [null, 2]);
      const r = g.mapFn((row: g.Tensor) => g.mul(row, 2), m);
      const [data, shape] = values(graph, r, [[m, new g.NDArray('float32', [0, 2], new Float32Array(0))]]);
      expect(data).toEqual([]);
      expect(shape).toEqual([0, 2]);
    }));

  it('rejects scalars and a wrong dtype', () =>
    inGraph(() => {
      expect(() => g.mapFn((x: g.Tensor) => x, g.constant(1))).toThrow(/1\+ dimensional/);
      expect(() => g.mapFn((x: g.Tensor) => x, g.constant([1, 2]), { dtype: 'int32' })).toThrow(g.TypeError);
    }));
});

describe('scan', () => {
  it('cumulative sums (TF testScan_Simple uses products: [1, 2, 6, 24, 120, 720])', () =>
    inGraph((graph) => {
      const elems = g.constant([1, 2, 3, 4, 5, 6]);
      const sums = g.scan((a: g.Tensor, x: g.Tensor) => g.add(a, x), elems);
      const prods = g.scan((a: g.Tensor, x: g.Tensor) => g.mul(a, x), elems);
      expect(values(graph, sums)[0]).toEqual([1, 3, 6, 10, 15, 21]);
      expect(values(graph, prods)[0]).toEqual([1, 2, 6, 24, 120, 720]);
    }));

  it('with an initializer: TF testScan_Scoped (a*x + 1 style) and reverse', () =>
    inGraph((graph) => {
      const elems = g.constant([1, 2, 3, 4, 5, 6]);
      const init = g.constant(2);
      // TF testScan_SingleInputMultiOutput-like: a' = a + x, starting from 2.
      const r = g.scan((a: g.Tensor, x: g.Tensor) => g.add(a, x), elems, { initializer: init });
      expect(values(graph, r)[0]).toEqual([3, 5, 8, 12, 17, 23]);
      const rev = g.scan((a: g.Tensor, x: g.Tensor) => g.add(a, x), elems, { reverse: true });
      expect(values(graph, rev)[0]).toEqual([21, 20, 18, 15, 11, 6]);
      const revInit = g.scan((a: g.Tensor, x: g.Tensor) => g.mul(a, x), elems, {
        reverse: true,
        initializer: g.constant(1),
      });
      expect(values(graph, revInit)[0]).toEqual([720, 720, 360, 120, 30, 6]);
    }));

  it('carries a nested accumulator (Fibonacci pairs)', () =>
    inGraph((graph) => {
      const r = g.scan((a: [g.Tensor, g.Tensor]) => [a[1], g.add(a[0], a[1])], g.zeros([6]), {
        initializer: [g.constant(0), g.constant(1)],
      }) as g.Tensor[];
      expect(values(graph, r[0]!)[0]).toEqual([1, 1, 2, 3, 5, 8]);
    }));
});

describe('foldl', () => {
  it('folds from the first row (TF testFoldl_Simple: (a + x) * 2 style)', () =>
    inGraph((graph) => {
      const elems = g.constant([1, 2, 3, 4, 5, 6]);
      const r = g.foldl((a: g.Tensor, x: g.Tensor) => g.mul(g.add(a, x), 2), elems);
      expect(values(graph, r)[0]).toEqual([208]);
      const r2 = g.foldl((a: g.Tensor, x: g.Tensor) => g.mul(g.add(a, x), 2), elems, {
        initializer: g.constant(10),
      });
      expect(values(graph, r2)[0]).toEqual([880]);
    }));
});
