// The executor's peephole passes (packages/onnx/src/fuse.ts): each one must fire where it is
// meant to (a pass that silently stops matching only costs time, so the compiled models are
// inspected) and the fused models must train exactly as tfjs does.
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import { createTrainOp, GradientDescentOptimizer, MomentumOptimizer, type Optimizer } from '@graphmode/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelProto } from '../../packages/onnx/src/onnx_proto.js';
import { expectClose } from '../helpers.js';
import { ready } from './harness.js';

beforeAll(ready);

interface DecodedNode {
  op_type: string;
  name: string;
  input: string[];
}
/** The nodes of every ONNX model a session compiled (white-box: the executor's plan cache). */
function compiledNodes(sess: g.Session): DecodedNode[][] {
  const executor = (sess as unknown as { executor: { compiled: Map<unknown, Map<string, Compiled>> } })
    .executor;
  const models: DecodedNode[][] = [];
  for (const byShape of executor.compiled.values())
    for (const c of byShape.values())
      for (const u of c.units)
        if (u.segment)
          models.push(
            (ModelProto.decode(u.segment.bytes) as unknown as { graph: { node: DecodedNode[] } }).graph.node,
          );
  return models;
}
interface Compiled {
  units: { segment?: { bytes: Uint8Array } }[];
}

/** A 2-layer MLP; `optimizer` gets the learning rate: a constant or (lrFed) a fed placeholder. */
function mlp(lrFed: boolean, optimizer: (lr: number) => Optimizer) {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    g.setRandomSeed(4);
    const x = g.placeholder('float32', [null, 6], { name: 'x' });
    const y = g.placeholder('int32', [null], { name: 'y' });
    const w1 = g.variable(g.randomNormal([6, 8], { stddev: 0.5 }), { name: 'w1' });
    const b1 = g.variable(g.zeros([8]), { name: 'b1' });
    const w2 = g.variable(g.randomNormal([8, 3], { stddev: 0.5 }), { name: 'w2' });
    const h = g.relu(g.biasAdd(g.matMul(x, w1), b1));
    const loss = g.losses.sparseSoftmaxCrossEntropy(y, g.matMul(h, w2));
    const lr = lrFed ? g.placeholder('float32', [], { name: 'lr' }) : 0.3;
    const trainOp = createTrainOp(loss, optimizer(lr as number));
    const feeds: [g.Tensor, g.TensorLike][] = [
      [
        x,
        new g.NDArray(
          'float32',
          [5, 6],
          Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)),
        ),
      ],
      [y, [0, 2, 1, 1, 0]],
    ];
    if (lrFed) feeds.push([lr as g.Tensor, 0.3]);
    return { graph, trainOp, init: g.globalVariablesInitializer(), feeds, vars: [w1, b1, w2] };
  });
}

/** Trains 10 steps on tfjs-cpu and on onnxruntime; compares the variables; returns the onnx session's models. */
function trainBoth(lrFed: boolean, optimizer: (lr: number) => Optimizer = sgd): DecodedNode[][] {
  const m = mlp(lrFed, optimizer);
  const [cpu, ort] = [new g.Session(m.graph), new g.Session(m.graph, { backend: 'onnxruntime' })];
  try {
    for (const sess of [cpu, ort]) {
      sess.run(m.init);
      for (let i = 0; i < 10; i++) sess.run(m.trainOp, m.feeds);
    }
    const [want, got] = [cpu, ort].map((s) => s.run(m.vars));
    got!.forEach((v, i) => expectClose(v, want![i]!, 1e-5));
    return compiledNodes(ort);
  } finally {
    cpu.close();
    ort.close();
  }
}

const sgd = (lr: number) => new GradientDescentOptimizer(lr);
const updates = (models: DecodedNode[][], opType: string, op = 'ApplyGradientDescent') =>
  models.flat().filter((n) => n.op_type === opType && n.name.includes(op));

describe('fuseUpdateGemm', () => {
  it('folds each weight update into its gradient Gemm (var as C), matching tfjs after 10 steps', () => {
    const models = trainBoth(false);
    // Both weights (w1's gradient is xᵀ·dy: transA) are updated by a Gemm with three inputs...
    const fused = updates(models, 'Gemm');
    expect(fused.map((n) => n.input.length)).toEqual([3, 3]);
    // ...and only the bias (a ReduceSum gradient) keeps its Sub.
    expect(updates(models, 'Sub')).toHaveLength(1);
  });

  it('leaves a fed learning rate alone (Gemm takes alpha as an attribute)', () => {
    const models = trainBoth(true);
    expect(updates(models, 'Gemm')).toEqual([]);
    expect(updates(models, 'Sub')).toHaveLength(3);
  });

  it('folds momentum into the gradient Gemm (accum as C, beta = momentum), matching tfjs', () => {
    const models = trainBoth(false, (lr) => new MomentumOptimizer(lr, 0.9));
    expect(updates(models, 'Gemm', 'ApplyMomentum').map((n) => n.input.length)).toEqual([3, 3]);
    // Each var update (var - accum·lr) is still a Sub; only the bias's accum keeps its Add.
    expect(updates(models, 'Add', 'ApplyMomentum')).toHaveLength(1);
  });

  it('leaves Nesterov momentum alone (it reads the gradient twice), matching tfjs', () => {
    const models = trainBoth(false, (lr) => new MomentumOptimizer(lr, 0.9, { useNesterov: true }));
    expect(updates(models, 'Gemm', 'ApplyMomentum')).toEqual([]);
  });
});
