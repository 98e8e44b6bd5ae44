// TF's functional While, with the bookkeeping of TF's TensorArrays folded into the op so a loop
// runs in time linear in its trip count: `sliced` inputs (stacked along dim 0) hand the body row t
// at iteration t, and `accumulated` body outputs are stacked into extra outputs. The gradient
// rule may ask the op for its history (outputs appended after creation, as TF's while_v2 adds
// accumulator outputs to the forward op): the trip count and, stacked, the body's per-iteration
// inputs, so the backward loop can recompute each step.
//
// Inputs:  [loop vars (N), sliced (S), cond captures, body captures]
// Outputs: [loop vars (N), accumulated (A), (on request) trip count, history (N + S), saved (K)]
// where `saved` stacks the body's `saved` tensors (stateful ops' outputs the gradient cannot
// recompute, such as random draws).

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf } from '../attr_schema.js';
import type { DType, Shape } from '../dtype.js';
import { InvalidArgumentError } from '../errors.js';
import { type Operation, Tensor } from '../graph.js';
import { defineOp, type KernelContext, type OpSpec } from '../op_def.js';
import { runFunc } from './exec.js';
import type { FuncGraph } from './func_graph.js';

export interface WhileAttrs {
  readonly cond: FuncGraph;
  readonly body: FuncGraph;
  /** dtypes of all inputs (TF's `T`). */
  readonly T: readonly DType[];
  readonly output_shapes: readonly (Shape | null)[];
  readonly parallel_iterations: number;
  readonly numLoopVars: number;
  readonly numCondCaptures: number;
  /** Per sliced input: whether iteration t reads row n-1-t. */
  readonly sliceReverse: readonly boolean[];
  /** Per accumulated output: whether iteration t's value goes to row T-1-t. */
  readonly accReverse: readonly boolean[];
  /** Not a TF attr: false stops gradients at this loop (TF's back_prop=False). */
  readonly backProp: boolean;
}

const whileSpec = (type: string, stateful: boolean): OpSpec<never, 'input', WhileAttrs> => ({
  // TF 1.15's While / StatelessWhile attrs. The internal ones (numLoopVars, sliceReverse, …) are
  // not TF's and are left out; cond and body are FuncGraphs, written by name.
  attrs: {
    T: attrOf('list(type)', 'T'),
    cond: attrOf('func', 'cond'),
    body: attrOf('func', 'body'),
    output_shapes: attrOf('list(shape)', 'output_shapes', []),
    parallel_iterations: attrOf('int', 'parallel_iterations', 10),
  },
  type,
  outputArgs: [{ list: 'output' }],
  inputs: [],
  list: 'input',
  stateful,
  outputs: (_, a) => [
    ...a.output_shapes.map((shape, i) => ({ dtype: a.T[i]!, shape })),
    ...a.body.outputs.slice(a.numLoopVars).map((t) => ({ dtype: t.dtype, shape: stackedShape(t.shape) })),
  ],
  kernel: ({ input }, a, ctx) => runWhile(input, a, ctx),
});
export const While = defineOp(whileSpec('While', true));
export const StatelessWhile = defineOp(whileSpec('StatelessWhile', false));

export const stackedShape = (s: Shape | null): Shape | null => (s === null ? null : [null, ...s]);

/**
 * Appends (once) the trip count and history outputs the gradient needs, and a stacked output per
 * body tensor in `save`; returns them.
 */
export function requestHistory(
  op: Operation,
  save: readonly Tensor[] = [],
): { tripCount: Tensor; history: Tensor[]; saved: Tensor[] } {
  const a = op.attrs as WhileAttrs;
  const n = a.body.outputs.length; // loop vars and accumulated outputs
  const fresh = save.filter((t) => !a.body.saved.includes(t));
  if (fresh.length) {
    a.body.saved.push(...fresh);
    a.body.bumpVersion();
  }
  const bodyIns = a.body.inputs.slice(0, a.numLoopVars + a.sliceReverse.length);
  const wanted = [
    { dtype: 'int32' as DType, shape: [] as Shape },
    ...[...bodyIns, ...a.body.saved].map((t) => ({ dtype: t.dtype, shape: stackedShape(t.shape) })),
  ];
  if (op.outputs.length < n + wanted.length) {
    for (let i = op.outputs.length - n; i < wanted.length; i++) {
      op._outputs.push(new Tensor(op, n + i, wanted[i]!.dtype, wanted[i]!.shape));
    }
    op.graph.bumpVersion();
  }
  const h = n + 1 + bodyIns.length;
  return {
    tripCount: op.outputs[n]!,
    history: op.outputs.slice(n + 1, h),
    saved: save.map((t) => op.outputs[h + a.body.saved.indexOf(t)]!),
  };
}

/** Per-iteration lists of owned tensors, stacked (and freed) at the end. */
class Rows {
  readonly lists: tfc.Tensor[][];
  constructor(n: number) {
    this.lists = Array.from({ length: n }, () => []);
  }
  stack(i: number, reverse: boolean, emptyShape: readonly number[], dtype: DType): tfc.Tensor {
    const list = reverse ? this.lists[i]!.slice().reverse() : this.lists[i]!;
    return list.length ? tfc.stack(list) : tfc.zeros([0, ...emptyShape], dtype);
  }
  dispose(): void {
    for (const l of this.lists) for (const t of l) t.dispose();
  }
}

function runWhile(input: readonly tfc.Tensor[], a: WhileAttrs, ctx: KernelContext): tfc.Tensor[] {
  const op = ctx.op;
  const n = a.numLoopVars;
  const s = a.sliceReverse.length;
  const numAcc = a.body.outputs.length - n;
  const condCaps = input.slice(n + s, n + s + a.numCondCaptures);
  const bodyCaps = input.slice(n + s + a.numCondCaptures);
  const keepHistory = op.outputs.length > n + numAcc;
  const rows = input.slice(n, n + s).map((x) => tfc.unstack(x));
  const accs = new Rows(numAcc);
  const numSaved = a.body.saved.length;
  const history = new Rows(keepHistory ? n + s + numSaved : 0);
  let vars = input.slice(0, n);
  let owned = false;
  const release = () => {
    if (owned) for (const v of vars) v.dispose();
  };
  try {
    let t = 0;
    for (; ; t++) {
      const [c] = runFunc(a.cond, [...vars, ...condCaps], ctx);
      const go = c!.dataSync()[0];
      c!.dispose();
      if (!go) break;
      const xs = rows.map((r, j) => row(r, a.sliceReverse[j]! ? r.length - 1 - t : t, j, op));
      const outs = runFunc(a.body, [...vars, ...xs, ...bodyCaps], ctx);
      if (keepHistory) {
        vars.forEach((v, k) => history.lists[k]!.push(owned ? v : tfc.clone(v)));
        xs.forEach((x, j) => history.lists[n + j]!.push(tfc.clone(x)));
      } else release();
      vars = outs.slice(0, n);
      owned = true;
      outs.slice(n, n + numAcc).forEach((x, k) => accs.lists[k]!.push(x));
      outs
        .slice(n + numAcc)
        .forEach((x, k) => (keepHistory ? history.lists[n + s + k]!.push(x) : x.dispose()));
    }
    const result = owned ? vars : vars.map((v) => tfc.clone(v));
    owned = false;
    const accShapes = a.body.outputs.slice(n).map((x) => (x.shape ?? []).map((d) => d ?? 0));
    result.push(
      ...accShapes.map((shape, k) => accs.stack(k, a.accReverse[k]!, shape, a.body.outputs[n + k]!.dtype)),
    );
    if (keepHistory) {
      const rowShapes = input.slice(0, n + s).map((x, k) => (k < n ? x.shape : x.shape.slice(1)));
      result.push(tfc.scalar(t, 'int32'));
      result.push(...rowShapes.map((shape, k) => history.stack(k, false, shape, input[k]!.dtype as DType)));
      const savedShapes = a.body.saved.map((t) => (t.shape ?? []).map((d) => d ?? 0));
      result.push(
        ...savedShapes.map((shape, k) => history.stack(n + s + k, false, shape, a.body.saved[k]!.dtype)),
      );
    }
    return result;
  } finally {
    release();
    accs.dispose();
    history.dispose();
    for (const r of rows) for (const x of r) x.dispose();
  }
}

function row(r: readonly tfc.Tensor[], i: number, j: number, op: Operation): tfc.Tensor {
  if (i < 0 || i >= r.length) {
    throw new InvalidArgumentError(
      `While loop '${op.name}' read row ${i} of its sliced input ${j}, which has ${r.length} rows`,
      op,
    );
  }
  return r[i]!;
}
