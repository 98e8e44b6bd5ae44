// A fast run of the showcase (examples/mnist.ts): a narrower MLP on a subset of the digits must
// learn — the loss falls and held-out accuracy lands far above chance (10%).
import { Session } from '@graphmode/graph';
import { getGlobalStep } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { buildClassifier, evaluate, trainClassifier } from '../../examples/mnist.js';
import { loadMnist } from '../../examples/mnist_data.js';

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('mnist smoke', () => {
  it('trains a small MLP with createTrainOp: loss falls, accuracy well above chance', () => {
    const { train, test } = loadMnist({ testSize: 500, limit: 3500 });
    const model = buildClassifier({ hiddenUnits: [64, 64], learningRate: 3e-3, seed: 3 });
    const sess = new Session(model.graph);
    try {
      sess.run(model.init);
      const before = evaluate(sess, model, test);
      const steps = 150;
      const losses = trainClassifier(sess, model, train, { steps, batchSize: 32 });
      const after = evaluate(sess, model, test);

      expect(losses).toHaveLength(steps);
      expect(losses.every(Number.isFinite)).toBe(true);
      // The first losses sit near ln(10) ≈ 2.3 for an untrained 10-way classifier.
      expect(mean(losses.slice(0, 10))).toBeGreaterThan(1.5);
      expect(mean(losses.slice(-20))).toBeLessThan(0.5 * mean(losses.slice(0, 20)));
      expect(before).toBeLessThan(0.3);
      expect(after).toBeGreaterThan(0.8);
      // createTrainOp advanced the global step once per run.
      const globalStep = model.graph.asDefault(() => getGlobalStep())!;
      expect(sess.run(globalStep).item()).toBe(steps);
    } finally {
      sess.close();
    }
  }, 60_000);
});
