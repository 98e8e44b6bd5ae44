// Training on onnxruntime follows tfjs step for step: the showcase MLP (784-256-256-10, Adam,
// clipped gradients) over 100 MNIST steps, and every dense optimizer's update op on a small MLP.
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import {
  AdagradOptimizer,
  AdamOptimizer,
  createTrainOp,
  GradientDescentOptimizer,
  MomentumOptimizer,
  type Optimizer,
  RMSPropOptimizer,
} from '@graphmode/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildClassifier, trainClassifier } from '../../examples/mnist.js';
import { loadMnist } from '../../examples/mnist_data.js';
import { fallbackOps, ready } from './harness.js';

beforeAll(ready);

const expectSameLosses = (got: readonly number[], want: readonly number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((l, i) => {
    if (Math.abs(l - want[i]!) > 1e-4 * Math.abs(want[i]!))
      throw new Error(`step ${i + 1}: loss ${l} vs tfjs ${want[i]}`);
  });
};

describe('training on onnxruntime', () => {
  it('the showcase MLP trains to the same losses as on tfjs-wasm (relative 1e-4 over 100 steps)', async () => {
    const { train } = loadMnist({ testSize: 100, limit: 3300 });
    const model = buildClassifier({ seed: 5 });
    await g.Session.create(new g.Graph(), { backend: 'wasm' });
    const histories = (['wasm', 'onnxruntime'] as const).map((backend) => {
      const sess = new g.Session(model.graph, { backend });
      try {
        sess.run(model.init);
        return trainClassifier(sess, model, train, { steps: 100, batchSize: 32 });
      } finally {
        sess.close();
      }
    });
    expectSameLosses(histories[1]!, histories[0]!);
    expect(histories[0]![99]!).toBeLessThan(0.6 * histories[0]![0]!);
  }, 300_000);

  it('an embedding (sparse gradients, repeated ids) trains with ScatterSub inside ONNX', () => {
    const graph = new g.Graph();
    const { ids, target, trainOp } = graph.asDefault(() => {
      g.setRandomSeed(2);
      const ids = g.placeholder('int32', [null], { name: 'ids' });
      const target = g.placeholder('float32', [null, 4], { name: 'target' });
      const table = g.variable(g.randomNormal([6, 4]), { name: 'embedding' });
      const loss = g.losses.meanSquaredError(target, g.gather(table, ids));
      return { ids, target, trainOp: createTrainOp(loss, new GradientDescentOptimizer(0.5)) };
    });
    const init = graph.asDefault(() => g.globalVariablesInitializer());
    const feeds: [g.Tensor, g.TensorLike][] = [
      [ids, [1, 3, 1, 5]],
      [
        target,
        new g.NDArray(
          'float32',
          [4, 4],
          Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)),
        ),
      ],
    ];
    const md = new g.RunMetadata();
    const [want, got] = [{}, { backend: 'onnxruntime' as const }].map((opts) => {
      const sess = new g.Session(graph, opts);
      sess.run(init);
      const losses = Array.from({ length: 10 }, (_, i) =>
        Number(sess.run(trainOp, feeds, i === 0 && 'backend' in opts ? { runMetadata: md } : {}).item()),
      );
      sess.close();
      return losses;
    });
    expectSameLosses(got!, want!);
    expect(fallbackOps(graph, md)).toEqual([]);
    expect(graph.getOperations().some((op) => op.type === 'ScatterSub')).toBe(true);
  });

  const optimizers: [string, () => Optimizer][] = [
    ['GradientDescent', () => new GradientDescentOptimizer(0.1)],
    ['Momentum (Nesterov)', () => new MomentumOptimizer(0.05, 0.9, { useNesterov: true })],
    ['RMSProp (centered, momentum)', () => new RMSPropOptimizer(0.01, { momentum: 0.5, centered: true })],
    ['RMSProp', () => new RMSPropOptimizer(0.01)],
    ['Adagrad', () => new AdagradOptimizer(0.1)],
    ['Adam', () => new AdamOptimizer({ learningRate: 0.01 })],
  ];
  it.each(optimizers)('%s: same losses as tfjs; its update ops run in ONNX', (_, make) => {
    const graph = new g.Graph();
    const { x, y, trainOp } = graph.asDefault(() => {
      g.setRandomSeed(3);
      const x = g.placeholder('float32', [null, 6], { name: 'x' });
      const y = g.placeholder('float32', [null, 3], { name: 'y' });
      const w1 = g.variable(g.randomNormal([6, 8], { stddev: 0.5 }), { name: 'w1' });
      const b1 = g.variable(g.zeros([8]), { name: 'b1' });
      const w2 = g.variable(g.randomNormal([8, 3], { stddev: 0.5 }), { name: 'w2' });
      const h = g.tanh(g.biasAdd(g.matMul(x, w1), b1));
      const loss = g.losses.softmaxCrossEntropy(y, g.matMul(h, w2));
      return { x, y, trainOp: createTrainOp(loss, make()) };
    });
    const init = graph.asDefault(() => g.globalVariablesInitializer());
    const xs = new g.NDArray(
      'float32',
      [5, 6],
      Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)),
    );
    const ys = new g.NDArray(
      'float32',
      [5, 3],
      Float32Array.from({ length: 15 }, (_, i) => (i % 3 === (i % 5) % 3 ? 1 : 0)),
    );
    const run = (opts: g.SessionOptions, md?: g.RunMetadata) => {
      const sess = new g.Session(graph, opts);
      sess.run(init);
      const losses = Array.from({ length: 20 }, (_, i) =>
        Number(
          sess
            .run(
              trainOp,
              [
                [x, xs],
                [y, ys],
              ],
              i === 0 && md ? { runMetadata: md } : {},
            )
            .item(),
        ),
      );
      sess.close();
      return losses;
    };
    const md = new g.RunMetadata();
    expectSameLosses(run({ backend: 'onnxruntime' }, md), run({}));
    expect(fallbackOps(graph, md)).toEqual([]);
  });
});
