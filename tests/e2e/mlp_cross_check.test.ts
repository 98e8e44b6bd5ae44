// A micrograd-style end-to-end check: a small MLP trained by createTrainOp (graph mode) produces
// the same loss sequence, step by step, as the same MLP trained by tfjs's eager optimizers.
import {
  add,
  constant,
  Graph,
  globalVariablesInitializer,
  matMul,
  reduceMean,
  Session,
  square,
  sub,
  tanh,
  variable,
} from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer, MomentumOptimizer, type Optimizer } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../helpers.js';

const X = randomArray([16, 3], 'normal', 11);
const Y = randomArray([16, 1], 'normal', 12);
const INIT = {
  w1: randomArray([3, 8], 'normal', 13),
  b1: randomArray([8], 'unit', 14),
  w2: randomArray([8, 1], 'normal', 15),
  b2: randomArray([1], 'unit', 16),
};
const STEPS = 25;

function graphLosses(makeOpt: () => Optimizer): number[] {
  const graph = new Graph();
  return graph.asDefault(() => {
    const v = Object.fromEntries(
      Object.entries(INIT).map(([k, a]) => [k, variable(constant(a), { name: k })]),
    );
    const hidden = tanh(add(matMul(constant(X), v.w1!), v.b1!));
    const loss = reduceMean(square(sub(add(matMul(hidden, v.w2!), v.b2!), constant(Y))));
    const trainOp = createTrainOp(loss, makeOpt());
    const sess = new Session(graph);
    sess.run(globalVariablesInitializer());
    const out = Array.from({ length: STEPS }, () => sess.run(trainOp).item() as number);
    sess.close();
    return out;
  });
}

function eagerLosses(opt: tf.Optimizer): number[] {
  return tf.tidy(() => {
    const v = Object.fromEntries(
      Object.entries(INIT).map(([k, a]) => [k, tf.variable(tf.tensor(a.data, a.shape))]),
    );
    const x = tf.tensor(X.data, X.shape);
    const y = tf.tensor(Y.data, Y.shape);
    const lossFn = () =>
      tf.mean(
        tf.square(tf.sub(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, v.w1!), v.b1!)), v.w2!), v.b2!), y)),
      ) as tf.Scalar;
    const out = Array.from({ length: STEPS }, () => opt.minimize(lossFn, true)!.dataSync()[0]!);
    for (const t of Object.values(v)) t.dispose();
    opt.dispose();
    return out;
  });
}

function expectSameSequence(graph: number[], eager: number[]): void {
  expect(graph.length).toBe(eager.length);
  graph.forEach((g, i) => {
    if (Math.abs(g - eager[i]!) > 1e-5 * (1 + Math.abs(eager[i]!)))
      throw new Error(`step ${i}: graph loss ${g} vs eager loss ${eager[i]}`);
  });
  expect(graph[STEPS - 1]!).toBeLessThan(graph[0]! * 0.8);
}

describe('MLP trained by createTrainOp vs tfjs eager optimizers', () => {
  it('gradient descent: same loss at every step', () => {
    expectSameSequence(
      graphLosses(() => new GradientDescentOptimizer(0.1)),
      eagerLosses(tf.train.sgd(0.1)),
    );
  });
  it('momentum: same loss at every step', () => {
    expectSameSequence(
      graphLosses(() => new MomentumOptimizer(0.05, 0.9)),
      eagerLosses(tf.train.momentum(0.05, 0.9)),
    );
  });
  it('Nesterov momentum: same loss at every step', () => {
    expectSameSequence(
      graphLosses(() => new MomentumOptimizer(0.05, 0.9, { useNesterov: true })),
      eagerLosses(tf.train.momentum(0.05, 0.9, true)),
    );
  });
});
