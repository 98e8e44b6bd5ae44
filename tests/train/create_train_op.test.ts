// Ports of TF's contrib training_test.py (CreateTrainOpTest, TrainTest, TrainBatchNormClassifierTest)
// and the train-op semantics create_train_op promises.
//
// Data: TF's tests draw their inputs after np.random.seed(0); numpy_random.ts replays NumPy's
// MT19937 stream, so the inputs and labels here are TF's exactly. Initial weights: TF's
// fully_connected draws Glorot-uniform weights from its Philox stream, which we do not replay;
// ours come from our own seeded randomUniform with the same Glorot range (biases start at 0),
// op seed 3: its untrained loss (1.0) stays above 0.5 for the first steps as TF's does, which two
// tests assert (op seed 1 happens to start at 0.46).
import {
  add,
  batchNormalization,
  constant,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  losses,
  matMul,
  moments,
  mul,
  placeholder,
  randomUniform,
  reduceMean,
  Session,
  setRandomSeed,
  sigmoid,
  square,
  sub,
  type Tensor,
  type Variable,
  variable,
} from '@graphmode/graph';
import {
  clipGradientNormsFn,
  createTrainOp,
  GradientDescentOptimizer,
  getOrCreateGlobalStep,
  MomentumOptimizer,
  multiplyGradients,
  Optimizer,
  setLogger,
  summary,
} from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { NumpyRandom } from './numpy_random.js';

const norm = (a: ArrayLike<number>, b?: ArrayLike<number>) =>
  Math.sqrt(Array.from(a).reduce((s, x, i) => s + (x - (b?.[i] ?? 0)) ** 2, 0));
const numbers = (x: { data: unknown }) => Array.from(x.data as Float32Array);

/** CreateTrainOpTest's data: rand(16, 4) inputs and randint(0, 2) labels after seed(0). */
function createTrainOpData() {
  const r = new NumpyRandom(0);
  return { inputs: r.rand(16, 4), labels: r.randint(0, 2, 16) };
}
/** TrainTest's separable data: one-hot inputs whose column depends on the label. */
function trainData() {
  const r = new NumpyRandom(0);
  const labels = r.randint(0, 2, 16);
  const inputs = new Array<number>(64).fill(0);
  for (let i = 0; i < 16; i++) inputs[i * 4 + 2 * labels[i]! + r.randint(0, 2)[0]!] = 1;
  return { inputs, labels };
}

/** contrib layers.fully_connected(x, 1, activation_fn=sigmoid). */
function logisticClassifier(x: Tensor): Tensor {
  const limit = Math.sqrt(6 / (4 + 1));
  const weights = variable(() => randomUniform([4, 1], { minval: -limit, maxval: limit, seed: 3 }), {
    name: 'fully_connected/weights',
    collections: [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES],
  });
  const biases = variable(constant(0, { shape: [1] }), {
    name: 'fully_connected/biases',
    collections: [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES],
  });
  return sigmoid(add(matMul(x, weights), biases));
}

/** contrib layers.batch_norm(x, decay): center, no scale, eps 1e-3, moving stats in UPDATE_OPS. */
function batchNorm(x: Tensor, decay: number): Tensor {
  const beta = variable(constant(0, { shape: [4] }), { name: 'BatchNorm/beta' });
  const movingMean = variable(constant(0, { shape: [4] }), {
    name: 'BatchNorm/moving_mean',
    trainable: false,
  });
  const movingVar = variable(constant(1, { shape: [4] }), {
    name: 'BatchNorm/moving_variance',
    trainable: false,
  });
  const [mean, variance] = moments(x, [0]);
  // assign_moving_average without zero debias: moving -= (moving - value) * (1 - decay)
  for (const [mv, value] of [
    [movingMean, mean],
    [movingVar, variance],
  ] as const)
    x.graph.addToCollection(GraphKeys.UPDATE_OPS, mv.assignSub(mul(sub(mv, value), 1 - decay)));
  return batchNormalization(x, mean, variance, beta, null, 1e-3);
}

const byName = (graph: Graph, name: string): Variable =>
  graph.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES).find((v) => v.op.name === name)!;

/** A graph with TF's fixture model: log loss of a (batch-normed) logistic classifier. */
function model(data: { inputs: number[]; labels: number[] }, opts: { batchNorm?: boolean } = {}) {
  const graph = new Graph();
  return graph.asDefault(() => {
    setRandomSeed(0);
    const inputs = constant(data.inputs, { shape: [16, 4] });
    const labels = constant(data.labels, { shape: [16, 1], dtype: 'float32' });
    const predictions = logisticClassifier(opts.batchNorm ? batchNorm(inputs, 0.1) : inputs);
    losses.logLoss(labels, predictions);
    return { graph, loss: losses.getTotalLoss(), inputs };
  });
}

function trainSteps(graph: Graph, trainOp: Tensor, steps: number, sess = new Session(graph)): number {
  sess.run(init(graph));
  let loss = Number.NaN;
  for (let i = 0; i < steps; i++) loss = sess.run(trainOp).item() as number;
  return loss;
}

const init = (graph: Graph) => graph.asDefault(() => globalVariablesInitializer());

const warnings: string[] = [];
afterEach(() => {
  setLogger(null);
  warnings.length = 0;
});
const captureWarnings = () => setLogger({ warn: (m) => warnings.push(m), info: () => {} });

describe('NumpyRandom replays numpy.random.seed(0)', () => {
  it('rand, randint and randn match NumPy', () => {
    expect(new NumpyRandom(0).rand(3)).toEqual([0.5488135039273248, 0.7151893663724195, 0.6027633760716439]);
    expect(new NumpyRandom(0).randint(0, 2, 10)).toEqual([0, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    expect(new NumpyRandom(0).randint(0, 10, 5)).toEqual([5, 0, 3, 3, 7]);
    const n = new NumpyRandom(0).randn(3);
    expect(n[0]).toBeCloseTo(1.764052345967664, 14);
    expect(n[1]).toBeCloseTo(0.4001572083672233, 14);
    expect(n[2]).toBeCloseTo(0.9787379841057392, 14);
  });
});

describe('createTrainOp (contrib CreateTrainOpTest)', () => {
  it('records the train op in GraphKeys.TRAIN_OP', () => {
    const { graph, loss } = model(createTrainOpData(), { batchNorm: true });
    const trainOp = graph.asDefault(() => createTrainOp(loss, new GradientDescentOptimizer(1.0)));
    expect(graph.getCollection(GraphKeys.TRAIN_OP)).toContain(trainOp);
    expect(trainOp.op.name).toBe('train_op/control_dependency');
  });

  it('runs the update ops: moving mean and variance reach the data mean and variance', () => {
    const data = createTrainOpData();
    const { graph, loss } = model(data, { batchNorm: true });
    const trainOp = graph.asDefault(() => createTrainOp(loss, new GradientDescentOptimizer(1.0)));
    const sess = new Session(graph);
    sess.run(init(graph));
    const mm = byName(graph, 'BatchNorm/moving_mean');
    const mv = byName(graph, 'BatchNorm/moving_variance');
    expect(numbers(sess.run(mm))).toEqual([0, 0, 0, 0]);
    expect(numbers(sess.run(mv))).toEqual([1, 1, 1, 1]);
    for (let i = 0; i < 10; i++) sess.run(trainOp);
    const cols = [0, 1, 2, 3].map((j) => data.inputs.filter((_, k) => k % 4 === j));
    const mean = cols.map((c) => c.reduce((a, b) => a + b, 0) / 16);
    const variance = cols.map((c, j) => c.reduce((a, b) => a + (b - mean[j]!) ** 2, 0) / 16);
    numbers(sess.run(mm)).forEach((x, j) => expect(x).toBeCloseTo(mean[j]!, 5));
    numbers(sess.run(mv)).forEach((x, j) => expect(x).toBeCloseTo(variance[j]!, 5));
    sess.close();
  });

  it('skips the update ops with updateOps: [] and warns that UPDATE_OPS is not covered', () => {
    captureWarnings();
    const { graph, loss } = model(createTrainOpData(), { batchNorm: true });
    const trainOp = graph.asDefault(() =>
      createTrainOp(loss, new GradientDescentOptimizer(1.0), { updateOps: [] }),
    );
    expect(warnings).toEqual([
      'update_ops in create_train_op does not contain all the update_ops in GraphKeys.UPDATE_OPS',
    ]);
    const sess = new Session(graph);
    trainSteps(graph, trainOp, 10, sess);
    expect(numbers(sess.run(byName(graph, 'BatchNorm/moving_mean')))).toEqual([0, 0, 0, 0]);
    expect(numbers(sess.run(byName(graph, 'BatchNorm/moving_variance')))).toEqual([1, 1, 1, 1]);
    sess.close();
  });

  it('increments the global step by default, once per run', () => {
    const { graph, loss } = model(createTrainOpData(), { batchNorm: true });
    const trainOp = graph.asDefault(() => createTrainOp(loss, new GradientDescentOptimizer(1.0)));
    const step = graph.asDefault(() => getOrCreateGlobalStep());
    const sess = new Session(graph);
    trainSteps(graph, trainOp, 10, sess);
    expect(sess.run(step).item()).toBe(10);
    sess.close();
  });

  it('does not touch the global step with globalStep: null', () => {
    const { graph, loss } = model(createTrainOpData(), { batchNorm: true });
    const trainOp = graph.asDefault(() =>
      createTrainOp(loss, new GradientDescentOptimizer(1.0), { globalStep: null }),
    );
    const step = graph.asDefault(() => getOrCreateGlobalStep());
    const sess = new Session(graph);
    trainSteps(graph, trainOp, 10, sess);
    expect(sess.run(step).item()).toBe(0);
    sess.close();
  });
});

describe('training to low loss (contrib TrainTest, TrainBatchNormClassifierTest)', () => {
  it('logistic regression reaches a loss < 0.015 in 300 steps', () => {
    const { graph, loss } = model(trainData());
    const trainOp = graph.asDefault(() => createTrainOp(loss, new GradientDescentOptimizer(1.0)));
    const last = trainSteps(graph, trainOp, 300);
    expect(last).toBeLessThan(0.015);
  });

  it('the batch-normed classifier reaches a loss < 0.1 in 300 steps', () => {
    const { graph, loss } = model(trainData(), { batchNorm: true });
    const trainOp = graph.asDefault(() => createTrainOp(loss, new GradientDescentOptimizer(1.0)));
    expect(trainSteps(graph, trainOp, 300)).toBeLessThan(0.1);
  });

  it('training a subset of the variables only updates those', () => {
    const { graph, loss } = model(trainData());
    const opt = new GradientDescentOptimizer(1.0);
    const weights = byName(graph, 'fully_connected/weights');
    const biases = byName(graph, 'fully_connected/biases');
    const [all, onlyW, onlyB] = graph.asDefault(() => [
      createTrainOp(loss, opt),
      createTrainOp(loss, opt, { variablesToTrain: [weights] }),
      createTrainOp(loss, opt, { variablesToTrain: [biases] }),
    ]);
    const sess = new Session(graph);
    sess.run(init(graph));
    let [w, b] = sess.run([weights, biases]).map(numbers);
    expect(norm(w!)).toBeGreaterThan(0);
    expect(norm(b!)).toBe(0);
    expect(sess.run(all).item()).toBeGreaterThan(0.5);
    let [w2, b2] = sess.run([weights, biases]).map(numbers);
    expect(norm(w!, w2!)).toBeGreaterThan(0);
    expect(norm(b!, b2!)).toBeGreaterThan(0);
    [w, b] = [w2, b2];
    expect(sess.run(onlyW).item()).toBeGreaterThan(0.5);
    [w2, b2] = sess.run([weights, biases]).map(numbers);
    expect(norm(w!, w2!)).toBeGreaterThan(0);
    expect(norm(b!, b2!)).toBe(0);
    [w, b] = [w2, b2];
    expect(sess.run(onlyB).item()).toBeGreaterThan(0.5);
    [w2, b2] = sess.run([weights, biases]).map(numbers);
    expect(norm(w!, w2!)).toBe(0);
    expect(norm(b!, b2!)).toBeGreaterThan(0);
    sess.close();
  });

  it('altered gradients: multiplying them by 1000 trains like a 1000x learning rate', () => {
    const run = (multiplier: number) => {
      const { graph, loss } = model(trainData());
      const trainOp = graph.asDefault(() =>
        createTrainOp(loss, new GradientDescentOptimizer(0.001), {
          transformGradsFn: (grads) =>
            multiplier === 1
              ? grads
              : multiplyGradients(grads, new Map(grads.map(([, v]) => [v, multiplier] as const))),
        }),
      );
      return trainSteps(graph, trainOp, 10);
    };
    const loss0 = run(1);
    const loss1 = run(1000);
    expect(loss0).toBeGreaterThan(0.5);
    expect(loss1).toBeLessThan(0.5);
    expect(loss0).toBeGreaterThan(loss1);
  });
});

describe('createTrainOp step semantics', () => {
  function linear() {
    const graph = new Graph();
    return graph.asDefault(() => {
      const x = placeholder('float32', [3], { name: 'x' });
      const w = variable([0.5, -1.0, 2.0], { name: 'w' });
      const loss = reduceMean(square(sub(mul(x, w), 1)));
      return { graph, x, w, loss };
    });
  }

  it('returns the pre-update loss and performs exactly one update per fetch', () => {
    const { graph, x, w, loss } = linear();
    const trainOp = graph.asDefault(() => createTrainOp(loss, new GradientDescentOptimizer(0.1)));
    const step = graph.asDefault(() => getOrCreateGlobalStep());
    const sess = new Session(graph);
    sess.run(init(graph));
    const feed = new Map([[x, [1, 2, 3]]]);
    for (let i = 0; i < 3; i++) {
      const before = numbers(sess.run(w));
      const expectedLoss = before.reduce((s, wi, k) => s + ((k + 1) * wi - 1) ** 2, 0) / 3;
      const [fetched, again] = sess.run([trainOp, trainOp], feed).map((a) => a.item() as number);
      expect(fetched).toBeCloseTo(expectedLoss, 5);
      expect(again).toBe(fetched);
      const grad = before.map((wi, k) => (2 / 3) * ((k + 1) * wi - 1) * (k + 1));
      numbers(sess.run(w)).forEach((v, k) => expect(v).toBeCloseTo(before[k]! - 0.1 * grad[k]!, 5));
      expect(sess.run(step).item()).toBe(i + 1);
    }
    sess.close();
  });

  it('a NaN loss fails the run with "LossTensor is inf or nan" and changes nothing', () => {
    const { graph, x, w, loss } = linear();
    const opt = new MomentumOptimizer(0.1, 0.9);
    const trainOp = graph.asDefault(() => createTrainOp(loss, opt));
    const step = graph.asDefault(() => getOrCreateGlobalStep());
    const sess = new Session(graph);
    sess.run(init(graph));
    sess.run(trainOp, new Map([[x, [1, 2, 3]]]));
    const before = sess.run({ w, step, slot: opt.getSlot(w, 'momentum')! });
    expect(() => sess.run(trainOp, new Map([[x, [1, Number.NaN, 3]]]))).toThrow(/LossTensor is inf or nan/);
    const after = sess.run({ w, step, slot: opt.getSlot(w, 'momentum')! });
    expect(numbers(after.w)).toEqual(numbers(before.w));
    expect(numbers(after.slot)).toEqual(numbers(before.slot));
    expect(after.step.item()).toBe(1);
    sess.close();
  });

  it('checkNumerics: false lets a NaN loss through', () => {
    const { graph, x, loss } = linear();
    const trainOp = graph.asDefault(() =>
      createTrainOp(loss, new GradientDescentOptimizer(0.1), { checkNumerics: false }),
    );
    const sess = new Session(graph);
    sess.run(init(graph));
    expect(sess.run(trainOp, new Map([[x, [1, Number.NaN, 3]]])).item()).toBeNaN();
    sess.close();
  });

  it('builds nothing per step and keeps no tensor alive across steps', () => {
    const { graph, x, loss } = linear();
    const trainOp = graph.asDefault(() => createTrainOp(loss, new MomentumOptimizer(0.1, 0.9)));
    const sess = new Session(graph);
    sess.run(init(graph));
    const feed = new Map([[x, [1, 2, 3]]]);
    sess.run(trainOp, feed);
    const ops = graph.numOps;
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) sess.run(trainOp, feed);
    expect(graph.numOps).toBe(ops);
    expect(tf.memory().numTensors).toBe(tensors);
    sess.close();
  });

  it('rejects empty or non-trainable variablesToTrain', () => {
    const { graph, loss } = linear();
    const frozen = graph.asDefault(() => variable(1.0, { name: 'frozen', trainable: false }));
    const opt = new GradientDescentOptimizer(0.1);
    expect(() => createTrainOp(loss, opt, { variablesToTrain: [] })).toThrow(/variablesToTrain is empty/);
    expect(() => createTrainOp(loss, opt, { variablesToTrain: [frozen] })).toThrow(/not trainable/);
  });

  it('gate modes GATE_NONE, GATE_OP and GATE_GRAPH train identically', () => {
    const results = [Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH].map((gate) => {
      const { graph, x, w, loss } = linear();
      const trainOp = graph.asDefault(() =>
        createTrainOp(loss, new GradientDescentOptimizer(0.1), { gateGradients: gate }),
      );
      const sess = new Session(graph);
      sess.run(init(graph));
      for (let i = 0; i < 3; i++) sess.run(trainOp, new Map([[x, [1, 2, 3]]]));
      return numbers(sess.run(w));
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('clipGradientNormsFn as transformGradsFn clips each gradient', () => {
    const { graph, x, w, loss } = linear();
    const trainOp = graph.asDefault(() =>
      createTrainOp(loss, new GradientDescentOptimizer(1.0), { transformGradsFn: clipGradientNormsFn(0.5) }),
    );
    const sess = new Session(graph);
    sess.run(init(graph));
    const before = numbers(sess.run(w));
    sess.run(trainOp, new Map([[x, [1, 2, 3]]]));
    expect(norm(before, numbers(sess.run(w)))).toBeCloseTo(0.5, 5);
    sess.close();
  });

  it('summarizeGradients adds a histogram and a norm summary per gradient', () => {
    const { graph, x, loss } = linear();
    graph.asDefault(() =>
      createTrainOp(loss, new GradientDescentOptimizer(0.1), { summarizeGradients: true }),
    );
    const names = graph.getCollection<Tensor>(GraphKeys.SUMMARIES).map((t) => t.op.name);
    expect(names).toEqual(['summarize_grads/w_gradient', 'summarize_grads/w_gradient_norm']);
    const merged = graph.asDefault(() => summary.mergeAll())!;
    const sess = new Session(graph);
    sess.run(init(graph));
    const s = sess.run(merged, new Map([[x, [1, 2, 3]]]));
    expect(s.dtype).toBe('string');
    sess.close();
  });
});
