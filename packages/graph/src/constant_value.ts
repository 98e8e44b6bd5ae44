// Build-time knowledge of small integer tensors (axes, shapes, sizes): TF's `constant_value`
// and `constant_value_as_shape`, used by shape rules so static shapes stay precise. Knowledge is
// kept per element (`null` = unknown), so `shape(x)[1:]` of an x of shape [?, 3, 4] is [3, 4]
// even though `shape(x)` as a whole is not a constant.
// Each op type's rule is the `fold` of its definition; this file only dispatches to it and holds
// the helpers the rules share.
import type { Shape } from './dtype.js';
import type { Tensor } from './graph.js';
import type { PartialValue } from './op_def.js';

/** Folding is for shape-sized vectors; anything larger is left to run time. */
export const MAX_FOLD = 10_000;

/** The value of `t` if it is computable at build time (a Const, or the Shape of a known shape). */
export function constantValue(t: Tensor): number[] | null {
  const v = partialValue(t);
  return v !== null && v.every((d) => d !== null) ? (v as number[]) : null;
}

/** A 1-D int tensor read as a (partial) shape: known entries where they can be found, -1 → null. */
export function constantShape(t: Tensor): Shape | null {
  const v = partialValue(t);
  if (v !== null && t.rank === 1) return v.map((d) => (d === null || d < 0 ? null : d));
  const s = t.shape;
  return s !== null && s.length === 1 && s[0] !== null ? Array<null>(s[0]).fill(null) : null;
}

/** TF's BroadcastGradientArgs on known shapes: the axes each input's gradient sums over. */
export function broadcastGradientArgsValues(s0: readonly number[], s1: readonly number[]): number[][] | null {
  const r = Math.max(s0.length, s1.length);
  const out: number[][] = [[], []];
  if (s0.length === s1.length && s0.every((d, i) => d === s1[i])) return out;
  for (let i = 0; i < r; i++) {
    const a = i < r - s0.length ? 1 : s0[i - (r - s0.length)]!;
    const b = i < r - s1.length ? 1 : s1[i - (r - s1.length)]!;
    if (a !== b && a !== 1 && b !== 1) return null;
    if (a === 1) out[0]!.push(i);
    if (b === 1) out[1]!.push(i);
  }
  return out;
}

/** What is known of `t`'s value at build time, per element; null when nothing is. */
export function partialValue(t: Tensor): PartialValue | null {
  const fold = t.op.def.fold;
  return fold === null ? null : fold(t);
}

/** The fold of ops that pass their first input's value through (Identity, Reshape, …). */
export const foldSame = (_ins: object, _attrs: object, out: Tensor): PartialValue | null =>
  partialValue(out.op.inputs[0]!);

/** The fold of an elementwise unary op on known values. */
export const foldUnary =
  (f: (x: number) => number) =>
  (ins: object, attrs: object, out: Tensor): PartialValue | null =>
    foldSame(ins, attrs, out)?.map((x) => (x === null ? null : f(x))) ?? null;

/** The fold of broadcasting int arithmetic on scalars and vectors (gradient graphs' shape(x) - 1). */
export const foldBinary =
  (f: (a: number, b: number) => number) =>
  (_ins: object, _attrs: object, t: Tensor): PartialValue | null => {
    if (t.dtype !== 'int32' || t.op.inputs.some((x) => x.rank === null || x.rank > 1)) return null;
    const [a, b] = t.op.inputs.map(partialValue);
    if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return null;
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => {
      const x = a[a.length === 1 ? 0 : i] ?? null;
      const y = b[b.length === 1 ? 0 : i] ?? null;
      return x === null || y === null ? null : f(x, y);
    });
  };
