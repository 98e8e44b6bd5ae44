// Arithmetic simplification: nodes whose output equals one of their inputs are dropped and that
// input read in their place: Identity (and StopGradient/PreventGradient, identities at run time),
// x * 1, x + 0, x - 0, -(-x), and a transpose undone by the next one.
import type { Tensor } from '../../graph.js';
import type { OpDef } from '../../op_def.js';
import { Transpose } from '../../ops/array.js';
import { Identity, PreventGradient, StopGradient } from '../../ops/core.js';
import { AddV2, Mul, Neg, Sub } from '../../ops/math.js';
import { constNumbers, isVariable, type Node, type Pass, without } from './program.js';

const sameShape = (a: Tensor, b: Tensor): boolean =>
  a.dtype === b.dtype &&
  a.shape !== null &&
  b.shape !== null &&
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => d !== null && d === b.shape![i]);

const all = (t: Tensor, v: number): boolean => constNumbers(t)?.every((x) => x === v) ?? false;

/** x op c (or c op x when `commutes`) with c all `unit`, and x already of the output's shape. */
const unitOperand =
  (unit: number, commutes: boolean) =>
  (n: Node): Tensor | null => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const y = n.outputs[0]!;
    if (all(b, unit) && sameShape(a, y)) return a;
    if (commutes && all(a, unit) && sameShape(b, y)) return b;
    return null;
  };

const isPermutation = (p: readonly number[]): boolean => p.every((v, i) => v === i);

// Each rule: the input tensor the node's output equals, or null.
const RULES = new Map<OpDef, (n: Node) => Tensor | null>([
  [Identity, (n) => n.inputs[0]!],
  [StopGradient, (n) => n.inputs[0]!],
  [PreventGradient, (n) => n.inputs[0]!],
  [Mul, unitOperand(1, true)],
  [AddV2, unitOperand(0, true)],
  [Sub, unitOperand(0, false)],
  [Neg, (n) => (n.inputs[0]!.op.def === Neg ? n.inputs[0]!.op.inputs[0]! : null)],
  [
    Transpose,
    (n) => {
      const [x, perm] = n.inputs as [Tensor, Tensor];
      if (x.op.def !== Transpose) return null;
      const [inner, outer] = [constNumbers(x.op.inputs[1]!), constNumbers(perm)];
      return inner && outer && isPermutation(outer.map((i) => inner[i]!)) ? x.op.inputs[0]! : null;
    },
  ],
]);

export const simplify: Pass = (p) => {
  const removed = new Set<Node>();
  const subst = new Map<Tensor, Tensor>();
  for (const n of p.nodes) {
    const rule = RULES.get(n.def);
    const out = n.outputs[0];
    if (!rule || out === undefined || p.pinned.has(out) || p.fetchedOps.has(n.op)) continue;
    const same = rule(n);
    // A variable's value depends on when it is read: its reads stay where they are.
    if (same === null || isVariable(same)) continue;
    removed.add(n);
    subst.set(out, same);
  }
  return without(p, removed, subst);
};
