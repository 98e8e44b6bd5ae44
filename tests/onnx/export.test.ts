// exportOnnx writes a model that onnxruntime's public InferenceSession runs on its own, giving
// what Session.run gives; names follow the graph (nodes) and the signature (inputs, outputs).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { exportOnnx } from '@graphmode/onnx';
import { createTrainOp, GradientDescentOptimizer } from '@graphmode/train';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelProto } from '../../packages/onnx/src/onnx_proto.js';
import { expectClose, randomArray } from '../helpers.js';

function convnet() {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    g.setRandomSeed(1);
    const images = g.placeholder('float32', [null, 8, 8, 1], { name: 'images' });
    const labels = g.placeholder('int32', [null], { name: 'labels' });
    const k = g.variable(g.truncatedNormal([3, 3, 1, 4], { stddev: 0.3 }), { name: 'conv/kernel' });
    const h = g.nameScope('conv', () => g.relu(g.conv2d(images, k, { padding: 'SAME' })));
    const p = g.maxPool(h, { ksize: 2, strides: 2, padding: 'SAME' });
    const w = g.variable(g.truncatedNormal([64, 10], { stddev: 0.1 }), { name: 'dense/kernel' });
    const b = g.variable(g.zeros([10]), { name: 'dense/bias' });
    const logits = g.nameScope('dense', () => g.biasAdd(g.matMul(g.reshape(p, [-1, 64]), w), b));
    const probs = g.softmax(logits, { name: 'probs' });
    const loss = g.losses.sparseSoftmaxCrossEntropy(labels, logits);
    const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.5));
    return { graph, images, labels, logits, probs, trainOp, init: g.globalVariablesInitializer() };
  });
}

describe('exportOnnx', () => {
  it('writes a model onnxruntime runs on its own, matching Session.run with trained weights', async () => {
    const m = convnet();
    const sess = new g.Session(m.graph);
    sess.run(m.init);
    const x = randomArray([5, 8, 8, 1], 'normal', 3);
    for (let i = 0; i < 3; i++)
      sess.run(m.trainOp, [
        [m.images, x],
        [m.labels, [1, 2, 3, 4, 5]],
      ]);
    const dir = mkdtempSync(join(tmpdir(), 'graphmode-onnx-'));
    const path = join(dir, 'convnet.onnx');
    await exportOnnx(
      sess,
      { inputs: { pixels: m.images }, outputs: { probs: m.probs, logits: m.logits } },
      path,
    );

    const model = await ort.InferenceSession.create(path);
    expect(model.inputNames).toEqual(['pixels']);
    expect([...model.outputNames].sort()).toEqual(['logits', 'probs']);
    const got = await model.run({ pixels: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    const [probs, logits] = sess.run([m.probs, m.logits], [[m.images, x]]);
    for (const [name, want] of [
      ['probs', probs],
      ['logits', logits],
    ] as const) {
      const t = got[name]!;
      expectClose(new g.NDArray('float32', t.dims.slice(), t.data as Float32Array), want!, 1e-5);
    }
    // TF names are the node names; the trained (not initial) weights are the initializers.
    const proto = ModelProto.toObject(ModelProto.decode(readFileSync(path)), { longs: Number }) as {
      graph: { node: { name: string }[]; initializer: { name: string }[] };
    };
    const nodes = proto.graph.node.map((n) => n.name);
    expect(nodes).toEqual(
      expect.arrayContaining(['conv/Conv2D', 'conv/Relu', 'MaxPool', 'dense/MatMul', 'probs']),
    );
    expect(proto.graph.initializer.map((t) => t.name)).toEqual(
      expect.arrayContaining(['conv/kernel', 'dense/kernel', 'dense/bias']),
    );
    expect(readdirSync(dir)).toEqual(['convnet.onnx']);
    sess.close();
  });

  it('an op without a lowering fails the export, naming it, and writes nothing', async () => {
    const graph = new g.Graph();
    const { x, y } = graph.asDefault(() => {
      const x = g.placeholder('float32', [3], { name: 'x' });
      return { x, y: g.add(x, g.randomUniform([3], { seed: 1 }), { name: 'noisy' }) };
    });
    const sess = new g.Session(graph);
    const dir = mkdtempSync(join(tmpdir(), 'graphmode-onnx-'));
    await expect(exportOnnx(sess, { inputs: { x }, outputs: { y } }, join(dir, 'm.onnx'))).rejects.toThrow(
      /RandomUniform.*no ONNX lowering/,
    );
    expect(readdirSync(dir)).toEqual([]);
    sess.close();
  });
});
