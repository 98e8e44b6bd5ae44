import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkGradient, expectClose, type GradCase } from './harness.js';

type Pad = 'SAME' | 'VALID';
const lower = (p: Pad) => (p === 'SAME' ? 'same' : 'valid');
const S = [3, 4];

const unary = (
  name: string,
  build: (x: g.Tensor) => g.Tensor,
  eager: (x: tf.Tensor) => tf.Tensor,
  extra: Partial<GradCase> = {},
): GradCase => ({
  name,
  inputs: [{ shape: S, domain: extra.inputs?.[0]?.domain ?? 'normal' }],
  build,
  eager,
  ...extra,
});

// A square after the op makes its first-order gradient depend on x, so second order runs
// through the backprop ops' own rules (Conv2DBackpropInput, MaxPoolGradGrad, ...).
const sq = (t: g.Tensor) => g.mul(t, t);
const tsq = (t: tf.Tensor) => tf.mul(t, t);

// The fused op's backprop is softmax - labels, which assumes each row of labels sums to 1 (as TF
// does), so rows feed it a distribution.
const xent = (logits: tf.Tensor, labels: tf.Tensor) =>
  tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1));
// tfjs's softmax/logSoftmax take the last axis only; these oracles take any axis.
const logSoftmaxAxis = (x: tf.Tensor, axis: number) => {
  const z = tf.sub(x, tf.max(x, axis, true));
  return tf.sub(z, tf.log(tf.sum(tf.exp(z), axis, true)));
};
const xentAxis = (logits: tf.Tensor, labels: tf.Tensor, axis: number) =>
  tf.neg(tf.sum(tf.mul(labels, logSoftmaxAxis(logits, axis)), axis));
const sparseXent = (logits: tf.Tensor, ids: tf.Tensor, n: number) =>
  xent(logits, tf.reshape(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, n), logits.shape));

function conv(
  name: string,
  x: number[],
  f: number[],
  o: { s?: number; p?: Pad; d?: number },
  extra: Partial<GradCase> = {},
): GradCase {
  const s = o.s ?? 1;
  const d = o.d ?? 1;
  const p = o.p ?? 'VALID';
  return {
    name,
    inputs: [{ shape: x }, { shape: f }],
    build: (xx, ff) => sq(g.conv2d(xx, ff, { strides: [1, s, s, 1], padding: p, dilations: [1, d, d, 1] })),
    // tfjs has no gradient for dilated conv2d; finite differences are the oracle there.
    eager: d === 1 ? (xx, ff) => tsq(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, s, lower(p))) : null,
    tol: 1e-3,
    fdTol: 3e-2,
    secondOrder: true,
    ...extra,
  };
}

function pool(
  name: string,
  kind: 'max' | 'avg',
  x: number[],
  k: number,
  s: number,
  p: Pad,
  eager = true,
): GradCase {
  const opts = { ksize: [1, k, k, 1], strides: [1, s, s, 1], padding: p } as const;
  return {
    name,
    inputs: [{ shape: x }],
    build: (xx) => sq((kind === 'max' ? g.maxPool : g.avgPool)(xx, opts)),
    eager: eager
      ? (xx) => tsq((kind === 'max' ? tf.maxPool : tf.avgPool)(xx as tf.Tensor4D, k, s, lower(p)))
      : null,
    // A small step keeps every window's argmax in place.
    fdDelta: kind === 'max' ? 1e-3 : 1e-2,
    fdTol: 5e-2,
    secondOrder: true,
  };
}

const cases: GradCase[] = [
  // Away from the kinks at 0 (and 6): 'nonzero' draws from ±[0.3, 1.8].
  unary('relu', g.relu, tf.relu, { inputs: [{ shape: S, domain: 'nonzero' }], secondOrder: true }),
  unary('relu6', g.relu6, tf.relu6, { inputs: [{ shape: S, domain: 'nonzero' }], secondOrder: true }),
  unary('relu6 saturated', g.relu6, tf.relu6, { inputs: [{ shape: S, domain: [6.3, 9] }] }),
  unary('elu', g.elu, tf.elu, { inputs: [{ shape: S, domain: 'nonzero' }], secondOrder: true }),
  unary('softplus', g.softplus, tf.softplus, { secondOrder: true }),
  unary('selu', g.selu, tf.selu, { inputs: [{ shape: S, domain: 'nonzero' }], secondOrder: true }),
  unary('softsign', g.softsign, (x) => tf.div(x, tf.add(tf.abs(x), 1)), {
    inputs: [{ shape: S, domain: 'nonzero' }],
    secondOrder: true,
  }),
  unary(
    'leakyRelu',
    (x) => g.leakyRelu(x, { alpha: 0.3 }),
    (x) => tf.leakyRelu(x, 0.3),
    {
      inputs: [{ shape: S, domain: 'nonzero' }],
      secondOrder: true,
    },
  ),
  unary('softmax', g.softmax, (x) => tf.softmax(x), { secondOrder: true }),
  unary('logSoftmax', g.logSoftmax, (x) => tf.logSoftmax(x), { secondOrder: true }),
  {
    name: 'softmax rank 3',
    inputs: [{ shape: [2, 3, 4] }],
    build: g.softmax,
    eager: (x) => tf.softmax(x),
    secondOrder: true,
  },
  {
    name: 'softmax axis 0 of rank 3',
    inputs: [{ shape: [3, 2, 4] }],
    build: (x) => g.softmax(x, { axis: 0 }),
    eager: (x) => tf.exp(logSoftmaxAxis(x, 0)),
    secondOrder: true,
  },
  {
    name: 'logSoftmax axis 1, unknown batch',
    inputs: [{ shape: [2, 4, 3], staticShape: [null, 4, 3] }],
    build: (x) => g.logSoftmax(x, { axis: 1 }),
    eager: (x) => logSoftmaxAxis(x, 1),
    secondOrder: true,
  },
  unary('l2Loss', g.l2Loss, (x) => tf.div(tf.sum(tf.square(x)), 2), { secondOrder: true }),
  {
    name: 'biasAdd',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }],
    build: (x, b) => sq(g.biasAdd(x, b)),
    eager: (x, b) => tsq(tf.add(x, b)),
    secondOrder: true,
  },
  {
    name: 'biasAdd NCHW',
    inputs: [{ shape: [2, 4, 3, 3] }, { shape: [4] }],
    build: (x, b) => g.biasAdd(x, b, { dataFormat: 'NCHW' }),
    eager: (x, b) => tf.add(x, tf.reshape(b, [4, 1, 1])),
  },
  {
    // Second order through BiasAddGrad's rule: d/dy of biasAddGrad(y * y).
    name: 'biasAddGrad',
    inputs: [{ shape: [2, 3, 4] }],
    build: (dy) => g.biasAddGrad(sq(dy)),
    eager: (dy) => tf.sum(tsq(dy), [0, 1]),
    secondOrder: true,
  },
  {
    name: 'softmaxCrossEntropyWithLogits (labels stopped)',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels: g.softmax(labels), logits }),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    wrt: [0],
    secondOrder: true,
  },
  {
    name: 'SoftmaxCrossEntropyWithLogits op (logits and labels)',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) =>
      g.SoftmaxCrossEntropyWithLogits.apply({ logits, labels: g.softmax(labels) }, {}),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    secondOrder: true,
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits',
    inputs: [{ shape: [6, 5] }, { shape: [6], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => xent(logits, tf.oneHot(labels as tf.Tensor1D, 5)),
    secondOrder: true,
  },
  {
    name: 'softmaxCrossEntropyWithLogits rank 3, unknown outer dims',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, null, 5] },
      { shape: [2, 3, 5], domain: 'positive', staticShape: [null, 3, 5] },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels: g.softmax(labels), logits }),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    wrt: [0],
    secondOrder: true,
  },
  {
    name: 'softmaxCrossEntropyWithLogits axis 1 of rank 3',
    inputs: [{ shape: [2, 4, 3] }, { shape: [2, 4, 3], domain: 'positive' }],
    build: (logits, labels) =>
      g.softmaxCrossEntropyWithLogits({ labels: g.softmax(labels, { axis: 1 }), logits, axis: 1 }),
    eager: (logits, labels) => xentAxis(logits, tf.exp(logSoftmaxAxis(labels, 1)), 1),
    wrt: [0],
    secondOrder: true,
  },
  {
    name: 'softmaxCrossEntropyWithLogitsV2 rank 3 (logits and labels)',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogitsV2({ labels: g.softmax(labels), logits }),
    eager: (logits, labels) => xent(logits, tf.softmax(labels)),
    secondOrder: true,
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits rank 3, unknown batch',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, 3, 5] },
      { shape: [2, 3], domain: [0, 5], dtype: 'int32', staticShape: [null, 3] },
    ],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 5),
    secondOrder: true,
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits unknown ranks',
    inputs: [
      { shape: [2, 2, 4], staticShape: null },
      { shape: [2, 2], domain: [0, 4], dtype: 'int32', staticShape: null },
    ],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 4),
    secondOrder: true,
  },
  conv('conv2d VALID', [2, 5, 5, 3], [3, 3, 3, 2], {}),
  conv('conv2d SAME stride 2', [2, 6, 5, 2], [3, 3, 2, 3], { s: 2, p: 'SAME' }),
  conv(
    'conv2d SAME stride 2, second order w.r.t. the filter',
    [1, 6, 5, 2],
    [3, 3, 2, 3],
    { s: 2, p: 'SAME' },
    {
      wrt: [1, 0],
    },
  ),
  conv('conv2d dilations 2 SAME', [1, 7, 6, 2], [2, 3, 2, 2], { d: 2, p: 'SAME' }),
  conv('conv2d dilations 2 stride 2 VALID', [1, 9, 8, 2], [2, 3, 2, 2], { d: 2, s: 2 }, { wrt: [1, 0] }),
  {
    name: 'conv2d NCHW',
    inputs: [{ shape: [1, 2, 5, 5] }, { shape: [3, 3, 2, 2] }],
    build: (x, f) => sq(g.conv2d(x, f, { strides: [1, 1, 2, 2], padding: 'SAME', dataFormat: 'NCHW' })),
    eager: (x, f) =>
      tsq(
        tf
          .conv2d(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')
          .transpose([0, 3, 1, 2]),
      ),
    tol: 1e-3,
    secondOrder: true,
  },
  pool('maxPool 2x2 s2 VALID', 'max', [2, 4, 6, 3], 2, 2, 'VALID'),
  pool('maxPool 3x3 s2 SAME', 'max', [1, 5, 5, 2], 3, 2, 'SAME'),
  ...(['max', 'avg'] as const).map(
    (kind): GradCase => ({
      name: `${kind}Pool NCHW 2x2 s2 SAME`,
      inputs: [{ shape: [1, 2, 5, 5] }],
      build: (x) =>
        sq(
          (kind === 'max' ? g.maxPool : g.avgPool)(x, {
            ksize: 2,
            strides: 2,
            padding: 'SAME',
            dataFormat: 'NCHW',
          }),
        ),
      // tfjs's avgPool gradient is off on SAME borders (see below); finite differences cover it.
      eager:
        kind === 'max'
          ? (x) =>
              tsq(
                tf.transpose(
                  tf.maxPool(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, 2, 2, 'same'),
                  [0, 3, 1, 2],
                ),
              )
          : null,
      fdDelta: kind === 'max' ? 1e-3 : 1e-2,
      fdTol: 5e-2,
      secondOrder: true,
    }),
  ),
  pool('avgPool 2x2 s2 VALID', 'avg', [2, 4, 6, 3], 2, 2, 'VALID'),
  // tfjs's own AvgPool gradient divides SAME border windows by kh*kw, not by their in-bounds
  // cell count as its forward pass (and TF) do, so it is no oracle here; finite differences are.
  pool('avgPool 3x3 s2 SAME', 'avg', [1, 5, 6, 2], 3, 2, 'SAME', false),
];

describe('nn gradients vs eager tfjs and finite differences', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkGradient(c));
});

describe('nn gradient graphs', () => {
  it('builds the fused backprop ops TF builds', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [1, 4, 4, 2]);
      const f = g.placeholder('float32', [2, 2, 2, 3]);
      const y = g.relu(g.maxPool(g.conv2d(x, f), { ksize: 2, strides: 1 }));
      const [dx, df] = gradients(y, [x, f]) as g.Tensor[];
      const types = graph.getOperations().map((o) => o.type);
      expect(types).toEqual(
        expect.arrayContaining(['ReluGrad', 'MaxPoolGrad', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']),
      );
      expect(dx!.shape).toEqual([1, 4, 4, 2]);
      expect(df!.shape).toEqual([2, 2, 2, 3]);
    });
  });
  it('gives sparse labels and the v1 xent labels no gradient', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const logits = g.placeholder('float32', [2, 3]);
      const ids = g.placeholder('int32', [2]);
      const labels = g.placeholder('float32', [2, 3]);
      expect(gradients(g.sparseSoftmaxCrossEntropyWithLogits({ labels: ids, logits }), [ids])).toEqual([
        null,
      ]);
      expect(gradients(g.softmaxCrossEntropyWithLogits({ labels, logits }), [labels])).toEqual([null]);
    });
  });
});

describe('second order through SparseSoftmaxCrossEntropyWithLogits (TF 1.15 blocks it)', () => {
  it('gives the softmax Hessian-vector product diag(p) v - p (p . v) per row', () => {
    const graph = new g.Graph();
    const logitsV = tf.tensor2d([
      [0.3, -1.2, 2.0, 0.5],
      [1.5, 0.1, -0.7, 0.0],
      [-2.0, 0.4, 0.9, 1.1],
    ]);
    const vV = tf.tensor2d([
      [1, -0.5, 0.2, 2],
      [-1, 0.3, 0.8, 0],
      [0.5, 0.5, -2, 1],
    ]);
    const { hv } = graph.asDefault(() => {
      const logits = g.constant(logitsV.arraySync());
      const loss = g.reduceSum(g.sparseSoftmaxCrossEntropyWithLogits({ labels: [2, 0, 3], logits }));
      const [g1] = gradients(loss, logits) as g.Tensor[];
      const [hv] = gradients(g1!, logits, { gradYs: [g.constant(vV.arraySync())] }) as g.Tensor[];
      return { hv: hv! };
    });
    const sess = new g.Session(graph);
    const got = sess.run(hv);
    sess.close();
    const p = tf.softmax(logitsV);
    const want = tf.mul(p, tf.sub(vV, tf.sum(tf.mul(p, vV), -1, true)));
    expectClose(got, want, 1e-5);
    tf.dispose([logitsV, vV, p, want]);
  });
});
