// `cond` as TF's functional If: both branches are traced into function graphs when the op is
// built; at run time the kernel runs only the taken branch's cached plan (its stateful ops
// included), so an assignment in the untaken branch never happens.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf } from '../attr_schema.js';
import { type TensorInput, toTensor } from '../convert.js';
import type { DType, Shape } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { controlDependencies, getDefaultGraph, type Operation, Tensor } from '../graph.js';
import { defineOp, type KernelContext, type OpSpec } from '../op_def.js';
import { identity } from '../ops/core.js';
import { VariableV2 } from '../ops/state.js';
import { named } from '../options.js';
import { runFunc } from './exec.js';
import { type FuncGraph, traceFunc, uniqueFnName } from './func_graph.js';
import { describeNest, flattenTensors, type Nest, pack, sameStructure } from './nest.js';

export interface IfAttrs {
  readonly then_branch: FuncGraph;
  readonly else_branch: FuncGraph;
  readonly Tcond: DType;
  readonly Tin: readonly DType[];
  readonly Tout: readonly DType[];
  readonly output_shapes: readonly (Shape | null)[];
}

const ifSpec = (type: string, stateful: boolean): OpSpec<'cond', 'input', IfAttrs> => ({
  type,
  outputArgs: [{ list: 'output' }],
  inputs: ['cond'],
  list: 'input',
  stateful,
  // TF 1.15's If / StatelessIf attrs; the branch functions are FuncGraphs, written by name.
  attrs: {
    Tcond: attrOf('type', 'Tcond'),
    Tin: attrOf('list(type)', 'Tin'),
    Tout: attrOf('list(type)', 'Tout'),
    then_branch: attrOf('func', 'then_branch'),
    else_branch: attrOf('func', 'else_branch'),
    output_shapes: attrOf('list(shape)', 'output_shapes', []),
  },
  outputs: (_, a) => a.Tout.map((dtype, i) => ({ dtype, shape: a.output_shapes[i] ?? null })),
  kernel: ({ cond, input }, a, ctx) => runIf(cond.dataSync()[0] !== 0, input, a, ctx),
});

// Outputs: [branch outputs, (on request) then_branch's saved values, else_branch's saved values];
// the untaken branch's saved slots get empty tensors (its gradient branch never reads them).
function runIf(taken: boolean, input: readonly tfc.Tensor[], a: IfAttrs, ctx: KernelContext): tfc.Tensor[] {
  const outs = runFunc(taken ? a.then_branch : a.else_branch, input, ctx);
  if (ctx.op.outputs.length === a.Tout.length) return outs;
  const n = a.Tout.length;
  const empty = (fg: FuncGraph) =>
    fg.saved.map((t) =>
      tfc.zeros(
        (t.shape ?? []).map((d) => d ?? 0),
        t.dtype,
      ),
    );
  return taken
    ? [...outs, ...empty(a.else_branch)]
    : [...outs.slice(0, n), ...empty(a.then_branch), ...outs.slice(n)];
}

/**
 * Appends (once) outputs carrying the branches' values in `save` (stateful ops' outputs the
 * gradient must not recompute); returns them per branch.
 */
export function requestBranchValues(
  op: Operation,
  save: readonly [Tensor[], Tensor[]],
): [Tensor[], Tensor[]] {
  const a = op.attrs as IfAttrs;
  const n = a.Tout.length;
  const fgs = [a.then_branch, a.else_branch];
  fgs.forEach((fg, i) => {
    if (fg.saved.length === 0 && save[i]!.length > 0) fg.saved.push(...save[i]!), fg.bumpVersion();
  });
  const all = [...a.then_branch.saved, ...a.else_branch.saved];
  if (op.outputs.length < n + all.length) {
    all.forEach((t, i) => op._outputs.push(new Tensor(op, n + i, t.dtype, t.shape)));
    op.graph.bumpVersion();
  }
  const k = a.then_branch.saved.length;
  return [op.outputs.slice(n, n + k), op.outputs.slice(n + k, n + all.length)];
}
/** TF's If: the branches hold stateful ops. */
export const If = defineOp(ifSpec('If', true));
/** TF's StatelessIf: neither branch has a stateful op. */
export const StatelessIf = defineOp(ifSpec('StatelessIf', false));

/**
 * `trueFn()` if `pred` is true, else `falseFn()` (TF's `tf.cond`). Only the taken branch runs;
 * both must return the same structure of tensors. A plain boolean `pred` just calls one branch.
 * @example const y = cond(less(x, 0), () => neg(x), () => x);
 */
export function cond<T extends Nest>(
  pred: Tensor | boolean,
  trueFn: () => T,
  falseFn: () => T,
  opts: { name?: string } = {},
): T {
  if (typeof pred === 'boolean') return pred ? trueFn() : falseFn();
  const graph = getDefaultGraph();
  return graph.nameScope(named('cond', opts) ?? 'cond', (scope) => {
    const p = checkPred(toTensor(pred as TensorInput));
    const t = traceBranch(uniqueFnName(scope, 'true'), trueFn, scope);
    const f = traceBranch(uniqueFnName(scope, 'false'), falseFn, scope);
    checkBranchOutputs(t.result, f.result, t.fg.outputs, f.fg.outputs);
    const inputs = unifyCaptures([t.fg, f.fg]);
    const stateful = [t.fg, f.fg].some((g) => g.getOperations().some((op) => op.def.stateful));
    const attrs: IfAttrs = {
      then_branch: t.fg,
      else_branch: f.fg,
      Tcond: 'bool',
      Tin: inputs.map((x) => x.dtype),
      Tout: t.fg.outputs.map((x) => x.dtype),
      output_shapes: t.fg.outputs.map((x, i) => mostSpecificCompatible(x.shape, f.fg.outputs[i]!.shape)),
    };
    const deps = [...new Set([...t.fg.controlCaptures, ...f.fg.controlCaptures])];
    const op = controlDependencies(deps, () =>
      (stateful ? If : StatelessIf).applyOp({ cond: p, input: inputs }, attrs, { name: scope }),
    );
    return pack(t.result, op.outputs) as T;
  });
}

function checkPred(p: Tensor): Tensor {
  if (p.dtype !== 'bool')
    throw new TypeError(`cond: pred must be a bool tensor, got '${p.name}' of dtype ${p.dtype}`);
  if (p.shape !== null && p.shape.length !== 0) {
    throw new ValueError(`cond: pred must be a scalar, got '${p.name}' of shape [${p.shape.join(', ')}]`);
  }
  return p;
}

/** Traces a function with no arguments; its outputs become the graph's outputs. */
function traceBranch(name: string, fn: () => unknown, scope: string): { fg: FuncGraph; result: unknown } {
  const traced = (fg: FuncGraph) => {
    const result = fn();
    fg.outputs = funcOutputs(fg, result);
    return result;
  };
  return traceFunc(name, getDefaultGraph(), [], traced, { nameScope: scope });
}

/** A function's flat outputs: leaves that are not computed here (captures, variables) pass an Identity. */
export function funcOutputs(fg: FuncGraph, result: unknown): Tensor[] {
  return flattenTensors(result).map((x) => (x.graph === fg && x.op.def !== VariableV2 ? x : identity(x)));
}

function checkBranchOutputs(rt: unknown, rf: unknown, ot: readonly Tensor[], of: readonly Tensor[]): void {
  // TF 1.15's v1 wording first, then cond_v2's, so either's message matches.
  const rule =
    'true_fn and false_fn arguments to tf.cond must have the same number, type, and overall structure of return values.';
  const structures = `First structure (true_fn output): ${describeNest(rt)}\n\nSecond structure (false_fn output): ${describeNest(rf)}`;
  if (!sameStructure(rt, rf) || ot.length !== of.length) {
    throw new ValueError(
      `Incompatible return values of true_fn and false_fn: The two structures don't have the same nested structure.\n\n${structures}\n\n${rule}`,
    );
  }
  ot.forEach((x, i) => {
    if (x.dtype !== of[i]!.dtype) {
      throw new TypeError(
        `Incompatible return types of true_fn and false_fn: output ${i} has dtype ${x.dtype} in true_fn and ${of[i]!.dtype} in false_fn.\n\n${structures}\n\n${rule}`,
      );
    }
  });
}

/**
 * Gives every function the same inputs, in the same order: the union of their captures (TF's
 * branches all take the If op's full input list). Returns the outer tensors to pass in.
 */
export function unifyCaptures(fgs: readonly FuncGraph[]): Tensor[] {
  const union = [...new Set(fgs.flatMap((g) => g.capturedOuter()))];
  for (const g of fgs) {
    for (const t of union) if (!g.captures.has(t)) g.capture(t);
    const explicit = g.inputs.length - g.captures.size;
    g.inputs.splice(explicit, g.captures.size, ...union.map((t) => g.captures.get(t)!));
  }
  return union;
}

/** TF's most_specific_compatible_shape: dims that agree are kept, others become unknown. */
export function mostSpecificCompatible(a: Shape | null, b: Shape | null): Shape | null {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d === b[i] ? d : null));
}
