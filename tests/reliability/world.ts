// The small world every row of the bad-input table runs in: a graph with two variables, a
// placeholder, a train op and an initialized session; plus the "nothing changed, nothing
// leaked" check made after each row.
import {
  add,
  Graph,
  globalVariablesInitializer,
  matMul,
  NDArray,
  placeholder,
  reduceSum,
  Session,
  type Tensor,
  type Variable,
  variable,
} from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer, getOrCreateGlobalStep } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

export interface World {
  g: Graph;
  sess: Session;
  /** float32 [3], initialised to [1, 2, 3]. */
  v: Variable;
  /** The int32 global step. */
  step: Variable;
  /** float32 [null, 3]. */
  x: Tensor;
  /** int32 scalar. */
  k: Tensor;
  /** sum(x · v): a float32 scalar. */
  loss: Tensor;
  trainOp: Tensor;
}

export function makeWorld(): World {
  const g = new Graph();
  return g.asDefault(() => {
    const v = variable([1, 2, 3], { name: 'v' });
    const x = placeholder('float32', [null, 3], { name: 'x' });
    const k = placeholder('int32', [], { name: 'k' });
    const loss = reduceSum(add(matMul(x, [[1], [1], [1]]), reduceSum(v)));
    const step = getOrCreateGlobalStep();
    const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.1));
    const sess = new Session(g);
    sess.run(globalVariablesInitializer());
    return { g, sess, v, step, x, k, loss, trainOp };
  });
}

export const X = new NDArray('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));

interface Snapshot {
  tensors: number;
  values: number[][];
}

/** What must not change: every global variable's value and tfjs's live tensor count. */
export function snapshot(w: World): Snapshot {
  const values = [w.v, w.step].map((x) => Array.from(w.sess.run(x).data as ArrayLike<number>));
  return { tensors: tf.memory().numTensors, values };
}

export function expectUnchanged(w: World, before: Snapshot): void {
  expect(tf.memory().numTensors, 'tfjs tensors leaked').toBe(before.tensors);
  const after = snapshot(w);
  expect(after.values, 'a variable changed').toEqual(before.values);
  expect(tf.memory().numTensors, 'reading the variables leaked').toBe(before.tensors);
}
