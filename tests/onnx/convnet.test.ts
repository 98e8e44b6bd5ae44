// A convnet with batch normalization (moments over N, H, W; moving averages kept with
// assignSub) and dropout-free mnist_deep layers trains to the same losses on onnxruntime as on
// tfjs, with every op of the training step (forward, gradient, update) inside ONNX.
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import { AdamOptimizer, createTrainOp } from '@graphmode/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomArray } from '../helpers.js';
import { fallbackOps, ready } from './harness.js';

beforeAll(ready);

function convnet() {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    g.setRandomSeed(4);
    const x = g.placeholder('float32', [null, 10, 10, 1], { name: 'x' });
    const labels = g.placeholder('int32', [null], { name: 'labels' });
    const conv = (h: g.Tensor, cin: number, cout: number, name: string) =>
      g.nameScope(name, () => {
        const w = g.variable(g.truncatedNormal([3, 3, cin, cout], { stddev: 0.3 }), { name: 'w' });
        const y = g.conv2d(h, w, { padding: 'SAME' });
        // Batch norm: batch statistics for training, moving averages updated alongside.
        const [mean, variance] = g.moments(y, [0, 1, 2]);
        const movingMean = g.variable(g.zeros([cout]), { name: 'moving_mean', trainable: false });
        const update = movingMean.assignSub(g.mul(g.sub(movingMean, mean), 0.1));
        g.getDefaultGraph().addToCollection(g.GraphKeys.UPDATE_OPS, update.op);
        const gamma = g.variable(g.ones([cout]), { name: 'gamma' });
        const beta = g.variable(g.zeros([cout]), { name: 'beta' });
        return g.relu(g.batchNormalization(y, mean, variance, beta, gamma, 1e-3));
      });
    const h1 = g.maxPool(conv(x, 1, 4, 'conv1'), { ksize: 2, strides: 2, padding: 'SAME' });
    const h2 = g.avgPool(conv(h1, 4, 6, 'conv2'), { ksize: 2, strides: 2, padding: 'VALID' });
    const flat = g.reshape(h2, [-1, 2 * 2 * 6]);
    const w = g.variable(g.truncatedNormal([24, 10], { stddev: 0.2 }), { name: 'fc/w' });
    const b = g.variable(g.zeros([10]), { name: 'fc/b' });
    const loss = g.losses.sparseSoftmaxCrossEntropy(labels, g.biasAdd(g.matMul(flat, w), b));
    const trainOp = createTrainOp(loss, new AdamOptimizer({ learningRate: 0.01 }));
    return { graph, x, labels, trainOp, init: g.globalVariablesInitializer() };
  });
}

describe('convnet with batch normalization on onnxruntime', () => {
  it('trains to the same losses as on tfjs-cpu (relative 1e-4 over 30 steps), all in ONNX', () => {
    const m = convnet();
    const xs = randomArray([8, 10, 10, 1], 'normal', 5);
    const ys = new g.NDArray('int32', [8], Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    const md = new g.RunMetadata();
    const [want, got] = [{}, { backend: 'onnxruntime' as const }].map((opts) => {
      const sess = new g.Session(m.graph, opts);
      sess.run(m.init);
      const losses = Array.from({ length: 30 }, (_, i) =>
        Number(
          sess
            .run(
              m.trainOp,
              [
                [m.x, xs],
                [m.labels, ys],
              ],
              i === 1 && 'backend' in opts ? { runMetadata: md } : {},
            )
            .item(),
        ),
      );
      sess.close();
      return losses;
    });
    got!.forEach((l, i) => {
      if (Math.abs(l - want![i]!) > 1e-4 * Math.abs(want![i]!))
        throw new Error(`step ${i + 1}: ${l} vs tfjs ${want![i]}`);
    });
    expect(want![29]!).toBeLessThan(want![0]!);
    expect(fallbackOps(m.graph, md).map((op) => op.type)).toEqual([]);
    expect(md.stepStats.map((s) => s.opType)).toEqual(['OnnxSegment']);
  });
});
