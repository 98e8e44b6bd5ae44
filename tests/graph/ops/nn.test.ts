import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { forwardCases, named } from '../../op_table.js';
import { nnOps } from '../../tables/nn.js';
import { checkForward } from './harness.js';

describe('nn ops: forward vs eager tfjs', () => {
  it.each(named(forwardCases(nnOps)))('%s', (_, c) => checkForward(c));
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
  it('fails the run when fed labels and logits disagree on the batch, naming both shapes', () => {
    const graph = new g.Graph();
    const { loss, labels, logits } = graph.asDefault(() => {
      const logits = g.placeholder('float32', [null, 3]);
      const labels = g.placeholder('int32', [null]);
      return { loss: g.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }), labels, logits };
    });
    const sess = new g.Session(graph);
    const feeds = new Map([
      [logits, new g.NDArray('float32', [2, 3], new Float32Array(6))],
      [labels, new g.NDArray('int32', [1], Int32Array.from([0]))],
    ]);
    expect(() => sess.run(loss, feeds)).toThrow(
      /logits and labels must have the same first dimension, got logits shape \[2,3\] and labels shape \[1\]/,
    );
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
