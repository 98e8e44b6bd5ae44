// TF's strided-slice canonicalisation (ValidateStridedSliceOp): a sparse slice spec with masks
// resolved against an input shape. Shared by StridedSlice's shape rule, its kernels and its folding
// rule, so build time and run time cannot disagree.
import type { Shape } from './dtype.js';
import { ValueError } from './errors.js';

export interface SliceMasks {
  readonly beginMask: number;
  readonly endMask: number;
  readonly ellipsisMask: number;
  readonly newAxisMask: number;
  readonly shrinkAxisMask: number;
}
/** One input dim of a canonical slice: `size` elements from `begin` every `stride` (null = unknown). */
export interface SliceDim {
  readonly begin: number | null;
  readonly size: number | null;
  readonly stride: number;
}
export interface StridedSliceSpec {
  readonly dims: readonly SliceDim[];
  /** The output shape: kept dims and new axes, in order (shrunk dims dropped). */
  readonly shape: Shape;
}

/** Resolves TF's sparse slice spec (with masks) against an input shape of known rank. */
export function stridedSliceSpec(
  input: Shape,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  m: SliceMasks,
): StridedSliceSpec {
  const n = begin.length;
  if (end.length !== n || strides.length !== n)
    throw new ValueError(
      `begin, end and strides must have the same length, got ${n}, ${end.length}, ${strides.length}`,
    );
  if (m.ellipsisMask & (m.ellipsisMask - 1))
    throw new ValueError('Multiple ellipses in slice spec not allowed');
  const bit = (mask: number, i: number) => ((mask >> i) & 1) === 1;
  const dims: SliceDim[] = [];
  const shape: (number | null)[] = [];
  const full = (d: number | null) => ({ begin: d === null ? null : 0, size: d, stride: 1 });
  // No ellipsis = an implicit one after the last entry.
  const sparse = m.ellipsisMask === 0 ? n + 1 : n;
  for (let i = 0; i < sparse; i++) {
    if (i === n || bit(m.ellipsisMask, i)) {
      let after = 0;
      for (let j = i + 1; j < n; j++) if (!bit(m.newAxisMask, j)) after++;
      const until = input.length - after;
      if (until < dims.length) throw new ValueError(`too many indices for a tensor of rank ${input.length}`);
      while (dims.length < until) shape.push(dims[dims.push(full(input[dims.length]!)) - 1]!.size);
    } else if (bit(m.newAxisMask, i)) {
      shape.push(1);
    } else {
      const k = dims.length;
      if (k >= input.length)
        throw new ValueError(`Index out of range using input dim ${k}; input has only ${input.length} dims`);
      const d = input[k]!;
      const s = strides[i]!;
      if (s === 0) throw new ValueError(`strides[${i}] must be non-zero`);
      if (bit(m.shrinkAxisMask, i)) {
        const b = begin[i]!;
        const x = b < 0 ? (d === null ? null : b + d) : b;
        if (x !== null && d !== null && (x < 0 || x >= d))
          throw new ValueError(`slice index ${b} of dimension ${k} out of bounds (size ${d})`);
        dims.push({ begin: x, size: 1, stride: 1 });
        continue;
      }
      if (d === null) {
        dims.push({ begin: null, size: null, stride: s });
      } else {
        const [lo, hi] = s > 0 ? [0, d] : [-1, d - 1];
        const clamp = (v: number) => Math.min(hi, Math.max(lo, v < 0 ? v + d : v));
        const b = bit(m.beginMask, i) ? (s > 0 ? lo : hi) : clamp(begin[i]!);
        const e = bit(m.endMask, i) ? (s > 0 ? hi : lo) : clamp(end[i]!);
        dims.push({ begin: b, size: Math.max(0, Math.ceil((e - b) / s)), stride: s });
      }
      shape.push(dims[k]!.size);
    }
  }
  return { dims, shape };
}
