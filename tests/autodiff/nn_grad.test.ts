import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gradCases, named } from '../op_table.js';
import { nnOps } from '../tables/nn.js';
import { checkGradient, expectClose, type GradCase } from './harness.js';

type Pad = 'SAME' | 'VALID';
const lower = (p: Pad) => (p === 'SAME' ? 'same' : 'valid');
// A square after the op makes its first-order gradient depend on x, so second order runs
// through the backprop ops' own rules (Conv2DBackpropInput, MaxPoolGradGrad, ...).
const sq = (t: g.Tensor) => g.mul(t, t);
const tsq = (t: tf.Tensor) => tf.mul(t, t);

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

const convCases: GradCase[] = [
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
  it.each(named([...gradCases(nnOps), ...convCases]))('%s', (_, c) => checkGradient(c));
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
