// Ports of slim learning_test.py's ClipGradientNormsTest and MultiplyGradientsTest, plus
// addGradientsSummaries.
import { IndexedSlices } from '@graphmode/autodiff';
import {
  constant,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  type NDArray,
  Session,
  type Tensor,
  variable,
  where,
} from '@graphmode/graph';
import {
  addGradientsSummaries,
  clipGradientNorms,
  type GradAndVar,
  multiplyGradients,
  setLogger,
} from '@graphmode/train';
import { afterEach, describe, expect, it } from 'vitest';

const GRAD = [1, 2, 3];
const MAX_NORM = 1.0;
// clip_values: max_norm * arr / ‖arr‖ when ‖arr‖ > max_norm
const CLIPPED = GRAD.map((x) => (MAX_NORM * x) / Math.sqrt(14));
const MULTIPLIER = 3.7;

const values = (a: NDArray) => Array.from(a.data as Float32Array);
function expectAlmostEqual(actual: number[], expected: number[], decimal = 6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThan(1.5 * 10 ** -decimal));
}
function inGraph<T>(fn: (graph: Graph) => T): T {
  const graph = new Graph();
  return graph.asDefault(() => fn(graph));
}
const run = (graph: Graph, t: Tensor): NDArray => {
  const sess = new Session(graph);
  sess.run(graph.asDefault(() => globalVariablesInitializer()));
  const out = sess.run(t);
  sess.close();
  return out;
};

describe('clipGradientNorms', () => {
  it('clips an ordinary gradient and passes the variable through', () =>
    inGraph((graph) => {
      const v = variable([0, 0, 0]);
      const [[g, out]] = clipGradientNorms([[constant(GRAD), v]], MAX_NORM) as [GradAndVar];
      expect(out).toBe(v);
      expectAlmostEqual(values(run(graph, g as Tensor)), CLIPPED);
    }));

  it('leaves a gradient within the norm unchanged', () =>
    inGraph((graph) => {
      const [[g]] = clipGradientNorms([[constant([0.1, 0.2]), variable([0, 0])]], MAX_NORM) as [GradAndVar];
      expectAlmostEqual(values(run(graph, g as Tensor)), [0.1, 0.2]);
    }));

  it('passes a null gradient through', () =>
    inGraph(() => {
      const v = variable([0, 0, 0]);
      expect(clipGradientNorms([[null, v]], MAX_NORM)).toEqual([[null, v]]);
    }));

  it('clips IndexedSlices values and keeps their indices and dense shape', () =>
    inGraph((graph) => {
      const indices = constant([0, 1, 4], { dtype: 'int32' });
      const denseShape = constant([3], { dtype: 'int32' });
      const v = variable([0, 0, 0]);
      const [[g, out]] = clipGradientNorms(
        [[new IndexedSlices(constant(GRAD), indices, denseShape), v]],
        MAX_NORM,
      ) as [GradAndVar];
      expect(out).toBe(v);
      expect(g).toBeInstanceOf(IndexedSlices);
      const s = g as IndexedSlices;
      expect(s.indices).toBe(indices);
      expect(s.denseShape).toBe(denseShape);
      expectAlmostEqual(values(run(graph, s.values)), CLIPPED);
    }));
});

describe('multiplyGradients', () => {
  it("raises TF's errors", () =>
    inGraph(() => {
      const v = variable([0, 0, 0]);
      const pair: GradAndVar = [constant(GRAD), v];
      // Untyped callers (JS) can pass a pair or a plain object: Reflect.apply skips the types.
      expect(() => Reflect.apply(multiplyGradients, undefined, [pair, new Map([[v, MULTIPLIER]])])).toThrow(
        '`grads_and_vars` must be a list.',
      );
      expect(() => multiplyGradients([pair], new Map())).toThrow('`gradient_multipliers` is empty.');
      expect(() => Reflect.apply(multiplyGradients, undefined, [[pair], { [v.name]: MULTIPLIER }])).toThrow(
        '`gradient_multipliers` must be a dict.',
      );
      // Python's `not gradient_multipliers` comes first: an empty (or missing) non-dict is "empty".
      for (const empty of [{}, null, undefined])
        expect(() => Reflect.apply(multiplyGradients, undefined, [[pair], empty])).toThrow(
          '`gradient_multipliers` is empty.',
        );
      expect(() => multiplyGradients([[null, v]], new Map([[v, MULTIPLIER]]))).toThrow(
        'Requested multiple of `None` gradient.',
      );
    }));

  it('multiplies the gradient of a variable, keyed by the variable or its op name', () =>
    inGraph((graph) => {
      const v = variable([0, 0, 0], { name: 'w' });
      for (const key of [v, 'w'] as const) {
        const [[g, out]] = multiplyGradients([[constant(GRAD), v]], new Map([[key, MULTIPLIER]])) as [
          GradAndVar,
        ];
        expect(out).toBe(v);
        expectAlmostEqual(
          values(run(graph, g as Tensor)),
          GRAD.map((x) => x * MULTIPLIER),
          5,
        );
      }
      const other = variable([0, 0, 0], { name: 'other' });
      const g = constant(GRAD);
      expect(multiplyGradients([[g, other]], new Map([[v, 2]]))[0]![0]).toBe(g);
    }));

  it('multiplies IndexedSlices values and keeps indices and dense shape', () =>
    inGraph((graph) => {
      const indices = constant([0, 1, 2], { dtype: 'int32' });
      const denseShape = constant([3], { dtype: 'int32' });
      const v = variable(constant(0, { shape: [1, 3] }));
      const [[g]] = multiplyGradients(
        [[new IndexedSlices(constant(GRAD), indices, denseShape), v]],
        new Map([[v, MULTIPLIER]]),
      ) as [GradAndVar];
      const s = g as IndexedSlices;
      expect(s.indices).toBe(indices);
      expect(s.denseShape).toBe(denseShape);
      expectAlmostEqual(
        values(run(graph, s.values)),
        GRAD.map((x) => x * MULTIPLIER),
        5,
      );
    }));

  it('accepts a tensor multiplier (testTensorMultiplierOfGradient)', () =>
    inGraph((graph) => {
      const v = variable([0, 0, 0]);
      const flag = variable(true, { name: 'flag' });
      const m = where(flag, constant(MULTIPLIER), constant(1.0));
      const [[g]] = multiplyGradients([[constant(GRAD), v]], new Map([[v, m]])) as [GradAndVar];
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      expectAlmostEqual(
        values(sess.run(g as Tensor)),
        GRAD.map((x) => x * MULTIPLIER),
        5,
      );
      sess.run(flag.assign(false));
      expectAlmostEqual(values(sess.run(g as Tensor)), GRAD, 5);
      sess.close();
    }));
});

describe('addGradientsSummaries', () => {
  afterEach(() => setLogger(null));
  it('adds <var>_gradient histograms and <var>_gradient_norm scalars, and logs null gradients', () =>
    inGraph((graph) => {
      const infos: string[] = [];
      setLogger({ warn: () => {}, info: (m) => infos.push(m) });
      const w = variable([0, 0, 0], { name: 'w' });
      const b = variable([0], { name: 'b' });
      const ops = addGradientsSummaries([
        [constant(GRAD), w],
        [null, b],
      ]);
      expect(ops.map((o) => [o.name, o.type])).toEqual([
        ['w_gradient', 'HistogramSummary'],
        ['w_gradient_norm', 'ScalarSummary'],
      ]);
      expect(graph.getCollection<Tensor>(GraphKeys.SUMMARIES).map((t) => t.op)).toEqual(ops);
      expect(infos).toEqual(['Var b has no gradient']);
    }));
});
