import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkForward, type ForwardCase } from './harness.js';

const S = [3, 4];
const unary = (
  name: string,
  build: (x: g.Tensor) => g.Tensor,
  eager: (x: tf.Tensor) => tf.Tensor,
  domain: 'normal' | 'positive' | readonly [number, number] = 'normal',
): ForwardCase => ({ name, inputs: [{ shape: S, domain }], build, eager });

// The activation-gradient ops against tfjs's own gradient of the activation (dy, x) -> dx.
const vjp =
  (f: (x: tf.Tensor) => tf.Tensor) =>
  (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
    tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx), dy)))(x);
const gradRow = (
  name: string,
  build: (dy: g.Tensor, x: g.Tensor) => g.Tensor,
  f: (x: tf.Tensor) => tf.Tensor,
  domain: readonly [number, number] = [-3, 3],
): ForwardCase => ({ name, inputs: [{ shape: S }, { shape: S, domain }], build, eager: vjp(f) });

const xent = (logits: tf.Tensor, labels: tf.Tensor) =>
  tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1));
const onehot = (labels: tf.Tensor, n: number) => tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, n);
// The eager oracle along any axis: -sum(labels * logSoftmax(logits, axis), axis).
const xentAxis = (logits: tf.Tensor, labels: tf.Tensor, axis: number) => {
  const m = tf.max(logits, axis, true);
  const logp = tf.sub(tf.sub(logits, m), tf.log(tf.sum(tf.exp(tf.sub(logits, m)), axis, true)));
  return tf.neg(tf.sum(tf.mul(labels, logp), axis));
};
const softmaxAxis = (x: tf.Tensor, axis: number) => tf.div(tf.exp(x), tf.sum(tf.exp(x), axis, true));
// Sparse ids of any shape against logits [..., n], via a flat one-hot.
const sparseXent = (logits: tf.Tensor, labels: tf.Tensor, n: number) =>
  xent(logits, tf.reshape(onehot(tf.reshape(labels, [-1]), n), logits.shape));

const cases: ForwardCase[] = [
  unary('relu', g.relu, tf.relu),
  unary('relu6', g.relu6, tf.relu6, [-4, 10]),
  unary('elu', g.elu, tf.elu),
  unary('softplus', g.softplus, tf.softplus),
  unary('selu', g.selu, tf.selu),
  // x / (1 + |x|), written out: tfjs has no softsign.
  unary('softsign', g.softsign, (x) => tf.div(x, tf.add(tf.abs(x), 1))),
  unary('softplus (large |x|)', g.softplus, tf.softplus, [-60, 60]),
  unary(
    'leakyRelu (default alpha 0.2)',
    (x) => g.leakyRelu(x),
    (x) => tf.leakyRelu(x, 0.2),
  ),
  unary(
    'leakyRelu alpha 0.01',
    (x) => g.leakyRelu(x, { alpha: 0.01 }),
    (x) => tf.leakyRelu(x, 0.01),
  ),
  unary('softmax', g.softmax, (x) => tf.softmax(x)),
  unary('softmax (large logits)', g.softmax, (x) => tf.softmax(x), [-500, 500]),
  unary('logSoftmax', g.logSoftmax, tf.logSoftmax),
  {
    name: 'softmax rank 3',
    inputs: [{ shape: [2, 3, 5] }],
    build: g.softmax,
    eager: (x) => tf.softmax(x),
  },
  {
    name: 'softmax rank 1',
    inputs: [{ shape: [6] }],
    build: g.softmax,
    eager: (x) => tf.softmax(x),
  },
  {
    name: 'softmax axis 0 of rank 3',
    inputs: [{ shape: [3, 2, 4] }],
    build: (x) => g.softmax(x, { axis: 0 }),
    eager: (x) => softmaxAxis(x, 0),
  },
  {
    name: 'softmax axis -2, unknown batch',
    inputs: [{ shape: [2, 5, 3], staticShape: [null, 5, 3] }],
    build: (x) => g.softmax(x, { axis: -2 }),
    eager: (x) => softmaxAxis(x, 1),
    staticShape: [null, 5, 3],
  },
  {
    name: 'logSoftmax axis 1 of rank 4',
    inputs: [{ shape: [2, 4, 3, 2] }],
    build: (x) => g.logSoftmax(x, { axis: 1 }),
    eager: (x) => tf.log(softmaxAxis(x, 1)),
    tol: 1e-4,
  },
  unary('l2Loss', g.l2Loss, (x) => tf.div(tf.sum(tf.square(x)), 2)),
  gradRow('reluGrad', g.reluGrad, tf.relu),
  gradRow('relu6Grad', g.relu6Grad, tf.relu6, [-3, 9]),
  gradRow('softplusGrad', g.softplusGrad, tf.softplus),
  gradRow('seluGrad', (dy, x) => g.seluGrad(dy, g.selu(x)), tf.selu),
  gradRow('softsignGrad', g.softsignGrad, (x) => tf.div(x, tf.add(tf.abs(x), 1))),
  gradRow(
    'leakyReluGrad',
    (dy, x) => g.leakyReluGrad(dy, x, { alpha: 0.3 }),
    (x) => tf.leakyRelu(x, 0.3),
  ),
  // EluGrad reads Elu's outputs, as in TF.
  gradRow('eluGrad', (dy, x) => g.eluGrad(dy, g.elu(x)), tf.elu),
  {
    name: 'biasAdd rank 2',
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    build: g.biasAdd,
    eager: tf.add,
  },
  {
    name: 'biasAdd rank 4 NHWC, unknown batch',
    inputs: [{ shape: [2, 3, 3, 5], staticShape: [null, 3, 3, 5] }, { shape: [5] }],
    build: g.biasAdd,
    eager: tf.add,
    staticShape: [null, 3, 3, 5],
  },
  {
    name: 'biasAdd NCHW',
    inputs: [{ shape: [2, 5, 3, 3] }, { shape: [5] }],
    build: (x, b) => g.biasAdd(x, b, { dataFormat: 'NCHW' }),
    eager: (x, b) => tf.add(x, tf.reshape(b, [5, 1, 1])),
  },
  {
    name: 'xwPlusB',
    inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }],
    build: g.xwPlusB,
    eager: (x, w, b) => tf.add(tf.matMul(x, w), b),
  },
  {
    name: 'reluLayer',
    inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }],
    build: g.reluLayer,
    eager: (x, w, b) => tf.relu(tf.add(tf.matMul(x, w), b)),
  },
  {
    name: 'biasAddGrad NHWC',
    inputs: [{ shape: [2, 3, 3, 5] }],
    build: (dy) => g.biasAddGrad(dy),
    eager: (dy) => tf.sum(dy, [0, 1, 2]),
  },
  {
    name: 'biasAddGrad NCHW',
    inputs: [{ shape: [2, 5, 3, 3] }],
    build: (dy) => g.biasAddGrad(dy, { dataFormat: 'NCHW' }),
    eager: (dy) => tf.sum(dy, [0, 2, 3]),
  },
  {
    name: 'softmaxCrossEntropyWithLogits',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
  },
  {
    name: 'softmaxCrossEntropyWithLogits (large logits, unknown batch)',
    inputs: [
      { shape: [4, 5], domain: [-300, 300], staticShape: [null, 5] },
      { shape: [4, 5], domain: 'positive', staticShape: [null, 5] },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    staticShape: [null],
  },
  {
    name: 'softmaxCrossEntropyWithLogits rank 3, unknown outer dims',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, null, 5] },
      { shape: [2, 3, 5], domain: 'positive', staticShape: [null, 3, null] },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    staticShape: [null, 3],
  },
  {
    name: 'softmaxCrossEntropyWithLogits rank 1 (a scalar loss)',
    inputs: [{ shape: [5] }, { shape: [5], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
  },
  {
    name: 'softmaxCrossEntropyWithLogits axis 1 of rank 3',
    inputs: [{ shape: [2, 5, 3] }, { shape: [2, 5, 3], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits, axis: 1 }),
    eager: (logits, labels) => xentAxis(logits, labels, 1),
    tol: 1e-4,
  },
  {
    name: 'softmaxCrossEntropyWithLogits axis 0 of rank 2',
    inputs: [{ shape: [5, 3] }, { shape: [5, 3], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits, axis: 0 }),
    eager: (logits, labels) => xentAxis(logits, labels, 0),
    tol: 1e-4,
  },
  {
    name: 'softmaxCrossEntropyWithLogits unknown rank',
    inputs: [
      { shape: [2, 2, 4], staticShape: null },
      { shape: [2, 2, 4], domain: 'positive', staticShape: null },
    ],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogits({ labels, logits }),
    eager: xent,
    staticShape: null,
  },
  {
    name: 'softmaxCrossEntropyWithLogitsV2 rank 3',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4], domain: 'positive' }],
    build: (logits, labels) => g.softmaxCrossEntropyWithLogitsV2({ labels, logits }),
    eager: xent,
  },
  {
    name: 'SoftmaxCrossEntropyWithLogits backprop output',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => g.SoftmaxCrossEntropyWithLogits.applyOp({ logits, labels }, {}).outputs[1]!,
    eager: (logits, labels) => tf.sub(tf.softmax(logits), labels),
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits',
    inputs: [{ shape: [6, 5] }, { shape: [6], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => xent(logits, onehot(labels, 5)),
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits rank 3, unknown batch',
    inputs: [
      { shape: [2, 3, 5], staticShape: [null, 3, 5] },
      { shape: [2, 3], domain: [0, 5], dtype: 'int32', staticShape: [null, null] },
    ],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 5),
    staticShape: [null, 3],
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits rank 1 logits, scalar label',
    inputs: [{ shape: [5] }, { shape: [], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 5),
  },
  {
    name: 'sparseSoftmaxCrossEntropyWithLogits unknown ranks',
    inputs: [
      { shape: [2, 2, 3, 4], staticShape: null },
      { shape: [2, 2, 3], domain: [0, 4], dtype: 'int32', staticShape: null },
    ],
    build: (logits, labels) => g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }),
    eager: (logits, labels) => sparseXent(logits, labels, 4),
    staticShape: null,
  },
  {
    name: 'SparseSoftmaxCrossEntropyWithLogits backprop output',
    inputs: [{ shape: [6, 5] }, { shape: [6], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) =>
      g.SparseSoftmaxCrossEntropyWithLogits.applyOp({ logits, labels }, {}).outputs[1]!,
    eager: (logits, labels) => tf.sub(tf.softmax(logits), onehot(labels, 5)),
  },
];

describe('nn ops: forward vs eager tfjs', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkForward(c));
});

describe('nn ops: builders and graph structure', () => {
  it('softmaxCrossEntropyWithLogits stops the gradient into labels (TF1 v1 semantics)', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const logits = g.placeholder('float32', [2, 3]);
      const labels = g.placeholder('float32', [2, 3]);
      const loss = g.softmaxCrossEntropyWithLogits({ labels, logits });
      expect(loss.op.type).toBe('SoftmaxCrossEntropyWithLogits');
      expect(loss.op.name).toBe('softmax_cross_entropy_with_logits_sg');
      expect(loss.shape).toEqual([2]);
      const stop = loss.op.inputs[1]!.op;
      expect(stop.type).toBe('StopGradient');
      expect(stop.name).toBe('softmax_cross_entropy_with_logits_sg/labels_stop_gradient');
      expect(loss.op.outputs[1]!.shape).toEqual([2, 3]);
    });
  });
  it('names ops as TF does', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      expect(g.relu(x).op.name).toBe('Relu');
      expect(g.biasAdd(x, [1, 2, 3]).op.name).toBe('BiasAdd');
      expect(g.leakyRelu(x, { name: 'lr' }).op.attrs).toEqual({ alpha: 0.2 });
      expect(g.l2Loss(x).shape).toEqual([]);
      const xw = g.xwPlusB(x, g.ones([3, 2]), [1, 2]);
      expect([xw.op.type, xw.op.name, xw.op.inputs[0]!.op.name]).toEqual([
        'BiasAdd',
        'xw_plus_b',
        'xw_plus_b/MatMul',
      ]);
      expect(g.reluLayer(x, g.ones([3, 2]), [1, 2]).op.name).toBe('relu_layer');
    });
  });
  it('fails the run on an out-of-range sparse label, naming the op', () => {
    const graph = new g.Graph();
    const { loss, labels } = graph.asDefault(() => {
      const logits = g.constant([[1, 2, 3]]);
      const labels = g.placeholder('int32', [1]);
      return { loss: g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }), labels };
    });
    const sess = new g.Session(graph);
    expect(() =>
      sess.run(loss, new Map([[labels, new g.NDArray('int32', [1], Int32Array.from([3]))]])),
    ).toThrow(g.InvalidArgumentError);
    expect(() =>
      sess.run(loss, new Map([[labels, new g.NDArray('int32', [1], Int32Array.from([-1]))]])),
    ).toThrow(/label value of -1 which is outside the valid range of \[0, 3\)/);
    sess.close();
  });
});

describe('nn ops: build-time errors', () => {
  const inGraph = (fn: () => void) => new g.Graph().asDefault(fn);
  it('biasAdd checks bias rank and the channel size', () => {
    inGraph(() => {
      const x = g.placeholder('float32', [2, 3], { name: 'x' });
      expect(() => g.biasAdd(x, g.placeholder('float32', [4], { name: 'b' }))).toThrow(
        /BiasAdd op 'BiasAdd': bias size 4 must equal the NHWC channel dimension of value, which is 3.*x:0: float32\[2,3\], b:0: float32\[4\]/,
      );
      expect(() => g.biasAdd(x, g.placeholder('float32', [1, 3]))).toThrow(g.ValueError);
      expect(() => g.biasAdd(g.placeholder('float32', [3]), g.placeholder('float32', [3]))).toThrow(
        /at least rank 2/,
      );
    });
  });
  it('softmaxCrossEntropyWithLogits checks ranks and shapes', () => {
    inGraph(() => {
      const logits = g.placeholder('float32', [2, 3], { name: 'logits' });
      expect(() =>
        g.softmaxCrossEntropyWithLogits({ labels: g.placeholder('float32', [2, 4]), logits }),
      ).toThrow(
        /SoftmaxCrossEntropyWithLogits op 'softmax_cross_entropy_with_logits_sg': logits and labels must have the same shape, got \[2,3\] and \[2,4\]/,
      );
      expect(() =>
        g.softmaxCrossEntropyWithLogits({
          labels: g.placeholder('float32', [2, 3, 4]),
          logits: g.placeholder('float32', [2, 4, 4]),
        }),
      ).toThrow(/same shape, got \[2,4,4\] and \[2,3,4\]/);
      expect(() =>
        g.softmaxCrossEntropyWithLogits({
          labels: g.placeholder('float32', []),
          logits: g.placeholder('float32', []),
        }),
      ).toThrow(/rank at least 1/);
      expect(() => g.softmaxCrossEntropyWithLogits({ labels: logits, logits, axis: 2, name: 'xe' })).toThrow(
        /SoftmaxCrossEntropyWithLogits op 'xe': axis 2 is out of range .* \(must be in \[-2, 2\)\)/,
      );
      expect(() =>
        g.softmaxCrossEntropyWithLogits({
          labels: g.placeholder('float32', null),
          logits: g.placeholder('float32', null),
          axis: 0,
        }),
      ).toThrow(/axis 0 needs a known rank/);
      expect(() =>
        g.SoftmaxCrossEntropyWithLogits.apply({ logits: g.ones([3]), labels: g.ones([3]) }, {}),
      ).toThrow(/must be rank 2/);
      expect(() =>
        g.softmaxCrossEntropyWithLogits({ labels: g.placeholder('int32', [2, 3]), logits }),
      ).toThrow(g.TypeError);
    });
  });
  it('sparseSoftmaxCrossEntropyWithLogits checks label dtype, rank and batch size', () => {
    inGraph(() => {
      const logits = g.placeholder('float32', [2, 3], { name: 'logits' });
      expect(() =>
        g.sparseSoftmaxCrossEntropyWithLogits({ labels: g.placeholder('float32', [2]), logits }),
      ).toThrow(g.TypeError);
      expect(() =>
        g.sparseSoftmaxCrossEntropyWithLogits({ labels: g.placeholder('int32', [2, 3]), logits }),
      ).toThrow(
        /SparseSoftmaxCrossEntropyWithLogits op 'SparseSoftmaxCrossEntropyWithLogits_\d': Rank mismatch: Rank of labels \(received 2\) should equal rank of logits minus 1 \(received 2\)/,
      );
      expect(() =>
        g.sparseSoftmaxCrossEntropyWithLogits({
          labels: g.placeholder('int32', [5], { name: 'ids' }),
          logits,
        }),
      ).toThrow(
        /Shape mismatch: The shape of labels \(received \[5\]\) should equal the shape of logits except for the last dimension \(received \[2,3\]\)/,
      );
      expect(() =>
        g.sparseSoftmaxCrossEntropyWithLogits({
          labels: g.placeholder('int32', [4, 2]),
          logits: g.placeholder('float32', [4, 3, 5]),
        }),
      ).toThrow(/Shape mismatch: .*received \[4,2\].*received \[4,3,5\]/);
      expect(() =>
        g.sparseSoftmaxCrossEntropyWithLogits({ labels: 0, logits: g.placeholder('float32', []) }),
      ).toThrow(/Logits cannot be scalars/);
      expect(() =>
        g.SparseSoftmaxCrossEntropyWithLogits.apply({ logits, labels: g.placeholder('int32', [2, 1]) }, {}),
      ).toThrow(/labels '.*' must be rank 1/);
    });
  });
  it('activations reject non-float inputs where TF does', () => {
    inGraph(() => {
      const i = g.placeholder('int32', [2]);
      expect(() => g.softmax(i)).toThrow(g.TypeError);
      expect(() => g.elu(i)).toThrow(/Elu op 'Elu': x '.*' has dtype int32/);
      expect(() => g.softmax(g.placeholder('float32', []))).toThrow(/rank at least 1/);
      expect(() => g.softmax(g.placeholder('float32', [2, 3]), { axis: -3 })).toThrow(
        /Softmax: axis -3 is out of range for .* of shape \[2,3\] \(must be in \[-2, 2\)\)/,
      );
      expect(() => g.logSoftmax(g.placeholder('float32', null), { axis: 1 })).toThrow(
        /LogSoftmax: axis 1 needs a known rank/,
      );
      expect(() => g.reluGrad(g.placeholder('float32', [2]), g.placeholder('float32', [3]))).toThrow(
        /same shape, got \[2\] and \[3\]/,
      );
    });
  });
});

describe('nn ops: rank handling of the softmax family (TF reshapes around the rank-2 kernels)', () => {
  it('keeps the fused op for rank 2 and reshapes around it otherwise', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const l2 = g.sparseSoftmaxCrossEntropyWithLogits({
        labels: g.placeholder('int32', [4]),
        logits: g.placeholder('float32', [4, 3]),
      });
      expect(l2.op.type).toBe('SparseSoftmaxCrossEntropyWithLogits');
      const l3 = g.sparseSoftmaxCrossEntropyWithLogits({
        labels: g.placeholder('int32', [null, 2]),
        logits: g.placeholder('float32', [null, 2, 3]),
      });
      expect(l3.op.type).toBe('Reshape');
      expect(l3.shape).toEqual([null, 2]);
      const fused = l3.op.inputs[0]!.op;
      expect(fused.type).toBe('SparseSoftmaxCrossEntropyWithLogits');
      expect(fused.inputs[0]!.shape).toEqual([null, 3]);
      const d = g.softmaxCrossEntropyWithLogits({
        labels: g.placeholder('float32', [2, 3, 4]),
        logits: g.placeholder('float32', [2, 3, 4]),
        axis: 1,
      });
      expect(d.shape).toEqual([2, 4]);
      const s = g.softmax(g.placeholder('float32', [2, 3, 4]), { axis: 0, name: 'sm' });
      expect([s.op.type, s.op.name, s.shape]).toEqual(['Transpose', 'sm', [2, 3, 4]]);
    });
  });
});
