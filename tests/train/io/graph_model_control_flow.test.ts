// tfjs graph models with control flow: saveGraphModel writes cond's If and whileLoop's / mapFn's
// While with their bodies in the GraphDef's function library (mapFn's per-row reads and stacked
// results as TensorList ops), and @tensorflow/tfjs-converter's own loadGraphModel executes them
// to Session.run's values; graphmode's loadGraphModel reads them back.
import * as g from '@graphmode/graph';
import { GradientDescentOptimizer, loadGraphModel, saveGraphModel } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { condInWhile } from '../../fixtures/models.js';
import { dirHandler, readModel, tempDir } from './graph_model_dir.js';

interface Case {
  graph: g.Graph;
  x: g.Tensor;
  y: g.Tensor;
  feeds: g.NDArray[];
  ops: string[];
}

/** A dense layer under a cond: y = relu(x·w) when sum(x) > 0, else -x·w·2. */
function condModel(): Case {
  const graph = new g.Graph();
  const [x, y] = graph.asDefault(() => {
    const x = g.placeholder('float32', [2, 3], { name: 'x' });
    const w = g.variable(
      g.constant([
        [1, -2],
        [0.5, 1],
        [-1, 3],
      ]),
      { name: 'w' },
    );
    const xw = g.matMul(x, w.value());
    const y = g.cond(
      g.greater(g.reduceSum(x), 0),
      () => g.relu(xw),
      () => g.mul(g.neg(xw), 2),
    );
    return [x, g.identity(y, { name: 'y' })] as const;
  });
  const pos = new g.NDArray('float32', [2, 3], Float32Array.from([1, 2, 3, -1, 0.5, 2]));
  const neg = new g.NDArray('float32', [2, 3], Float32Array.from([-1, -2, -3, 1, 0.5, -2]));
  return { graph, x, y, feeds: [pos, neg], ops: ['StatelessIf'] };
}

/** x^n by repeated multiply in a whileLoop whose trip count is read from the input. */
function whileModel(): Case {
  const graph = new g.Graph();
  const [x, y] = graph.asDefault(() => {
    const x = g.placeholder('float32', [3], { name: 'x' });
    const n = g.cast(g.reduceMax(g.abs(x)), 'int32');
    const [, p] = g.whileLoop(
      (i: g.Tensor) => g.less(i, n),
      (i: g.Tensor, acc: g.Tensor) => [g.add(i, 1), g.mul(acc, x)],
      [g.constant(0, { dtype: 'int32' }), g.onesLike(x)],
    );
    return [x, g.identity(p as g.Tensor, { name: 'y' })] as const;
  });
  const a = new g.NDArray('float32', [3], Float32Array.from([1.5, -2, 3]));
  const b = new g.NDArray('float32', [3], Float32Array.from([0.5, 0.25, 1]));
  return { graph, x, y, feeds: [a, b], ops: ['StatelessWhile'] };
}

/** mapFn over rows and a reversed scan: sliced inputs and stacked outputs become TensorLists. */
function mapScanModel(): Case {
  const graph = new g.Graph();
  const [x, y] = graph.asDefault(() => {
    const x = g.placeholder('float32', [4, 2], { name: 'x' });
    const w = g.variable(g.constant([2, -1]), { name: 'w' });
    const m = g.mapFn((r: g.Tensor) => g.mul(g.tanh(r), w.value()), x) as g.Tensor;
    const s = g.scan((a: g.Tensor, r: g.Tensor) => g.add(g.mul(a, 0.5), r), m, { reverse: true }) as g.Tensor;
    return [x, g.identity(s, { name: 'y' })] as const;
  });
  const a = new g.NDArray('float32', [4, 2], Float32Array.from([1, 2, 3, 4, -1, -2, 0.5, 0.25]));
  return { graph, x, y, feeds: [a], ops: ['StatelessWhile', 'TensorListFromTensor', 'TensorListStack'] };
}

/** A cond nested in a whileLoop body (a function calling functions). */
function nestedModel(): Case {
  const graph = new g.Graph();
  const [x, y] = graph.asDefault(() => {
    const x = g.placeholder('float32', [3], { name: 'x' });
    return [x, g.identity(condInWhile(x), { name: 'y' })] as const;
  });
  const a = new g.NDArray('float32', [3], Float32Array.from([1, -2, 4]));
  return { graph, x, y, feeds: [a], ops: ['StatelessWhile'] };
}

/**
 * An LSTM over 3 steps (dynamicRnn) with a training step built: the forward loop also keeps the
 * per-step history its gradient reads (TensorList accumulators in the export).
 */
function lstmModel(): Case {
  const graph = new g.Graph();
  const [x, y] = graph.asDefault(() => {
    const x = g.placeholder('float32', [2, 3, 4], { name: 'x' });
    const cell = new g.nn.rnnCell.BasicLSTMCell(5);
    const [out] = g.nn.dynamicRnn(cell, x, { dtype: 'float32' });
    new GradientDescentOptimizer(0.1).minimize(g.reduceSum(g.square(out as g.Tensor)));
    return [x, g.identity(out as g.Tensor, { name: 'y' })] as const;
  });
  const a = new g.NDArray(
    'float32',
    [2, 3, 4],
    Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
  );
  return { graph, x, y, feeds: [a], ops: ['StatelessWhile', 'TensorListFromTensor', 'EmptyTensorList'] };
}

describe('saveGraphModel with control flow', () => {
  for (const [name, make] of [
    ['a cond', condModel],
    ['a whileLoop', whileModel],
    ['mapFn and scan', mapScanModel],
    ['a cond nested in a whileLoop', nestedModel],
    ['a dynamicRnn LSTM', lstmModel],
  ] as const) {
    it(`writes ${name} that tfjs-converter's loadGraphModel executes to Session.run's values`, async () => {
      const c = make();
      const sess = new g.Session(c.graph);
      sess.run(c.graph.asDefault(() => g.globalVariablesInitializer()));
      const dir = tempDir('graph-model-cf-');
      await saveGraphModel(sess, dir, { inputs: { x: c.x }, outputs: { y: c.y } });
      const model = readModel(dir);
      const ops = model.modelTopology.node.map((n) => n.op);
      for (const op of c.ops) expect(ops).toContain(op);
      expect(model.modelTopology.library!.function.length).toBeGreaterThanOrEqual(2);

      const loaded = await tf.loadGraphModel(dirHandler(dir));
      for (const feed of c.feeds) {
        const want = sess.run(c.y, [[c.x, feed]]);
        const x = tf.tensor(feed.data as Float32Array, feed.shape);
        const out = (await loaded.executeAsync({ x }, 'y')) as tf.Tensor;
        expect(out.shape).toEqual(want.shape);
        const got = Array.from(out.dataSync());
        Array.from(want.data as Float32Array).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
        tf.dispose([x, out]);
      }
      loaded.dispose();
      // graphmode's own loader brings the functions back as cond / whileLoop bodies.
      const mine = await loadGraphModel(dir);
      const mySess = new g.Session(mine.graph);
      for (const feed of c.feeds) {
        const want = sess.run(c.y, [[c.x, feed]]);
        const back = mySess.run(mine.outputs.y!, [[mine.inputs.x!, feed]]);
        expect(Array.from(back.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
      }
      sess.close();
      mySess.close();
    });
  }
});
