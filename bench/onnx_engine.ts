// The engine's own cost: the MLP 784-256-256-10 training step (softmax cross-entropy, SGD or Adam)
// written directly as one ONNX graph, run through the same synchronous binding as the executor,
// weights (and Adam's slots) fed in and the new values fetched out and fed back next step. What
// the 'onnxruntime' backend spends beyond this is ours (bench/onnx.ts reports the ratio).
import { OnnxGraph } from '../packages/onnx/src/model.js';
import { type OrtTensor, ort, SyncModel } from '../packages/onnx/src/ort.js';

const LAYERS = [784, 256, 256, 10];
const f32 = (v: number) => ({ dtype: 'float32' as const, dims: [], data: Float32Array.of(v) });

function stepGraph(adam: boolean, batch: number): { g: OnnxGraph; state: string[]; next: string[] } {
  const g = new OnnxGraph();
  let n = 0;
  const op = (type: string, ins: string[], attrs = {}) => g.node(type, ins, attrs, `n${n++}`)[0]!;
  const c = (v: number) => g.constant('c', f32(v));
  g.addInput('x', 'float32', [batch, LAYERS[0]!]);
  g.addInput('labels', 'int32', [batch]);
  const state: string[] = [];
  const params: [string, string][] = [];
  for (let l = 0; l < 3; l++) {
    const [w, b] = [`w${l}`, `b${l}`];
    g.addInput(w, 'float32', [LAYERS[l]!, LAYERS[l + 1]!]);
    g.addInput(b, 'float32', [LAYERS[l + 1]!]);
    state.push(w, b);
    params.push([w, b]);
  }
  const acts = ['x'];
  for (let l = 0; l < 3; l++) {
    const y = op('Add', [op('MatMul', [acts[l]!, params[l]![0]]), params[l]![1]]);
    acts.push(l < 2 ? op('Relu', [y]) : y);
  }
  const logits = acts[3]!;
  const onehot = op('OneHot', [op('Cast', ['labels'], { to: 7 }), g.int64s([10]), g.int64s([0, 1])]);
  const loss = op('Div', [
    op('Neg', [
      op('ReduceSum', [op('Mul', [op('Cast', [onehot], { to: 1 }), op('LogSoftmax', [logits])])], {
        keepdims: 0,
      }),
    ]),
    c(batch),
  ]);
  g.addOutput(op('Identity', [loss]), 'float32', []);
  let dy = op('Div', [op('Sub', [op('Softmax', [logits]), op('Cast', [onehot], { to: 1 })]), c(batch)]);
  const grads: string[] = [];
  for (let l = 2; l >= 0; l--) {
    grads.unshift(
      op('Gemm', [acts[l]!, dy], { transA: 1 }),
      op('ReduceSum', [dy, g.int64s([0])], { keepdims: 0 }),
    );
    if (l > 0) {
      const dh = op('Gemm', [dy, params[l]![0]], { transB: 1 });
      dy = op('Where', [op('Greater', [acts[l]!, c(0)]), dh, c(0)]);
    }
  }
  const next: string[] = [];
  if (!adam) state.forEach((p, i) => next.push(op('Sub', [p, op('Mul', [grads[i]!, c(0.1)])])));
  else {
    g.addInput('alpha', 'float32', []);
    for (const [i, p] of [...state].entries()) {
      const [m, v] = [`m${i}`, `v${i}`];
      g.addInput(m, 'float32', null);
      g.addInput(v, 'float32', null);
      const gr = grads[i]!;
      const m1 = op('Add', [m, op('Mul', [op('Sub', [gr, m]), c(0.1)])]);
      const v1 = op('Add', [v, op('Mul', [op('Sub', [op('Mul', [gr, gr]), v]), c(0.001)])]);
      next.push(
        op('Sub', [p, op('Div', [op('Mul', [m1, 'alpha']), op('Add', [op('Sqrt', [v1]), c(1e-8)])])]),
        m1,
        v1,
      );
    }
    state.push(...state.flatMap((_, i) => [`m${i}`, `v${i}`]));
  }
  for (const x of next) g.addOutput(x, 'float32', null);
  return { g, state: adam ? reorder(state) : state, next };
}
// Adam's outputs come as (param, m, v) triples: order the state names the same way.
const reorder = (s: string[]) => s.slice(0, 6).flatMap((p, i) => [p, `m${i}`, `v${i}`]);

/** A step function over resident state: each call feeds the previous call's outputs. */
export function handBuiltStep(
  adam: boolean,
  x: Float32Array,
  labels: Int32Array,
  threads = 1,
  allowSpinning = false,
): () => void {
  const batch = labels.length;
  const { g, state, next } = stepGraph(adam, batch);
  const model = new SyncModel(g.encode('handbuilt'), [g.outputs[0]!.name, ...next], {
    intraOpNumThreads: threads,
    allowSpinning,
  });
  const shapes = new Map<string, number[]>();
  for (let l = 0; l < 3; l++) {
    shapes.set(`w${l}`, [LAYERS[l]!, LAYERS[l + 1]!]);
    shapes.set(`b${l}`, [LAYERS[l + 1]!]);
  }
  const values: Record<string, OrtTensor> = {
    x: new ort.Tensor('float32', x, [batch, 784]),
    labels: new ort.Tensor('int32', labels, [batch]),
  };
  if (adam) values.alpha = new ort.Tensor('float32', Float32Array.of(1e-3), []);
  for (let l = 0; l < 3; l++)
    for (const [k, p] of [`w${l}`, `b${l}`].entries()) {
      const dims = shapes.get(p)!;
      const size = dims.reduce((a, b) => a * b, 1);
      values[p] = new ort.Tensor(
        'float32',
        Float32Array.from({ length: size }, (_, i) => (k ? 0.1 : Math.sin(i) * 0.05)),
        dims,
      );
      if (adam) {
        const i = 2 * l + k;
        values[`m${i}`] = new ort.Tensor('float32', new Float32Array(size), dims);
        values[`v${i}`] = new ort.Tensor('float32', new Float32Array(size), dims);
      }
    }
  return () => {
    const out = model.run(values);
    state.forEach((s, i) => {
      values[s] = out[next[i]!]!;
    });
  };
}
