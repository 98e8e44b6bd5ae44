// More of TF 1.15's control_flow_ops_py_test gradient cases, with their reference values, and
// the second derivatives of the same loops (closed forms).
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { dense, inGraph } from '../control_helpers.js';

describe('TF control_flow_ops_py_test while gradients', () => {
  it('testWhileGrad_Mul: 216 and 81; second order 216, 108 and 0', () =>
    inGraph((graph) => {
      const a = g.constant(3, { name: 'a' });
      const v = g.constant(2, { name: 'v' });
      // v·a⁴ (2 → 6 → 18 → 54 → 162)
      const [r] = g.whileLoop(
        (x: g.Tensor) => g.less(x, 100),
        (x: g.Tensor) => [g.mul(x, a)],
        [v],
        { parallelIterations: 1 },
      );
      const [ga, gv] = gradients(r!, [a, v]).map(dense);
      const [gaa, gav] = gradients(ga!, [a, v]).map(dense);
      const [gvv] = gradients(gv!, v);
      const sess = new g.Session(graph);
      expect(sess.run([ga!, gv!, gaa!, gav!]).map((t) => t.item())).toEqual([216, 81, 216, 108]);
      if (gvv !== null) expect(sess.run(dense(gvv)).item()).toBe(0);
      sess.close();
    }));

  it('testWhileGrad_LoopAdd: 2048', () =>
    inGraph((graph) => {
      const v = g.constant(2, { name: 'v' });
      const [r] = g.whileLoop(
        (x: g.Tensor) => g.less(x, 100),
        (x: g.Tensor) => [g.square(x)],
        [v],
        { parallelIterations: 1 },
      );
      const d = dense(gradients(g.add(r!, r!), v)[0]);
      const sess = new g.Session(graph);
      expect(sess.run(d).item()).toBe(2048);
      sess.close();
    }));

  it('testWhileGradInCond: a loop and its gradient built inside a branch: 9', () =>
    inGraph((graph) => {
      const n = g.constant(1, { name: 'n' });
      const x = g.placeholder('float32', null);
      const fn1 = () => {
        const [r] = g.whileLoop(
          (k: g.Tensor) => g.less(k, 10),
          (k: g.Tensor) => [g.add(k, x)],
          [n],
          { shapeInvariants: [null] },
        );
        return dense(gradients(r!, x)[0]);
      };
      const r = g.cond(g.less(1, 2), fn1, () => g.identity(x));
      const sess = new g.Session(graph);
      expect(sess.run(r, [[x, 1]]).item()).toBe(9);
      sess.close();
    }));

  it('testWhileGradInWhile: a loop and its gradient built inside a loop body: 9', () =>
    inGraph((graph) => {
      const n = g.constant(1, { name: 'n' });
      const x = g.placeholder('float32', null);
      const b1 = (m: g.Tensor) => {
        const [r] = g.whileLoop(
          (k: g.Tensor) => g.less(k, 10),
          (k: g.Tensor) => [g.add(k, x)],
          [m],
          { shapeInvariants: [null] },
        );
        return [dense(gradients(r!, x)[0])];
      };
      const [r] = g.whileLoop((m: g.Tensor) => g.less(m, 6), b1, [n], { shapeInvariants: [null] });
      const sess = new g.Session(graph);
      expect(sess.run(r!, [[x, 1]]).item()).toBe(9);
      sess.close();
    }));
});
