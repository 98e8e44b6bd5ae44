// Build-time knowledge of small integer tensors (axes, shapes, sizes): TF's `constant_value`
// and `constant_value_as_shape`, used by shape rules so static shapes stay precise. Knowledge is
// kept per element (`null` = unknown), so `shape(x)[1:]` of an x of shape [?, 3, 4] is [3, 4]
// even though `shape(x)` as a whole is not a constant.
import type { Shape } from './dtype.js';
import type { Tensor } from './graph.js';
import type { NDArray } from './ndarray.js';
import { type SliceMasks, stridedSliceSpec } from './ops/slicing.js';

type Partial = (number | null)[];
// Folding is for shape-sized vectors; anything larger is left to run time.
const MAX_FOLD = 10_000;

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

const same = (t: Tensor): Partial | null => partialValue(t.op.inputs[0]!);
const ints = (t: Tensor | undefined): number[] | null => (t === undefined ? null : constantValue(t));
const attr = <T>(t: Tensor, key: string): T => (t.op.attrs as Record<string, T>)[key]!;

function partialValue(t: Tensor): Partial | null {
  const op = t.op;
  const ins = op.inputs;
  switch (op.type) {
    case 'Const': {
      const v = attr<NDArray>(t, 'value');
      return v.dtype === 'string' || v.size > MAX_FOLD ? null : Array.from(v.data as ArrayLike<number>);
    }
    case 'Shape':
      return ins[0]!.shape === null ? null : [...ins[0]!.shape];
    case 'Size': {
      const s = ins[0]!.shape;
      return s === null
        ? null
        : [s.every((d) => d !== null) ? (s as number[]).reduce((a, b) => a * b, 1) : null];
    }
    case 'Rank':
      return ins[0]!.shape === null ? null : [ins[0]!.shape.length];
    case 'Identity':
    case 'StopGradient':
    case 'Reshape':
    case 'ExpandDims':
    case 'Squeeze':
      return same(t);
    case 'Cast': {
      const v = same(t);
      const to = attr<string>(t, 'dtype');
      const f =
        to === 'int32' ? Math.trunc : to === 'bool' ? (x: number) => (x !== 0 ? 1 : 0) : (x: number) => x;
      return v === null ? null : v.map((x) => (x === null ? null : f(x)));
    }
    case 'Pack': {
      const parts = ins.map(partialValue);
      if (parts.some((p) => p === null) || ins.some((x) => x.rank === null || x.rank > 1)) return null;
      const ps = parts as Partial[];
      if (ins[0]!.rank === 0 || attr<number>(t, 'axis') === 0) return ps.flat();
      // axis 1 of vectors: row i is [p0[i], p1[i], ...]
      return ps[0]!.flatMap((_, i) => ps.map((p) => p[i] ?? null));
    }
    case 'ConcatV2': {
      const parts = ins.slice(0, -1).map(partialValue);
      return parts.every((p) => p !== null) && ins.slice(0, -1).every((x) => x.rank === 1)
        ? (parts as Partial[]).flat()
        : null;
    }
    case 'StridedSlice':
      return foldStridedSlice(t);
    case 'Slice': {
      const [v, b, n] = [partialValue(ins[0]!), ints(ins[1]), ints(ins[2])];
      if (v === null || b === null || n === null || ins[0]!.rank !== 1) return null;
      return v.slice(b[0]!, n[0] === -1 ? undefined : b[0]! + n[0]!);
    }
    case 'GatherV2': {
      const [v, idx, axis] = [partialValue(ins[0]!), ints(ins[1]), ints(ins[2])];
      if (v === null || idx === null || axis?.[0] !== 0 || ins[0]!.rank !== 1) return null;
      return idx.map((i) => v[i < 0 ? i + v.length : i] ?? null);
    }
    case 'InvertPermutation': {
      const p = ints(ins[0]);
      if (p === null) return null;
      const inv: Partial = p.map(() => null);
      p.forEach((v, i) => (inv[v] = i));
      return inv;
    }
    case 'BroadcastGradientArgs': {
      const [a, b] = [ints(ins[0]), ints(ins[1])];
      return a === null || b === null ? null : (broadcastGradientArgsValues(a, b)?.[t.valueIndex] ?? null);
    }
    case 'Range': {
      const [s, l, d] = [ints(ins[0]), ints(ins[1]), ints(ins[2])];
      if (s === null || l === null || d === null || d[0] === 0) return null;
      const n = Math.max(0, Math.ceil((l[0]! - s[0]!) / d[0]!));
      return n > MAX_FOLD ? null : Array.from({ length: n }, (_, i) => s[0]! + i * d[0]!);
    }
    case 'Fill': {
      const [dims, v] = [ints(ins[0]), partialValue(ins[1]!)];
      const n = dims?.reduce((a, b) => a * b, 1) ?? null;
      return n === null || v === null || n > MAX_FOLD ? null : Array<number | null>(n).fill(v[0] ?? null);
    }
    case 'AddV2':
      return elementwise(t, (a, b) => a + b);
    case 'Sub':
      return elementwise(t, (a, b) => a - b);
    case 'Mul':
      return elementwise(t, (a, b) => a * b);
    case 'Maximum':
      return elementwise(t, Math.max);
    case 'Minimum':
      return elementwise(t, Math.min);
    case 'FloorMod':
      return elementwise(t, (a, b) => a - Math.floor(a / b) * b);
    case 'Neg':
      return same(t)?.map((x) => (x === null ? null : -x)) ?? null;
    default:
      return null;
  }
}

// Int arithmetic on scalars and vectors (shape computations in gradient graphs: shape(x) - 1).
function elementwise(t: Tensor, f: (a: number, b: number) => number): Partial | null {
  if (t.dtype !== 'int32' || t.op.inputs.some((x) => x.rank === null || x.rank > 1)) return null;
  const [a, b] = t.op.inputs.map(partialValue);
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return null;
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => {
    const x = a[a.length === 1 ? 0 : i] ?? null;
    const y = b[b.length === 1 ? 0 : i] ?? null;
    return x === null || y === null ? null : f(x, y);
  });
}

// `shape(x)[i]`, `shape(x)[1:]`: strided slices of a known-length vector.
function foldStridedSlice(t: Tensor): Partial | null {
  const [x, b, e, s] = t.op.inputs;
  const v = partialValue(x!);
  const [begin, end, strides] = [ints(b), ints(e), ints(s)];
  if (v === null || begin === null || end === null || strides === null || x!.rank !== 1) return null;
  const spec = stridedSliceSpec([v.length], begin, end, strides, t.op.attrs as SliceMasks);
  const d = spec.dims[0]!;
  return Array.from({ length: d.size! }, (_, i) => v[d.begin! + i * d.stride] ?? null);
}
