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

const cases: ForwardCase[] = [
  unary('relu', g.relu, tf.relu),
  unary('relu6', g.relu6, tf.relu6, [-4, 10]),
  unary('elu', g.elu, tf.elu),
  unary('softplus', g.softplus, tf.softplus),
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
  unary('l2Loss', g.l2Loss, (x) => tf.div(tf.sum(tf.square(x)), 2)),
  gradRow('reluGrad', g.reluGrad, tf.relu),
  gradRow('relu6Grad', g.relu6Grad, tf.relu6, [-3, 9]),
  gradRow('softplusGrad', g.softplusGrad, tf.softplus),
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
        /SoftmaxCrossEntropyWithLogits .*logits and labels must have the same shape, got \[2,3\] and \[2,4\]/,
      );
      expect(() =>
        g.softmaxCrossEntropyWithLogits({
          labels: g.placeholder('float32', [3]),
          logits: g.placeholder('float32', [3]),
        }),
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
      ).toThrow(/labels '.*' must be rank 1/);
      expect(() =>
        g.sparseSoftmaxCrossEntropyWithLogits({
          labels: g.placeholder('int32', [5], { name: 'ids' }),
          logits,
        }),
      ).toThrow(/same first dimension, got logits shape \[2,3\] and labels shape \[5\]/);
    });
  });
  it('activations reject non-float inputs where TF does', () => {
    inGraph(() => {
      const i = g.placeholder('int32', [2]);
      expect(() => g.softmax(i)).toThrow(g.TypeError);
      expect(() => g.elu(i)).toThrow(/Elu op 'Elu': x '.*' has dtype int32/);
      expect(() => g.softmax(g.placeholder('float32', []))).toThrow(/rank at least 1/);
      expect(() => g.reluGrad(g.placeholder('float32', [2]), g.placeholder('float32', [3]))).toThrow(
        /same shape, got \[2\] and \[3\]/,
      );
    });
  });
});
