// Gradients of the composite builders (nn_impl, clip, losses, random scaling, dropout): they emit
// existing ops, so these tables check that the composition differentiates like its eager tfjs
// equivalent and like finite differences.
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { losses } from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkGradient, type GradCase } from './harness.js';

const S = [3, 4];
const l2NormalizeEager = (x: tf.Tensor, axis?: number | number[]) =>
  tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-12)));
const clipByNormEager = (x: tf.Tensor, clip: number, axes?: number[]) =>
  tf.div(tf.mul(x, clip), tf.maximum(tf.sqrt(tf.sum(tf.square(x), axes, true)), clip));
const sumSq = (ts: tf.Tensor[]) => tf.addN(ts.map((t) => tf.sum(tf.square(t))));

const nnImpl: GradCase[] = [
  {
    name: 'moments mean',
    inputs: [{ shape: S }],
    build: (x) => g.moments(x, [0])[0],
    eager: (x) => tf.moments(x, [0]).mean,
  },
  {
    // No second order: TF's variance centres on stopGradient(mean), so its Hessian drops the
    // mean's term (as in TF); the first-order gradient is exact.
    name: 'moments variance axes [0, 1]',
    inputs: [{ shape: S }],
    build: (x) => g.moments(x, [0, 1])[1],
    eager: (x) => tf.moments(x, [0, 1]).variance,
  },
  {
    name: 'moments variance axes [1], keepDims',
    inputs: [{ shape: S }],
    build: (x) => g.moments(x, [1], { keepDims: true })[1],
    eager: (x) => tf.moments(x, [1], true).variance,
  },
  {
    name: 'batchNormalization (all five inputs)',
    inputs: [
      { shape: S },
      { shape: [4] },
      { shape: [4], domain: 'positive' },
      { shape: [4] },
      { shape: [4] },
    ],
    build: (x, m, v, o, s) => g.batchNormalization(x, m, v, o, s, 1e-3),
    eager: (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3),
    // Variance first: second order differentiates the first listed input, and y is linear in x.
    wrt: [2, 0, 1, 3, 4],
    tol: 1e-3,
    secondOrder: true,
  },
  {
    name: 'batchNormalization without offset and scale',
    inputs: [{ shape: S }, { shape: [4] }, { shape: [4], domain: 'positive' }],
    build: (x, m, v) => g.batchNormalization(x, m, v, null, null, 1e-3),
    // tfjs's batchNorm gradient needs offset and scale, so spell out the formula.
    eager: (x, m, v) => tf.mul(tf.sub(x, m), tf.rsqrt(tf.add(v, 1e-3))),
    tol: 1e-3,
  },
  {
    name: 'batchNormalization of moments (training-mode batch norm)',
    inputs: [{ shape: [5, 3] }, { shape: [3] }, { shape: [3] }],
    build: (x, o, s) => {
      const [m, v] = g.moments(x, [0]);
      return g.batchNormalization(x, m, v, o, s, 1e-3);
    },
    eager: (x, o, s) => {
      const { mean, variance } = tf.moments(x, [0]);
      return tf.batchNorm(x, mean, variance, o, s, 1e-3);
    },
    tol: 1e-3,
  },
  {
    name: 'l2Normalize (all axes)',
    inputs: [{ shape: S }],
    build: (x) => g.l2Normalize(x),
    eager: (x) => l2NormalizeEager(x),
    secondOrder: true,
  },
  {
    name: 'l2Normalize axis 1',
    inputs: [{ shape: S }],
    build: (x) => g.l2Normalize(x, { axis: 1 }),
    eager: (x) => l2NormalizeEager(x, 1),
    secondOrder: true,
  },
  {
    name: 'sigmoidCrossEntropyWithLogits (labels and logits)',
    inputs: [
      { shape: S, domain: [0, 1] },
      { shape: S, domain: 'nonzero' },
    ],
    build: (labels, logits) => g.sigmoidCrossEntropyWithLogits({ labels, logits }),
    eager: (labels, logits) => tf.losses.sigmoidCrossEntropy(labels, logits, undefined, 0, tf.Reduction.NONE),
    wrt: [1, 0],
    secondOrder: true,
  },
];

const clip: GradCase[] = [
  {
    name: 'clipByValue',
    inputs: [{ shape: S, domain: 'nonzero' }],
    build: (x) => g.clipByValue(x, -1, 1),
    eager: (x) => tf.clipByValue(x, -1, 1),
  },
  {
    name: 'clipByNorm (clipped)',
    inputs: [{ shape: S }],
    build: (x) => g.clipByNorm(x, 1),
    eager: (x) => clipByNormEager(x, 1),
    secondOrder: true,
  },
  {
    name: 'clipByNorm over axes [0]',
    inputs: [{ shape: S }],
    build: (x) => g.clipByNorm(x, 0.5, { axes: [0] }),
    eager: (x) => clipByNormEager(x, 0.5, [0]),
  },
  {
    name: 'globalNorm',
    inputs: [{ shape: S }, { shape: [5] }],
    build: (a, b) => g.globalNorm([a, null, b]),
    eager: (a, b) => tf.sqrt(sumSq([a, b])),
    secondOrder: true,
  },
  {
    name: 'clipByGlobalNorm (second tensor)',
    inputs: [{ shape: S }, { shape: [5] }],
    build: (a, b) => g.clipByGlobalNorm([a, b], 1)[0][1]!,
    eager: (a, b) => tf.div(b, tf.maximum(tf.sqrt(sumSq([a, b])), 1)),
  },
];

// tfjs cannot differentiate its losses with respect to the weights (it counts them with
// NotEqual), so weight gradients are checked by finite differences alone.
const w = { shape: S, domain: [0.5, 2] } as const;
const loss: GradCase[] = [
  {
    name: 'losses.meanSquaredError (predictions, labels)',
    inputs: [{ shape: S }, { shape: S }, w],
    build: (l, p, ws) => losses.meanSquaredError(l, p, { weights: ws }),
    eager: (l, p, ws) => tf.losses.meanSquaredError(l, p, ws),
    wrt: [1, 0],
    secondOrder: true,
  },
  {
    name: 'losses.meanSquaredError (weights)',
    inputs: [{ shape: S }, { shape: S }, w],
    build: (l, p, ws) => losses.meanSquaredError(l, p, { weights: ws }),
    eager: null,
    wrt: [2],
  },
  {
    name: 'losses.absoluteDifference',
    inputs: [{ shape: S }, { shape: S }],
    build: (l, p) => losses.absoluteDifference(l, p),
    eager: (l, p) => tf.losses.absoluteDifference(l, p),
  },
  {
    name: 'losses.huberLoss',
    inputs: [{ shape: S }, { shape: S }],
    build: (l, p) => losses.huberLoss(l, p, { delta: 0.7 }),
    eager: (l, p) => tf.losses.huberLoss(l, p, undefined, 0.7),
  },
  {
    name: 'losses.logLoss',
    inputs: [
      { shape: S, domain: [0, 1] },
      { shape: S, domain: [0.1, 0.9] },
    ],
    build: (l, p) => losses.logLoss(l, p),
    eager: (l, p) => tf.losses.logLoss(l, p),
    wrt: [1, 0],
    fdDelta: 1e-3,
    secondOrder: true,
  },
  {
    name: 'losses.sigmoidCrossEntropy (label smoothing, weights)',
    inputs: [{ shape: S, domain: [0, 1] }, { shape: S }, w],
    build: (l, x, ws) => losses.sigmoidCrossEntropy(l, x, { weights: ws, labelSmoothing: 0.1 }),
    eager: (l, x, ws) => tf.losses.sigmoidCrossEntropy(l, x, ws, 0.1),
    wrt: [1, 0],
    secondOrder: true,
  },
  {
    name: 'losses.sigmoidCrossEntropy (weights)',
    inputs: [{ shape: S, domain: [0, 1] }, { shape: S }, w],
    build: (l, x, ws) => losses.sigmoidCrossEntropy(l, x, { weights: ws }),
    eager: null,
    wrt: [2],
  },
  {
    name: 'losses.softmaxCrossEntropy (label smoothing; no gradient to the labels)',
    inputs: [{ shape: S, domain: [0, 1] }, { shape: S }],
    build: (l, x) => losses.softmaxCrossEntropy(g.softmax(l), x, { labelSmoothing: 0.2 }),
    eager: (l, x) => tf.losses.softmaxCrossEntropy(tf.softmax(l), x, undefined, 0.2),
    wrt: [1],
    secondOrder: true,
  },
  {
    name: 'losses.sparseSoftmaxCrossEntropy ([batch, 1] labels and weights)',
    inputs: [
      { shape: [3, 1], domain: [0, 4], dtype: 'int32' },
      { shape: S },
      { shape: [3, 1], domain: [0.5, 2] },
    ],
    build: (l, x, ws) => losses.sparseSoftmaxCrossEntropy(l, x, { weights: ws }),
    eager: (l, x, ws) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(l, [3]), 4), x, tf.reshape(ws, [3])),
    wrt: [1],
  },
  {
    name: 'losses.sparseSoftmaxCrossEntropy (weights)',
    inputs: [
      { shape: [3, 1], domain: [0, 4], dtype: 'int32' },
      { shape: S },
      { shape: [3, 1], domain: [0.5, 2] },
    ],
    build: (l, x, ws) => losses.sparseSoftmaxCrossEntropy(l, x, { weights: ws }),
    eager: null,
    wrt: [2],
  },
  {
    name: 'losses.getTotalLoss of two losses',
    inputs: [{ shape: S }, { shape: S }],
    build: (a, b) => {
      losses.meanSquaredError(a, b);
      losses.absoluteDifference(b, g.constant(0.25, { shape: S }));
      return losses.getTotalLoss();
    },
    eager: (a, b) =>
      tf.add(tf.losses.meanSquaredError(a, b), tf.losses.absoluteDifference(b, tf.fill(S, 0.25))),
  },
];

describe('composite gradients vs eager tfjs and finite differences', () => {
  for (const c of [...nnImpl, ...clip, ...loss]) it(c.name, () => checkGradient(c));
});

/** Builds in a fresh graph and runs the fetches in one session run. */
function run<T extends g.Fetches>(build: () => T, feeds?: Map<g.Tensor, g.TensorLike>): g.FetchResult<T> {
  const graph = new g.Graph();
  const fetches = graph.asDefault(build);
  const sess = new g.Session(graph);
  try {
    return sess.run(fetches, feeds);
  } finally {
    sess.close();
  }
}
const floats = (a: g.NDArray) => Array.from(a.data as Float32Array);

describe('composite gradients: special points', () => {
  it("sigmoidCrossEntropyWithLogits at logits == 0 is sigmoid(0) - z, as TF's where form gives", () => {
    const [dx] = run(() => {
      const x = g.constant([0, 0, 0]);
      const y = g.sigmoidCrossEntropyWithLogits({ labels: [0, 0.25, 1], logits: x });
      return gradients(y, x) as g.Tensor[];
    });
    expect(floats(dx!)).toEqual([0.5, 0.25, -0.5]);
  });

  it('clipByNorm of zeros has a finite gradient of ones', () => {
    const [dx] = run(() => {
      const x = g.zeros([2, 3]);
      return gradients(g.clipByNorm(x, 1), x) as g.Tensor[];
    });
    expect(floats(dx!)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('dropout: the gradient is the same kept-and-scaled mask as the forward pass', () => {
    const [y, dx] = run(() => {
      const x = g.constant(new g.NDArray('float32', [200], new Float32Array(200).fill(2)));
      const y = g.dropout(x, { rate: 0.4, seed: 3 });
      return [y, gradients(y, x)[0] as g.Tensor];
    });
    const ys = floats(y!);
    floats(dx!).forEach((d, i) => expect(d).toBeCloseTo(ys[i] === 0 ? 0 : 1 / 0.6, 5));
    expect(ys.filter((v) => v === 0).length).toBeGreaterThan(40);
  });

  it('randomNormal: gradients reach a tensor mean and stddev, none reaches the draw', () => {
    const mean = 1.5;
    const stddev = 2;
    const [y, dm, ds] = run(() => {
      const m = g.constant(mean);
      const s = g.constant(stddev);
      const y = g.randomNormal([100], { mean: m, stddev: s, seed: 1 });
      const [dm, ds] = gradients(g.reduceSum(y), [m, s]) as g.Tensor[];
      return [y, dm!, ds!];
    });
    expect(dm!.item()).toBeCloseTo(100, 4);
    const expected = floats(y!).reduce((acc, v) => acc + (v - mean) / stddev, 0);
    expect(ds!.item() as number).toBeCloseTo(expected, 3);
  });
});
