import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import { GradientDescentOptimizer, createTrainOp } from '@graphmode/train';
const graph = new g.Graph();
const { x, y, trainOp, init } = graph.asDefault(() => {
  const x = g.placeholder('float32', [null, 784]); const y = g.placeholder('int32', [null]);
  let h: g.Tensor = x;
  for (const [i, n] of [256, 256, 10].entries()) {
    const w = g.variable(g.truncatedNormal([h.shape![1] as number, n], { stddev: 0.05 }));
    const b = g.variable(g.zeros([n]));
    h = g.biasAdd(g.matMul(h, w), b); if (i < 2) h = g.relu(h);
  }
  const loss = g.losses.sparseSoftmaxCrossEntropy(y, h);
  return { x, y, trainOp: createTrainOp(loss, new GradientDescentOptimizer(0.1)), init: g.globalVariablesInitializer() };
});
const s = await g.Session.create(graph, { backend: 'onnxruntime' });
s.run(init);
const xs = new g.NDArray('float32', [64, 784], new Float32Array(64 * 784).fill(0.5));
const ys = new g.NDArray('int32', [64], new Int32Array(64));
for (let i = 0; i < 20; i++) s.run(trainOp, [[x, xs], [y, ys]]);
let seg = 0; const N = 200; const t0 = performance.now();
for (let i = 0; i < N; i++) { const md = new g.RunMetadata(); s.run(trainOp, [[x, xs], [y, ys]], { runMetadata: md }); seg += md.stepStats.reduce((a, b) => a + b.durationMicros, 0); }
console.log('total ms', (performance.now() - t0) / N, 'segment ms', seg / N / 1000);
const md = new g.RunMetadata(); s.run(trainOp, [[x, xs], [y, ys]], { runMetadata: md }); console.log(md.stepStats.map((z) => z.nodeName));
