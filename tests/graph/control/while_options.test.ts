// whileLoop's options and arguments are checked when the loop is built, with TF 1.15's messages
// (control_flow_ops.while_loop / while_v2).
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';

const cond = (a: g.Tensor) => g.less(a, 10);
const body = (a: g.Tensor) => [g.add(a, 1)];

describe('whileLoop option checks', () => {
  it('parallelIterations must be a positive integer', () =>
    inGraph(() => {
      for (const p of [0, -1, 1.5]) {
        expect(() => g.whileLoop(cond, body, [g.constant(0)], { parallelIterations: p })).toThrow(
          'parallel_iterations must be a positive integer.',
        );
      }
      const [r] = g.whileLoop(cond, body, [g.constant(0)], { parallelIterations: 1 });
      expect((r!.op.attrs as unknown as g.WhileAttrs).parallel_iterations).toBe(1);
    }));

  it('maximumIterations must be a scalar; backProp and swapMemory booleans; snake_case keys refused', () =>
    inGraph(() => {
      expect(() =>
        g.whileLoop(cond, body, [g.constant(0)], {
          maximumIterations: g.constant([1, 2], { dtype: 'int32' }),
        }),
      ).toThrow('maximum_iterations must be a scalar, saw shape: [2]');
      expect(() => g.whileLoop(cond, body, [g.constant(0)], { backProp: 1 as never })).toThrow(g.TypeError);
      expect(() => g.whileLoop(cond, body, [g.constant(0)], { swapMemory: 'yes' as never })).toThrow(
        g.TypeError,
      );
      expect(() => g.whileLoop(cond, body, [g.constant(0)], { back_prop: false } as never)).toThrow(
        /whileLoop.*back_prop/,
      );
    }));

  it('swapMemory is accepted (host memory already) and the loop runs the same', () =>
    inGraph((graph) => {
      const [r] = g.whileLoop(cond, body, [g.constant(0)], { swapMemory: true });
      const sess = new g.Session(graph);
      expect(sess.run(r!).item()).toBe(10);
      sess.close();
    }));

  it('cond and body must be callable; loop variables must be given', () =>
    inGraph(() => {
      expect(() => g.whileLoop(1 as never, body, [g.constant(0)])).toThrow('cond must be callable.');
      expect(() => g.whileLoop(cond, null as never, [g.constant(0)])).toThrow('body must be callable.');
      expect(() => g.whileLoop(cond, body, [])).toThrow('No loop variables provided');
    }));

  it('shapeInvariants must follow the loop variables’ structure', () =>
    inGraph(() => {
      const x = g.constant([1, 2]);
      expect(() =>
        g.whileLoop(
          (a: g.Tensor) => g.less(g.reduceSum(a), 10),
          (a: g.Tensor, b: g.Tensor) => [a, b],
          [x, x],
          { shapeInvariants: [[2]] },
        ),
      ).toThrow(/shapeInvariants must have the same structure as loopVars/);
    }));
});
