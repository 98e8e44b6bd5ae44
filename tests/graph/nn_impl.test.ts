import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, runOnce } from '../helpers.js';
import { checkForward, type ForwardCase } from './ops/harness.js';

const momentsCases = (shape: number[], axes: number[], keepDims: boolean): ForwardCase[] => [
  {
    name: `moments mean ${shape} axes ${axes} keepDims ${keepDims}`,
    inputs: [{ shape }],
    build: (x) => g.moments(x, axes, { keepDims })[0],
    eager: (x) => tf.moments(x, axes, keepDims).mean,
  },
  {
    name: `moments variance ${shape} axes ${axes} keepDims ${keepDims}`,
    inputs: [{ shape }],
    build: (x) => g.moments(x, axes, { keepDims })[1],
    eager: (x) => tf.moments(x, axes, keepDims).variance,
  },
];

const l2NormalizeEager = (x: tf.Tensor, axis?: number | number[], eps = 1e-12) =>
  tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), eps)));

const cases: ForwardCase[] = [
  ...momentsCases([4, 3], [0], false),
  ...momentsCases([4, 3], [0, 1], false),
  ...momentsCases([2, 3, 4], [0, 2], true),
  ...momentsCases([2, 3, 4], [1], false),
  {
    name: 'moments with a partly unknown batch dim',
    inputs: [{ shape: [5, 3], staticShape: [null, 3] }],
    build: (x) => g.moments(x, [0])[1],
    eager: (x) => tf.moments(x, [0]).variance,
  },
  {
    name: 'batchNormalization with offset and scale',
    inputs: [
      { shape: [4, 3] },
      { shape: [3] },
      { shape: [3], domain: 'positive' },
      { shape: [3] },
      { shape: [3] },
    ],
    build: (x, m, v, o, s) => g.batchNormalization(x, m, v, o, s, 1e-3),
    eager: (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3),
  },
  {
    name: 'batchNormalization without offset and scale',
    inputs: [{ shape: [2, 2, 3] }, { shape: [3] }, { shape: [3], domain: 'positive' }],
    build: (x, m, v) => g.batchNormalization(x, m, v, null, null, 1e-5),
    eager: (x, m, v) => tf.batchNorm(x, m, v, undefined, undefined, 1e-5),
  },
  {
    name: 'batchNormalization with scale only',
    inputs: [{ shape: [4, 3] }, { shape: [3] }, { shape: [3], domain: 'positive' }, { shape: [3] }],
    build: (x, m, v, s) => g.batchNormalization(x, m, v, null, s, 0.01),
    eager: (x, m, v, s) => tf.batchNorm(x, m, v, undefined, s, 0.01),
  },
  {
    name: 'l2Normalize over all axes',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.l2Normalize(x),
    eager: (x) => l2NormalizeEager(x),
  },
  {
    name: 'l2Normalize axis 1',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.l2Normalize(x, { axis: 1 }),
    eager: (x) => l2NormalizeEager(x, 1),
  },
  {
    name: 'l2Normalize axes [0, 2], epsilon 0.5',
    inputs: [{ shape: [2, 3, 2] }],
    build: (x) => g.l2Normalize(x, { axis: [0, 2], epsilon: 0.5 }),
    eager: (x) => l2NormalizeEager(x, [0, 2], 0.5),
  },
  {
    name: 'sigmoidCrossEntropyWithLogits',
    inputs: [
      { shape: [3, 4], domain: [0, 1] },
      { shape: [3, 4], domain: [-8, 8] },
    ],
    build: (labels, logits) => g.sigmoidCrossEntropyWithLogits({ labels, logits }),
    eager: (labels, logits) => tf.losses.sigmoidCrossEntropy(labels, logits, undefined, 0, tf.Reduction.NONE),
  },
];

describe('nn_impl forward (vs eager tfjs)', () => {
  for (const c of cases) it(c.name, () => checkForward(c));
});

const run = (build: () => g.Tensor): g.NDArray => {
  const graph = new g.Graph();
  return runOnce(graph, graph.asDefault(build));
};

describe('nn_impl: TF reference values and structure', () => {
  it('moments: population variance, TF op names', () => {
    const graph = new g.Graph();
    const [mean, variance] = graph.asDefault(() =>
      g.moments(
        g.constant([
          [1, 2],
          [3, 6],
        ]),
        [0],
      ),
    );
    expect(mean.op.name).toBe('moments/Squeeze');
    expect(graph.getOperationByName('moments/mean').type).toBe('Mean');
    expect(graph.getOperationByName('moments/variance').type).toBe('Mean');
    expect(graph.getOperations().some((op) => op.type === 'StopGradient')).toBe(true);
    const sess = new g.Session(graph);
    const [m, v] = sess.run([mean, variance]);
    sess.close();
    expectClose(m!, new g.NDArray('float32', [2], Float32Array.from([2, 4])));
    expectClose(v!, new g.NDArray('float32', [2], Float32Array.from([1, 4])));
  });

  it('l2Normalize: [3, 4] → [0.6, 0.8]; a zero vector stays zero', () => {
    expectClose(
      run(() =>
        g.l2Normalize(
          g.constant([
            [3, 4],
            [0, 0],
          ]),
          { axis: 1 },
        ),
      ),
      new g.NDArray('float32', [2, 2], Float32Array.from([0.6, 0.8, 0, 0])),
    );
  });

  it("sigmoidCrossEntropyWithLogits: TF's nn_test values, stable at ±100", () => {
    const x = [-100, -2, -2, 0, 2, 2, 2, 100];
    const z = [0, 0, 1, 0, 0, 1, 0.5, 1];
    const expected = [0, 0.126928, 2.126928, Math.LN2, 2.126928, 0.126928, 1.126928, 0];
    const got = run(() => g.sigmoidCrossEntropyWithLogits({ labels: z, logits: x }));
    expectClose(got, new g.NDArray('float32', [8], Float32Array.from(expected)), 1e-5);
  });

  it('sigmoidCrossEntropyWithLogits rejects mismatched shapes; batchNormalization names its scope', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      expect(() => g.sigmoidCrossEntropyWithLogits({ labels: [1, 0], logits: [1, 2, 3] })).toThrow(
        /same shape \(\[3\] vs \[2\]\)/,
      );
      const y = g.batchNormalization(g.constant([1, 2]), 0, 1, null, null, 0.001);
      expect(y.op.name).toMatch(/^batchnorm\//);
      expect(y.op.type).toBe('AddV2');
    });
  });
});
