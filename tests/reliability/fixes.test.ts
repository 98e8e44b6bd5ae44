// The reliability fixes that are right answers rather than errors: fresh variable reads under
// control dependencies, train() given an Operation, a bounded structural plan cache.
import {
  add,
  constant,
  controlDependencies,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  identity,
  Operation,
  reduceSum,
  Session,
  variable,
} from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer, StopAtStepHook, train } from '@graphmode/train';
import { describe, expect, it } from 'vitest';

describe('a Variable read inside controlDependencies', () => {
  it('sees the assign the block depends on (TF resource-variable semantics)', () => {
    const g = new Graph();
    g.asDefault(() => {
      const v = variable(1, { name: 'v' });
      const y = controlDependencies([v.assign(5)], () => identity(v));
      const sess = new Session(g);
      sess.run(globalVariablesInitializer());
      expect(sess.run(y).item()).toBe(5);
      // The read made in the block carries the block's control input.
      expect(y.op.inputs[0]!.op.controlInputs.map((o) => o.type)).toContain('Assign');
      sess.close();
    });
  });

  it('outside any block a Variable still stands for its cached snapshot', () => {
    const g = new Graph();
    g.asDefault(() => {
      const v = variable(1, { name: 'v' });
      expect(identity(v).op.inputs[0]).toBe(v.value());
      expect(controlDependencies(null, () => identity(v)).op.inputs[0]).toBe(v.value());
    });
  });
});

describe('train()', () => {
  it('accepts an Operation (GraphKeys.TRAIN_OP may hold one) and resolves to null', async () => {
    const g = new Graph();
    g.asDefault(() => {
      const loss = reduceSum(add(variable(4, { name: 'w' }), 0));
      g.addToCollection(GraphKeys.TRAIN_OP, createTrainOp(loss, new GradientDescentOptimizer(0.5)).op);
    });
    const trainOp = g.getCollection(GraphKeys.TRAIN_OP).find((x): x is Operation => x instanceof Operation)!;
    expect(trainOp).toBeInstanceOf(Operation);
    const result = await train(trainOp, null, {
      hooks: [new StopAtStepHook({ numSteps: 3 })],
      saveSummariesSteps: null,
      saveCheckpointSecs: null,
    });
    expect(result).toBeNull();
  });
});

describe('the plan cache', () => {
  it('is bounded (LRU) and keyed by ops, not names', () => {
    const g = new Graph();
    g.asDefault(() => {
      const xs = Array.from({ length: 300 }, (_, i) => constant(i, { name: `c${i}` }));
      const sess = new Session(g);
      for (const x of xs) expect(sess.run(x).item()).toBe(xs.indexOf(x));
      expect(sess.planCacheSize).toBe(256);
      // The most recently used plans survive; an evicted one is simply re-planned.
      expect(sess.run(xs[0]!).item()).toBe(0);
      expect(sess.run([xs[1]!, xs[2]!]).map((a) => a.item())).toEqual([1, 2]);
      sess.close();
    });
  });
});
