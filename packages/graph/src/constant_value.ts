// Build-time knowledge of small integer tensors (axes, shapes, sizes): TF's `constant_value`
// and `constant_value_as_shape`, used by shape rules so static shapes stay precise.
import type { Shape } from './dtype.js';
import type { Tensor } from './graph.js';
import type { NDArray } from './ndarray.js';

/** The value of `t` if it is computable at build time (a Const, or the Shape of a known shape). */
export function constantValue(t: Tensor): number[] | null {
  const op = t.op;
  switch (op.type) {
    case 'Const': {
      const v = (op.attrs as { value: NDArray }).value;
      return v.dtype === 'string' ? null : Array.from(v.data as ArrayLike<number>);
    }
    case 'Shape': {
      const s = op.inputs[0]!.shape;
      return s !== null && s.every((d) => d !== null) ? (s as number[]).slice() : null;
    }
    case 'Size': {
      const s = op.inputs[0]!.shape;
      return s !== null && s.every((d) => d !== null) ? [(s as number[]).reduce((a, b) => a * b, 1)] : null;
    }
    case 'Rank': {
      const s = op.inputs[0]!.shape;
      return s === null ? null : [s.length];
    }
    case 'Identity':
    case 'StopGradient':
      return constantValue(op.inputs[0]!);
    case 'Pack': {
      const parts = op.inputs.map(constantValue);
      return parts.every((p) => p !== null && p.length === 1) ? parts.map((p) => p![0]!) : null;
    }
    case 'ConcatV2': {
      const parts = op.inputs.slice(0, -1).map(constantValue);
      return parts.every((p) => p !== null) ? (parts.flat() as number[]) : null;
    }
    default:
      return null;
  }
}

/** A 1-D int tensor read as a (partial) shape: known entries where they can be found, -1 → null. */
export function constantShape(t: Tensor): Shape | null {
  const v = constantValue(t);
  if (v !== null) return v.map((d) => (d < 0 ? null : d));
  const op = t.op;
  if (op.type === 'Shape') return op.inputs[0]!.shape;
  if (op.type === 'Pack')
    return op.inputs.map((x) => constantValue(x)?.[0] ?? null).map((d) => (d === null || d < 0 ? null : d));
  if (op.type === 'ConcatV2') {
    const parts = op.inputs.slice(0, -1).map(constantShape);
    return parts.every((p) => p !== null) ? (parts as Shape[]).flat() : null;
  }
  const s = t.shape;
  return s !== null && s.length === 1 && s[0] !== null ? Array<null>(s[0]).fill(null) : null;
}
