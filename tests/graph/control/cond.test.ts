// cond (TF's tf.cond as a functional If): values, only the taken branch runs, nests, errors.
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { failingCond, inGraph, num } from '../../control_helpers.js';

describe('cond', () => {
  it('runs the branch pred selects, reading outer tensors', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const y = g.cond(
        g.less(x, 0),
        () => g.neg(x),
        () => g.mul(x, 10),
      );
      const sess = new g.Session(graph);
      expect(num(sess.run(y, [[x, -3]]))).toBe(3);
      expect(num(sess.run(y, [[x, 2]]))).toBe(20);
      expect(['If', 'StatelessIf']).toContain(y.op.type);
      expect(y.op.type).toBe('StatelessIf');
      sess.close();
    }));

  it('a plain boolean pred just calls one branch (no op is built)', () =>
    inGraph((graph) => {
      let calls = 0;
      const before = graph.numOps;
      const y = g.cond(
        true,
        () => (calls++, g.constant(1)),
        () => (calls++, g.constant(2)),
      );
      expect(calls).toBe(1);
      expect(graph.numOps).toBe(before + 1);
      expect(y.op.type).toBe('Const');
    }));

  it('only the taken branch runs its stateful ops (an untaken assign never happens)', () =>
    inGraph((graph) => {
      const v = g.variable(0, { name: 'v' });
      const p = g.placeholder('bool', []);
      const y = g.cond(
        p,
        () => g.add(v.assign(1), 0),
        () => g.add(v.assign(2), 0),
      );
      expect(y.op.type).toBe('If');
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(num(sess.run(y, [[p, true]]))).toBe(1);
      expect(num(sess.run(v))).toBe(1);
      expect(num(sess.run(y, [[p, false]]))).toBe(2);
      expect(num(sess.run(v))).toBe(2);
      sess.close();
    }));

  it('a stateful op in the taken branch runs even when not returned (TF v2 semantics)', () =>
    inGraph((graph) => {
      const v = g.variable(5, { name: 'v' });
      const p = g.placeholder('bool', []);
      const y = g.cond(
        p,
        () => {
          v.assignAdd(1);
          return g.constant(0);
        },
        () => g.constant(1),
      );
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      sess.run(y, [[p, false]]);
      expect(num(sess.run(v))).toBe(5);
      sess.run(y, [[p, true]]);
      expect(num(sess.run(v))).toBe(6);
      sess.close();
    }));

  it('returns nests (arrays and records) in the branches’ structure', () =>
    inGraph((graph) => {
      const p = g.placeholder('bool', []);
      const out = g.cond(
        p,
        () => ({ a: g.constant(1), b: [g.constant(2), g.constant(3)] }),
        () => ({ a: g.constant(4), b: [g.constant(5), g.constant(6)] }),
      );
      const sess = new g.Session(graph);
      const r = sess.run({ a: out.a, b0: out.b[0]!, b1: out.b[1]! }, [[p, false]]);
      expect([num(r.a), num(r.b0), num(r.b1)]).toEqual([4, 5, 6]);
      sess.close();
    }));

  it('mismatched structures are a ValueError naming both', () =>
    inGraph(() => {
      const p = g.placeholder('bool', []);
      expect(() =>
        g.cond(
          p,
          () => [g.constant(1), g.constant(2)],
          () => [g.constant(1)],
        ),
      ).toThrow(
        /Incompatible return values of true_fn and false_fn[\s\S]*First structure \(true_fn output\): \[Tensor[\s\S]*Second structure \(false_fn output\): \[Tensor[\s\S]*same number, type, and overall structure/,
      );
      expect(() =>
        g.cond(
          p,
          () => g.constant(1),
          () => g.constant(1, { dtype: 'int32' }),
        ),
      ).toThrow(g.TypeError);
    }));

  it('pred must be a bool scalar', () =>
    inGraph(() => {
      expect(() =>
        g.cond(
          g.constant(1) as g.Tensor,
          () => g.constant(1),
          () => g.constant(2),
        ),
      ).toThrow(/pred must be a bool tensor/);
      const v = g.placeholder('bool', [2]);
      expect(() =>
        g.cond(
          v,
          () => g.constant(1),
          () => g.constant(2),
        ),
      ).toThrow(g.ValueError);
    }));

  it('merges the branches’ static shapes (TF’s most specific compatible shape)', () =>
    inGraph(() => {
      const p = g.placeholder('bool', []);
      const a = g.placeholder('float32', [2, 3]);
      const b = g.placeholder('float32', [2, 4]);
      expect(
        g.cond(
          p,
          () => a,
          () => b,
        ).shape,
      ).toEqual([2, null]);
    }));

  it('nests: a cond inside a branch captures tensors from two levels out', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const p = g.placeholder('bool', []);
      const q = g.placeholder('bool', []);
      const y = g.cond(
        p,
        () =>
          g.cond(
            q,
            () => g.mul(x, 2),
            () => g.mul(x, 3),
          ),
        () => g.mul(x, 5),
      );
      const sess = new g.Session(graph);
      const run = (pv: boolean, qv: boolean) =>
        num(
          sess.run(y, [
            [x, 1],
            [p, pv],
            [q, qv],
          ]),
        );
      expect([run(true, true), run(true, false), run(false, true)]).toEqual([2, 3, 5]);
      sess.close();
    }));

  it('a failing branch rolls back its assignments and leaks no tensor', () =>
    inGraph((graph) => {
      const v = g.variable(1, { name: 'v' });
      const p = g.placeholder('bool', []);
      const y = failingCond(v, p);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const before = tf.memory().numTensors;
      expect(() => sess.run(y, [[p, true]])).toThrow(/boom/);
      expect(tf.memory().numTensors).toBe(before);
      expect(num(sess.run(v))).toBe(1);
      sess.close();
    }));

  it('outer control dependencies apply to the If op; inner ones on outer ops become its control inputs', () =>
    inGraph((graph) => {
      const v = g.variable(0, { name: 'v' });
      const p = g.placeholder('bool', []);
      const inc = v.assignAdd(1);
      const y = g.cond(
        p,
        () => g.controlDependencies([inc], () => g.identity(v.read())),
        () => g.constant(-1),
      );
      expect(y.op.controlInputs).toContain(inc.op);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(num(sess.run(y, [[p, true]]))).toBe(1);
      sess.close();
    }));

  it('a variable made inside a branch lives in the outer graph (TF init_scope)', () =>
    inGraph((graph) => {
      const p = g.placeholder('bool', []);
      let made: g.Variable | null = null;
      const y = g.cond(
        p,
        () => {
          made = g.variable(() => g.constant(3), { name: 'inner' });
          return g.mul(made.read(), 2);
        },
        () => g.constant(0),
      );
      expect(made!.graph).toBe(graph);
      expect(g.globalVariables()).toContain(made);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(num(sess.run(y, [[p, true]]))).toBe(6);
      sess.close();
    }));
});
