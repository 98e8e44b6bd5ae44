// §5 pieces together, as a TF1 script combines them: a scoped convnet with batch norm, dropout,
// an l2 kernel regularizer, metrics, an EMA of the trainable weights and createTrainOp. Checks
// TF's variable lists per collection, the EMA shadow names and variablesToRestore, and that one
// step runs the update ops, the averages and the metrics together.
import {
  argMax,
  controlDependencies,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  group,
  layers,
  localVariablesInitializer,
  losses,
  metrics,
  placeholder,
  regularizers,
  relu,
  Session,
  type Tensor,
  trainableVariables,
  type Variable,
  variableScope,
} from '@graphmode/graph';
import {
  createTrainOp,
  ExponentialMovingAverage,
  GradientDescentOptimizer,
  getOrCreateGlobalStep,
} from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../helpers.js';

describe('model building end to end', () => {
  it('collections, EMA names, variablesToRestore and one training step', () => {
    const g = new Graph();
    const m = g.asDefault(() => {
      const x = placeholder('float32', [4, 6, 6, 1], { name: 'x' });
      const labels = placeholder('int32', [4], { name: 'labels' });
      const training = placeholder('bool', [], { name: 'training' });
      const globalStep = getOrCreateGlobalStep();
      const logits = variableScope('model', () => {
        let h = layers.conv2d(x, 2, 3, { activation: relu, kernelRegularizer: regularizers.l2(0.01) });
        h = layers.batchNormalization(h, { training });
        h = layers.maxPooling2d(h, 2, 2);
        h = layers.dropout(layers.flatten(h), { rate: 0.5, training, seed: 1 });
        return layers.dense(h, 3, { name: 'logits' });
      });
      const loss = losses.sparseSoftmaxCrossEntropy(labels, logits);
      const total = losses.getTotalLoss();
      const [acc, accUpdate] = metrics.accuracy(labels, argMax(logits, 1));
      const ema = new ExponentialMovingAverage(0.9, { numUpdates: globalStep });
      const trainOp = createTrainOp(total, new GradientDescentOptimizer(0.1));
      const step = controlDependencies([trainOp], () => group(ema.apply(trainableVariables()), accUpdate));
      return { x, labels, training, loss, total, acc, ema, step, globalStep };
    });
    const names = (key: string) => g.getCollection<Variable>(key).map((v) => v.op.name);
    expect(names(GraphKeys.TRAINABLE_VARIABLES)).toEqual([
      'model/conv2d/kernel',
      'model/conv2d/bias',
      'model/batch_normalization/gamma',
      'model/batch_normalization/beta',
      'model/logits/kernel',
      'model/logits/bias',
    ]);
    expect(names(GraphKeys.GLOBAL_VARIABLES)).toEqual([
      'global_step',
      'model/conv2d/kernel',
      'model/conv2d/bias',
      'model/batch_normalization/gamma',
      'model/batch_normalization/beta',
      'model/batch_normalization/moving_mean',
      'model/batch_normalization/moving_variance',
      'model/logits/kernel',
      'model/logits/bias',
      ...names(GraphKeys.TRAINABLE_VARIABLES).map((n) => `${n}/ExponentialMovingAverage`),
    ]);
    expect(names(GraphKeys.LOCAL_VARIABLES)).toEqual(['accuracy/total', 'accuracy/count']);
    expect(names(GraphKeys.MOVING_AVERAGE_VARIABLES)).toEqual(names(GraphKeys.TRAINABLE_VARIABLES));
    expect(g.getCollection<Tensor>(GraphKeys.UPDATE_OPS).map((t) => t.op.name)).toEqual([
      'model/batch_normalization/AssignMovingAvg',
      'model/batch_normalization/AssignMovingAvg_1',
    ]);
    expect(g.getCollection<Tensor>(GraphKeys.REGULARIZATION_LOSSES).map((t) => t.op.name)).toEqual([
      'model/conv2d/kernel/Regularizer/l2_regularizer',
    ]);
    const restore = g.asDefault(() => m.ema.variablesToRestore());
    expect(Object.keys(restore).sort()).toEqual(
      [
        'global_step',
        'model/batch_normalization/moving_mean',
        'model/batch_normalization/moving_variance',
        ...names(GraphKeys.TRAINABLE_VARIABLES).map((n) => `${n}/ExponentialMovingAverage`),
      ].sort(),
    );
    expect(restore['model/logits/kernel/ExponentialMovingAverage']!.op.name).toBe('model/logits/kernel');

    const sess = new Session(g);
    sess.run(g.asDefault(() => [globalVariablesInitializer(), localVariablesInitializer()]));
    const feeds: [Tensor, unknown][] = [
      [m.x, randomArray([4, 6, 6, 1], 'normal', 3)],
      [m.labels, [0, 1, 2, 1]],
      [m.training, true],
    ];
    const readVar = (n: string) =>
      Array.from(
        sess.run(g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES).find((v) => v.op.name === n)!)
          .data as Float32Array,
      );
    const kernel0 = readVar('model/logits/kernel');
    sess.run(m.step, feeds as never);
    expect(sess.run(m.globalStep).item()).toBe(1);
    expect(readVar('model/batch_normalization/moving_mean')).not.toEqual([0, 0]);
    // numUpdates 1 after the step: decay min(0.9, 2/11); the shadow moved from the initial kernel
    // toward the trained one by 1 - 2/11.
    const kernel1 = readVar('model/logits/kernel');
    const shadow = readVar('model/logits/kernel/ExponentialMovingAverage');
    const d = 2 / 11;
    shadow.forEach((s, i) => expect(s).toBeCloseTo(kernel0[i]! * d + kernel1[i]! * (1 - d), 5));
    const acc = sess.run(m.acc).item() as number;
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(acc);
  });
});
