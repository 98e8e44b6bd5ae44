import { gradients, registeredGradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { gradCases, named } from '../op_table.js';
import { mathOps } from '../tables/math.js';
import { checkGradient } from './harness.js';

describe('math gradients vs eager tfjs and finite differences', () => {
  it.each(named(gradCases(mathOps)))('%s', (_, c) => checkGradient(c));
});

describe('math gradients: special cases', () => {
  const inGraph = <T>(fn: () => T): T => new g.Graph().asDefault(fn);
  it('maximum/minimum send the whole gradient to x on ties (TF selects x >= y)', () => {
    const graph = new g.Graph();
    const { dx, dy } = graph.asDefault(() => {
      const x = g.constant([1, 2, 3]);
      const y = g.constant([1, 5, 0]);
      const [dxMax, dyMax] = gradients(g.maximum(x, y), [x, y]) as g.Tensor[];
      const [dxMin, dyMin] = gradients(g.minimum(x, y), [x, y]) as g.Tensor[];
      return { dx: g.stack([dxMax!, dxMin!]), dy: g.stack([dyMax!, dyMin!]) };
    });
    const sess = new g.Session(graph);
    const [vx, vy] = sess.run([dx, dy]);
    sess.close();
    expect(vx.toArray()).toEqual([
      [1, 0, 1],
      [1, 1, 0],
    ]);
    expect(vy.toArray()).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });
  it('casts to and from integers, comparisons and logic ops pass no gradient', () =>
    inGraph(() => {
      const x = g.placeholder('float32', [3]);
      const viaInt = g.cast(g.cast(x, 'int32'), 'float32');
      const viaBool = g.cast(g.logicalAnd(g.greater(x, 0), g.logicalNot(g.isNan(x))), 'float32');
      const viaFloorDiv = g.floorDiv(x, 2);
      for (const y of [viaInt, viaBool, viaFloorDiv]) expect(gradients(y, x)).toEqual([null]);
    }));
  it('every op type of ops/math.ts has a gradient rule or is declared not differentiable', async () => {
    const exported: unknown[] = Object.values(await import('../../packages/graph/src/ops/math.js'));
    const isOpDef = (v: unknown): v is g.OpDef => typeof v === 'object' && v !== null && 'inputNames' in v;
    const mathDefs = exported.filter(isOpDef);
    expect(mathDefs.length).toBeGreaterThan(40);
    expect(mathDefs.filter((d) => !registeredGradients().has(d)).map((d) => d.type)).toEqual([]);
  });
});
