// Gradients of the functional control-flow ops (ops in graph/src/control/).
//
// - If: an If over the two branch gradients, each recomputing its branch from the If's inputs
//   (the untaken branch is never run; inputs it does not use get zeros). Values of stateful ops
//   come from the forward If, which is asked to output them. Being an If itself, it has a
//   gradient too (second order).
// - While: a backward While running the iterations in reverse. The forward op is asked for its
//   history (the trip count, and each iteration's body inputs stacked); backward iteration b
//   recomputes forward step T-1-b from its saved inputs and applies the body's gradient. Loop
//   variables carry their gradient backwards; captured (loop-invariant) inputs sum theirs over
//   iterations; sliced inputs collect one row per iteration. Linear in the trip count.
import {
  add,
  buildWhile,
  concat,
  cond,
  currentFuncGraph,
  type FuncGraph,
  fill,
  gather,
  greater,
  If,
  type IfAttrs,
  inlineFunc,
  type OpDef,
  type Operation,
  requestBranchValues,
  requestHistory,
  reshape,
  StatelessIf,
  StatelessWhile,
  shape,
  slice,
  sub,
  type Tensor,
  While,
  type WhileAttrs,
  ZerosLike,
  zerosLike,
} from '@graphmode/graph';
import { nestedGradients } from '../gradients.js';
import { registerGradient } from '../registry.js';

const isFloat = (t: Tensor): boolean => t.dtype === 'float32';
const indices = (ts: readonly Tensor[]): number[] => ts.flatMap((t, i) => (isFloat(t) ? [i] : []));

function ifGrad(op: Operation, ...dys: (Tensor | null)[]): (Tensor | null)[] {
  const a = op.attrs as IfAttrs;
  const [pred, ...args] = op.inputs;
  const wrt = indices(args);
  const n = a.Tout.length;
  const ys = dys.slice(0, n).flatMap((d, i) => (d !== null && isFloat(op.outputs[i]!) ? [i] : []));
  if (wrt.length === 0) return op.inputs.map(() => null);
  const save: [Tensor[], Tensor[]] = [statefulValues(a.then_branch), statefulValues(a.else_branch)];
  const values = requestBranchValues(op, save);
  const branch = (fg: FuncGraph, k: number) => () => {
    const inner = currentFuncGraph()!;
    const xs = args.map((x) => inner.capture(x));
    const saved = new Map(save[k]!.map((t, j) => [t, inner.capture(values[k]![j]!)]));
    const outs = inlineFunc(fg, xs, saved);
    return nestedGradients(
      ys.map((i) => outs[i]!),
      wrt.map((i) => xs[i]!),
      ys.map((i) => dys[i]!),
    );
  };
  const grads = op.graph.asDefault(() => cond(pred!, branch(a.then_branch, 0), branch(a.else_branch, 1)));
  return [null, ...args.map((_, i) => (wrt.includes(i) ? grads[wrt.indexOf(i)]! : null))];
}

function whileGrad(op: Operation, ...dys: (Tensor | null)[]): (Tensor | null)[] {
  const a = op.attrs as WhileAttrs;
  const ins = op.inputs;
  if (!a.backProp) return ins.map(() => null);
  const n = a.numLoopVars;
  const s = a.sliceReverse.length;
  const numAcc = a.body.outputs.length - n;
  const capStart = n + s + a.numCondCaptures;
  const caps = ins.slice(capStart);
  const save = statefulValues(a.body);
  const { tripCount, history, saved } = requestHistory(op, save);
  const vars = indices(ins.slice(0, n));
  const rows = indices(ins.slice(n, n + s));
  const capIdx = indices(caps);
  const accs = indices(op.outputs.slice(n, n + numAcc));
  const dy = (i: number) => dys[i] ?? zerosLike(op.outputs[i]!);
  // Second order: the history rows fed the backward loop, so they have gradients too. Row t of a
  // loop variable's history is that variable entering step t: its gradient joins the one flowing
  // into step t's input (saved stateful values stop gradients, as in the first order).
  const histStart = n + numAcc + 1;
  const dHist = indices(history).filter((k) => connected(op, dys, histStart + k));
  return op.graph.asDefault(() => {
    const { finals, stacked } = buildWhile({
      name: 'while',
      loopVars: [tripCount, ...vars.map(dy), ...capIdx.map((j) => zerosLike(caps[j]!))],
      invariants: [[], ...vars.map((k) => a.output_shapes[k] ?? null), ...capIdx.map((j) => caps[j]!.shape)],
      sliced: [
        ...[...history, ...saved].map((tensor) => ({ tensor, reverse: true })),
        ...accs.map((k) => ({ tensor: dy(n + k), reverse: !a.accReverse[k] })),
        ...dHist.map((k) => ({ tensor: dys[histStart + k]!, reverse: true })),
      ],
      cond: ([k]) => greater(k!, 0),
      body: ([k, ...carried], xs) => {
        const inner = currentFuncGraph()!;
        const capsInner = caps.map((c) => inner.capture(c));
        const fwdArgs = [...xs.slice(0, n + s), ...capsInner];
        const rowsSaved = xs.slice(n + s, n + s + save.length);
        const outs = inlineFunc(a.body, fwdArgs, new Map(save.map((t, k) => [t, rowsSaved[k]!])));
        const dV = carried.slice(0, vars.length);
        const dCaps = carried.slice(vars.length);
        const dAccRows = xs.slice(n + s + save.length, n + s + save.length + accs.length);
        const g = nestedGradients(
          [...vars.map((i) => outs[i]!), ...accs.map((i) => outs[n + i]!)],
          [
            ...vars.map((i) => fwdArgs[i]!),
            ...rows.map((j) => fwdArgs[n + j]!),
            ...capIdx.map((j) => capsInner[j]!),
          ],
          [...dV, ...dAccRows],
        );
        // The history rows' own gradients, added where their rows entered step t.
        const dHistRows = xs.slice(n + s + save.length + accs.length);
        dHist.forEach((k, m) => {
          const at = k < n ? vars.indexOf(k) : vars.length + rows.indexOf(k - n);
          g[at] = add(g[at]!, dHistRows[m]!);
        });
        const dRows = g.slice(vars.length, vars.length + rows.length);
        return {
          next: [
            sub(k!, 1),
            ...g.slice(0, vars.length),
            ...dCaps.map((d, m) => add(d, g[vars.length + rows.length + m]!)),
          ],
          acc: dRows,
          accReverse: rows.map((j) => !a.sliceReverse[j]),
        };
      },
    });
    const grads: (Tensor | null)[] = ins.map(() => null);
    vars.forEach((k, m) => (grads[k] = finals[1 + m]!));
    capIdx.forEach((j, m) => (grads[capStart + j] = finals[1 + vars.length + m]!));
    rows.forEach((j, m) => (grads[n + j] = padRows(stacked[m]!, ins[n + j]!, tripCount, !a.sliceReverse[j])));
    return grads;
  });
}

// Outputs of a body's stateful ops (random draws, assignments) cannot be recomputed: the forward
// op saves them (per iteration in a loop). Nested control flow is recomputed (and refused by
// inlineFunc if it is stateful), so its gradient still flows.
function statefulValues(body: FuncGraph): Tensor[] {
  const used = new Set(body.outputs);
  for (const op of body.getOperations()) for (const t of op.inputs) used.add(t);
  return body
    .getOperations()
    .filter((op) => op.def.stateful && !CONTROL_FLOW.has(op.def))
    .flatMap((op) => op.outputs.filter((t) => used.has(t)));
}
const CONTROL_FLOW = new Set<OpDef>([If, StatelessIf, While, StatelessWhile]);

// Rows of a sliced input the loop never reached (it stopped early) get zero gradient.
function padRows(d: Tensor, x: Tensor, tripCount: Tensor, atEnd: boolean): Tensor {
  const xShape = shape(x);
  const missing = reshape(sub(gather(xShape, 0), tripCount), [1]);
  const zeros = fill(concat([missing, slice(xShape, [1], [-1])], 0), 0);
  return concat(atEnd ? [d, zeros] : [zeros, d], 0);
}

// A gradient the caller built for an output, other than zeros standing for "unconnected".
function connected(op: Operation, dys: readonly (Tensor | null)[], i: number): boolean {
  const d = dys[i];
  return d != null && !(d.op.def === ZerosLike && d.op.inputs[0] === op.outputs[i]);
}

export function registerControlGradients(): void {
  for (const def of [If, StatelessIf]) registerGradient(def, ifGrad);
  for (const def of [While, StatelessWhile]) registerGradient(def, whileGrad);
}
