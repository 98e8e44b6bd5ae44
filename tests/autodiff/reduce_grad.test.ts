import { gradients, registeredGradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { gradCases, named } from '../op_table.js';
import { reduceOps } from '../tables/reduce.js';
import { checkGradient } from './harness.js';

describe('reduction gradients vs eager tfjs and finite differences', () => {
  it.each(named(gradCases(reduceOps)))('%s', (_, c) => checkGradient(c));
});

const grad = (build: (x: g.Tensor) => g.Tensor, value: number[][]): number[][] => {
  const graph = new g.Graph();
  const dx = graph.asDefault(() => {
    const x = g.constant(value);
    return gradients(build(x), x)[0] as g.Tensor;
  });
  const sess = new g.Session(graph);
  try {
    return sess.run(dx).toArray() as number[][];
  } finally {
    sess.close();
  }
};

describe('reduction gradients: special cases', () => {
  it('max and min share the gradient equally among ties', () => {
    const x = [
      [1, 3, 3],
      [2, 2, 2],
    ];
    const t = 1 / 3;
    expect(grad((v) => g.reduceMax(v, 1), x)).toEqual([
      [0, 0.5, 0.5],
      [expect.closeTo(t), expect.closeTo(t), expect.closeTo(t)],
    ]);
    const y = [
      [2, 3, 2],
      [2, 5, 2],
    ];
    expect(grad((v) => g.reduceMin(v), y)).toEqual([
      [0.25, 0, 0.25],
      [0.25, 0, 0.25],
    ]);
  });
  it('prod handles zeros: d/dx_i is the product of the other entries', () => {
    const x = [
      [2, 0, 3],
      [0, 0, 5],
    ];
    expect(grad((v) => g.reduceProd(v, 1), x)).toEqual([
      [0, 6, 0],
      [0, 0, 0],
    ]);
    expect(grad((v) => g.reduceProd(v, 0), x)).toEqual([
      [0, 0, 5],
      [2, 0, 3],
    ]);
  });
  it('mean of an int tensor and arg-reductions pass no gradient', () => {
    new g.Graph().asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const viaArg = g.cast(g.add(g.argMax(x, 1), g.argMin(x, 1)), 'float32');
      expect(gradients(viaArg, x)).toEqual([null]);
      const viaAll = g.cast(g.reduceAll(g.greater(x, 0)), 'float32');
      expect(gradients(viaAll, x)).toEqual([null]);
    });
  });
  it('prod over a fed axis handles zeros without dividing (dynamic path)', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', null);
      const axis = g.placeholder('int32', []);
      const [dx] = gradients(g.reduceProd(x, axis), x);
      const sess = new g.Session(graph);
      const xv = new g.NDArray('float32', [2, 3], Float32Array.from([0, 2, 3, 4, 0, 0]));
      const got = sess.run(
        dx as g.Tensor,
        new Map([
          [x, xv],
          [axis, new g.NDArray('int32', [], Int32Array.from([-1]))],
        ]),
      );
      // Row 0: the other entries' products 2*3, 0*3, 0*2; row 1 has two zeros, so all vanish.
      expect([...(got.data as Float32Array)]).toEqual([6, 0, 0, 0, 0, 0]);
      sess.close();
    });
  });
  it('every reduction op type has a rule or is declared not differentiable', () => {
    const types = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'All', 'Any', 'ArgMax', 'ArgMin'];
    for (const t of types) expect(g.getOpDef(t), t).toBeDefined();
    expect(types.filter((t) => !registeredGradients().has(g.getOpDef(t)!))).toEqual([]);
  });
});
