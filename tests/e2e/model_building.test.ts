// The README's model-building snippet end to end: a conv + batch norm + dropout + dense net built
// with layers.*, trained with createTrainOp (update ops, regularization), evaluated with
// metrics.accuracy in inference mode from the same graph, and averaged with an EMA.
import {
  argMax,
  Graph,
  globalVariablesInitializer,
  layers,
  localVariablesInitializer,
  losses,
  metrics,
  type NDArray,
  placeholder,
  regularizers,
  relu,
  Session,
  setRandomSeed,
  type Tensor,
  trainableVariables,
  variableScope,
  withDependencies,
} from '@graphmode/graph';
import { AdamOptimizer, createTrainOp, ExponentialMovingAverage } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../helpers.js';

describe('model building end to end', () => {
  it('trains a small convnet: loss falls, accuracy reaches 1 on a separable toy set', () => {
    const g = new Graph();
    const m = g.asDefault(() => {
      setRandomSeed(3);
      const images = placeholder('float32', [null, 8, 8, 1]);
      const labels = placeholder('int32', [null]);
      const training = placeholder('bool', []);
      const logits = variableScope('net', () => {
        let h = layers.conv2d(images, 4, 3, { padding: 'same', activation: relu });
        h = layers.batchNormalization(h, { training });
        h = layers.maxPooling2d(h, 2, 2);
        h = layers.dropout(layers.flatten(h), { rate: 0.1, training, seed: 1 });
        return layers.dense(h, 2, { kernelRegularizer: regularizers.l2(1e-4) });
      });
      losses.sparseSoftmaxCrossEntropy(labels, logits);
      const loss = losses.getTotalLoss();
      const ema = new ExponentialMovingAverage(0.9);
      const trainOp = withDependencies(
        [ema.apply(trainableVariables())],
        createTrainOp(loss, new AdamOptimizer({ learningRate: 0.05 })),
      );
      const [acc, updateAcc] = metrics.accuracy(labels, argMax(logits, 1));
      return {
        images,
        labels,
        training,
        trainOp,
        loss,
        acc,
        updateAcc,
        init: [globalVariablesInitializer(), localVariablesInitializer()],
        ema,
      };
    });
    expect(g.getOperationByName('net/conv2d/Conv2D').type).toBe('Conv2D');
    expect(g.getOperationByName('net/dense/kernel/Regularizer/l2_regularizer').type).toBe('Mul');
    const sess = new Session(g);
    sess.run(m.init);
    // Class 1 images are bright in the top half, class 0 in the bottom half.
    const batch = (seed: number): [NDArray, number[]] => {
      const x = randomArray([16, 8, 8, 1], [0, 0.3], seed);
      const y = Array.from({ length: 16 }, (_, i) => i % 2);
      const d = x.data as Float32Array;
      for (let i = 0; i < 16; i++) for (let p = 0; p < 32; p++) d[i * 64 + (y[i] ? p : p + 32)]! += 1;
      return [x, y];
    };
    const feeds = (x: NDArray, y: number[], training: boolean) =>
      new Map<Tensor, NDArray | number[] | boolean>([
        [m.images, x],
        [m.labels, y],
        [m.training, training],
      ]);
    const first = sess.run(m.trainOp, feeds(...batch(1), true)).item() as number;
    let last = first;
    for (let step = 2; step <= 30; step++)
      last = sess.run(m.trainOp, feeds(...batch(step), true)).item() as number;
    expect(last).toBeLessThan(first * 0.5);
    sess.run(m.updateAcc, feeds(...batch(99), false));
    expect(sess.run(m.acc).item()).toBe(1);
    const kernel = trainableVariablesOf(g)[0]!;
    expect(m.ema.average(kernel)!.op.name).toBe('net/conv2d/kernel/ExponentialMovingAverage');
  });
});

const trainableVariablesOf = (g: Graph) => g.asDefault(() => trainableVariables());
