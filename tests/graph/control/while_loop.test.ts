// whileLoop (TF's tf.while_loop as a functional While): values, trip counts, invariants, state.
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countingLoop, inGraph, int, num, powerLoop } from '../../control_helpers.js';

describe('whileLoop', () => {
  it('computes xⁿ by repeated multiplication, reading the outer x in the body', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const n = g.placeholder('int32', []);
      const p = powerLoop(x, n);
      const sess = new g.Session(graph);
      expect(
        num(
          sess.run(p, [
            [x, 1.5],
            [n, 5],
          ]),
        ),
      ).toBeCloseTo(1.5 ** 5, 5);
      sess.close();
    }));

  it('TF testWhile_2: counts to 10,000 with a graph whose size does not depend on the trip count', () => {
    const build = (limit: number) =>
      inGraph((graph) => {
        const r = g.whileLoop(
          (i: g.Tensor) => g.less(i, limit),
          (i: g.Tensor) => g.add(i, 1),
          [int(0)],
        );
        return { graph, r: r[0]! };
      });
    const small = build(10);
    const big = build(10000);
    expect(big.graph.numOps).toBe(small.graph.numOps);
    const sess = new g.Session(big.graph);
    expect(num(sess.run(big.r))).toBe(10000);
    sess.close();
  });

  it('has a data-dependent trip count (Collatz steps of a fed number)', () =>
    inGraph((graph) => {
      const start = g.placeholder('int32', []);
      const [, steps] = g.whileLoop(
        (v: g.Tensor) => g.greater(v, 1),
        (v: g.Tensor, k: g.Tensor) => [
          g.cond(
            g.equal(g.mod(v, 2), 0),
            () => g.floorDiv(v, 2),
            () => g.add(g.mul(v, 3), 1),
          ),
          g.add(k, 1),
        ],
        [start, int(0)],
      );
      const sess = new g.Session(graph);
      const collatz = (v: number) => {
        let k = 0;
        for (; v > 1; k++) v = v % 2 === 0 ? v / 2 : 3 * v + 1;
        return k;
      };
      for (const s of [1, 6, 27]) expect(num(sess.run(steps!, [[start, s]]))).toBe(collatz(s));
      sess.close();
    }));

  it('an empty loop returns the initial values', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2]);
      const [y] = g.whileLoop(
        () => g.constant(false),
        (v: g.Tensor) => [g.mul(v, 2)],
        [x],
      );
      const sess = new g.Session(graph);
      expect(Array.from(sess.run(y!, [[x, [3, 4]]]).data as Float32Array)).toEqual([3, 4]);
      sess.close();
    }));

  it('maximumIterations caps the trip count (number or tensor)', () =>
    inGraph((graph) => {
      const m = g.placeholder('int32', []);
      const [a] = g.whileLoop(
        () => g.constant(true),
        (i: g.Tensor) => [g.add(i, 1)],
        [int(0)],
        {
          maximumIterations: 7,
        },
      );
      const [b] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 3),
        (i: g.Tensor) => [g.add(i, 1)],
        [int(0)],
        {
          maximumIterations: m,
        },
      );
      const sess = new g.Session(graph);
      expect(num(sess.run(a!))).toBe(7);
      expect(num(sess.run(b!, [[m, 10]]))).toBe(3);
      expect(num(sess.run(b!, [[m, 2]]))).toBe(2);
      sess.close();
    }));

  it('loop variables of a record, passed as one argument', () =>
    inGraph((graph) => {
      const out = g.whileLoop(
        (s: { i: g.Tensor; x: g.Tensor }) => g.less(s.i, 3),
        (s: { i: g.Tensor; x: g.Tensor }) => ({ i: g.add(s.i, 1), x: g.mul(s.x, 2) }),
        { i: int(0), x: g.constant(1) },
      );
      const sess = new g.Session(graph);
      expect(num(sess.run(out.x))).toBe(8);
      sess.close();
    }));

  it('a shape change outside the invariants is a ValueError naming the variable and both shapes', () =>
    inGraph(() => {
      const x = g.constant([1, 2], { name: 'x' });
      expect(() =>
        g.whileLoop(
          (v: g.Tensor) => g.less(g.size(v), 10),
          (v: g.Tensor) => [g.concat([v, v], 0)],
          [x],
        ),
      ).toThrow(
        /Input tensor 'x:0' enters the loop with shape \[2\], but has shape \[4\] after one iteration/,
      );
      expect(() =>
        g.whileLoop(
          (v: g.Tensor) => g.less(g.size(v), 10),
          (v: g.Tensor) => [v],
          [x],
          { shapeInvariants: [[3]] },
        ),
      ).toThrow(/shape invariant specified for x:0 is not compatible[\s\S]*\[2\][\s\S]*\[3\]/);
    }));

  it('shapeInvariants let a loop variable grow', () =>
    inGraph((graph) => {
      const [v] = g.whileLoop(
        (v: g.Tensor) => g.less(g.size(v), 10),
        (v: g.Tensor) => [g.concat([v, v], 0)],
        [g.constant([1, 2])],
        { shapeInvariants: [[null]] },
      );
      expect(v!.shape).toEqual([null]);
      const sess = new g.Session(graph);
      expect(sess.run(v!).shape).toEqual([16]);
      sess.close();
    }));

  it('body structure and dtype mismatches fail at build time', () =>
    inGraph(() => {
      expect(() =>
        g.whileLoop(
          () => g.constant(true),
          (a: g.Tensor) => [a, a],
          [g.constant(1)],
        ),
      ).toThrow(/don't have the same nested structure/);
      expect(() =>
        g.whileLoop(
          () => g.constant(true),
          (a: g.Tensor) => [g.cast(a, 'int32')],
          [g.constant(1)],
        ),
      ).toThrow(g.TypeError);
      expect(() =>
        g.whileLoop(
          () => g.constant(true),
          () => [],
          [],
        ),
      ).toThrow(/No loop variables/);
    }));

  it('a nested cond in the body and a nested loop in a cond', () =>
    inGraph((graph) => {
      // TF testWhileCondGradMultiDevice-style: v ← v² (or v - 1) while v < 100
      const v0 = g.placeholder('float32', []);
      const [r] = g.whileLoop(
        (v: g.Tensor) => g.less(v, 100),
        (v: g.Tensor) => [
          g.cond(
            g.constant(true),
            () => g.square(v),
            () => g.sub(v, 1),
          ),
        ],
        [v0],
      );
      const sess = new g.Session(graph);
      expect(num(sess.run(r!, [[v0, 2]]))).toBe(256);
      sess.close();
    }));

  it('assignments in the body run once per iteration, and a failure in iteration k rolls all back', () =>
    inGraph((graph) => {
      const v = g.variable(0, { name: 'counter' });
      const stop = g.placeholder('int32', []);
      const i = countingLoop(v, stop);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(num(sess.run(i, [[stop, 100]]))).toBe(5);
      expect(num(sess.run(v))).toBe(5);
      const before = tf.memory().numTensors;
      expect(() => sess.run(i, [[stop, 3]])).toThrow(/iteration failed/);
      expect(tf.memory().numTensors).toBe(before);
      expect(num(sess.run(v))).toBe(5);
      sess.close();
    }));

  it('leaks no tensor across runs', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [3]);
      const [, y] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 4),
        (i: g.Tensor, a: g.Tensor) => [g.add(i, 1), g.add(a, x)],
        [int(0), g.zeros([3])],
      );
      const sess = new g.Session(graph);
      sess.run(y!, [[x, [1, 2, 3]]]);
      const before = tf.memory().numTensors;
      expect(Array.from(sess.run(y!, [[x, [1, 2, 3]]]).data as Float32Array)).toEqual([4, 8, 12]);
      expect(tf.memory().numTensors).toBe(before);
      sess.close();
    }));
});
