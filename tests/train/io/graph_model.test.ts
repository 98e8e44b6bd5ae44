// tfjs graph models: saveGraphModel's directory is loaded by @tensorflow/tfjs-converter's own
// loadGraphModel (an independent reader of model.json and the weight shards) and gives the values
// Session.run gives; loadGraphModel brings it back into graphmode, trainable if asked.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as g from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer, loadGraphModel, saveGraphModel } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convnet, mlp } from '../../fixtures/models.js';
import { dirHandler, readModel, tempDir } from './graph_model_dir.js';

describe('saveGraphModel', () => {
  for (const [name, make] of [
    ['an MLP', mlp],
    ['a convnet with batch norm (inference)', convnet],
  ] as const) {
    it(`writes ${name} that tfjs-converter's loadGraphModel executes to Session.run's values`, async () => {
      const m = make();
      const want = m.sess.run(m.y, [[m.x, m.input]]);
      const dir = tempDir();
      await saveGraphModel(m.sess, dir, { inputs: { x: m.x }, outputs: { y: m.y } });
      const model = readModel(dir);
      expect(model.format).toBe('graph-model');
      // Frozen: no variables left; every constant is a weight.
      const ops = model.modelTopology.node.map((n) => n.op);
      expect(ops).not.toContain('VariableV2');
      const consts = model.modelTopology.node.filter((n) => n.op === 'Const').map((n) => n.name);
      expect(model.weightsManifest[0]!.weights.map((w) => w.name).sort()).toEqual(consts.sort());

      const loaded = await tf.loadGraphModel(dirHandler(dir));
      const x = tf.tensor(m.input.data as Float32Array, m.input.shape);
      const y = loaded.execute({ x }, 'y') as tf.Tensor;
      expect(y.shape).toEqual(want.shape);
      const got = Array.from(y.dataSync());
      const exp = Array.from(want.data as Float32Array);
      got.forEach((v, i) => expect(v).toBeCloseTo(exp[i]!, 6));
      tf.dispose([x, y]);
      loaded.dispose();
      m.sess.close();
    });
  }

  it('splits weights into shards of at most 4 MB that tf.io.decodeWeights reads', async () => {
    const graph = new g.Graph();
    const [x, y] = graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 1100], { name: 'x' });
      const w = g.variable(g.fill([1100, 1000], 0.5), { name: 'w' });
      return [x, g.matMul(x, w.value(), { name: 'y' })] as const;
    });
    const sess = new g.Session(graph);
    sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
    const dir = tempDir();
    await saveGraphModel(sess, dir, { inputs: { x }, outputs: { y } });
    const { paths, weights } = readModel(dir).weightsManifest[0]!;
    expect(paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    for (const p of paths) expect(statSync(join(dir, p)).size).toBeLessThanOrEqual(4 * 1024 * 1024);
    const data = new Uint8Array(Buffer.concat(paths.map((p) => readFileSync(join(dir, p)))));
    const decoded = tf.io.decodeWeights(data.buffer, weights);
    expect(decoded.w!.shape).toEqual([1100, 1000]);
    expect(decoded.w!.dataSync()[1099999]).toBe(0.5);
    tf.dispose(Object.values(decoded));
    expect(readdirSync(dir).some((f) => f.includes('tempstate'))).toBe(false);
    sess.close();
  });
});

describe('loadGraphModel', () => {
  it('imports a saved model with its signature, giving the same values', async () => {
    const m = convnet();
    const want = m.sess.run(m.y, [[m.x, m.input]]);
    const dir = tempDir();
    await saveGraphModel(m.sess, dir, { inputs: { x: m.x }, outputs: { y: m.y } });
    const { graph, inputs, outputs, variables } = await loadGraphModel(dir);
    expect(variables).toEqual([]);
    const sess = new g.Session(graph);
    expect(sess.run(outputs.y!, [[inputs.x!, m.input]])).toEqual(want);
    sess.close();
    m.sess.close();
  });

  it('reads a frozen GraphDef (.pb) too', async () => {
    const m = mlp();
    const want = m.sess.run(m.y, [[m.x, m.input]]);
    const dir = tempDir();
    const pb = join(dir, 'frozen.pb');
    writeFileSync(pb, g.encodeGraphDef(g.convertVariablesToConstants(m.sess, m.graph, ['probs'])));
    const { graph, inputs, outputs } = await loadGraphModel(pb);
    expect(Object.keys(inputs)).toEqual(['x']);
    expect(Object.keys(outputs)).toEqual(['probs']);
    const sess = new g.Session(graph);
    expect(sess.run(outputs.probs!, [[inputs.x!, m.input]])).toEqual(want);
    sess.close();
    m.sess.close();
  });

  it('with trainable, turns weights into Variables that createTrainOp fine-tunes: the loss keeps falling', async () => {
    const m = mlp();
    const labels = new g.NDArray(
      'float32',
      [5, 3],
      Float32Array.from({ length: 15 }, (_, i) => (i % 4 === 0 ? 1 : 0)),
    );
    const lossOf = (graph: g.Graph, probs: g.Tensor) =>
      graph.asDefault(() => {
        const t = g.placeholder('float32', [null, 3], { name: 'labels' });
        const loss = g.reduceMean(g.reduceSum(g.mul(g.neg(t), g.log(g.add(probs, 1e-6))), 1));
        return { t, train: createTrainOp(loss, new GradientDescentOptimizer(0.5), { globalStep: null }) };
      });
    const before = lossOf(m.graph, m.y);
    m.sess.run(m.graph.asDefault(() => g.globalVariablesInitializer()));
    const first: number[] = [];
    for (let i = 0; i < 5; i++)
      first.push(
        m.sess
          .run(before.train, [
            [m.x, m.input],
            [before.t, labels],
          ])
          .item() as number,
      );
    const dir = tempDir();
    await saveGraphModel(m.sess, dir, { inputs: { x: m.x }, outputs: { probs: m.y } });

    const { graph, inputs, outputs, variables } = await loadGraphModel(dir, { trainable: true });
    expect(variables.map((v) => v.op.name).sort()).toEqual([
      'dense/bias',
      'dense/kernel',
      'dense_1/bias',
      'dense_1/kernel',
    ]);
    expect(variables.every((v) => v.trainable)).toBe(true);
    const after = lossOf(graph, outputs.probs!);
    const sess = new g.Session(graph);
    sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
    const more: number[] = [];
    for (let i = 0; i < 5; i++)
      more.push(
        sess
          .run(after.train, [
            [inputs.x!, m.input],
            [after.t, labels],
          ])
          .item() as number,
      );
    // The reloaded model starts where training stopped, and keeps improving.
    expect(more[0]!).toBeLessThan(first[4]!);
    for (let i = 1; i < more.length; i++) expect(more[i]!).toBeLessThan(more[i - 1]!);
    sess.close();
    m.sess.close();
  });

  it('is a NotFoundError for an op type graphmode does not know', async () => {
    const m = mlp();
    const dir = tempDir();
    await saveGraphModel(m.sess, dir, { inputs: { x: m.x }, outputs: { y: m.y } });
    const model = readModel(dir);
    model.modelTopology.node.find((n) => n.op === 'Relu')!.op = 'MyCustomRelu';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
    await expect(loadGraphModel(dir)).rejects.toThrow(g.NotFoundError);
    await expect(loadGraphModel(dir)).rejects.toThrow("Op type not registered 'MyCustomRelu' in binary");
    m.sess.close();
  });
});
