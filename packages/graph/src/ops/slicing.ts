// Ops that pick or place elements: Slice, StridedSlice (+ its gradient op), GatherV2 and
// UnsortedSegmentSum (OneHot and Select live in select.ts). StridedSlice resolves its masks with
// `stridedSliceSpec` (strided_slice_spec.ts).

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, fixedAttr, typeOf } from '../attr_schema.js';
import { constantShape, constantValue, partialValue } from '../constant_value.js';
import {
  intTensor,
  type NameOpt,
  opScope,
  optionalArg,
  readInts,
  type TensorInput,
  toTensor,
} from '../convert.js';
import type { Shape } from '../dtype.js';
import { formatShape, normalizeAxis, shapesCompatible } from '../dtype.js';
import { InvalidArgumentError, ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, INT, type PartialValue, requireDtype } from '../op_def.js';
import { named } from '../options.js';
import { type SliceMasks, type StridedSliceSpec, stridedSliceSpec } from '../strided_slice_spec.js';

// ---- Slice ------------------------------------------------------------------------------------

export const Slice = defineOp<'input' | 'begin' | 'size'>({
  type: 'Slice',
  outputArgs: ['output'],
  inputs: ['input', 'begin', 'size'],
  attrs: { T: typeOf('input'), Index: typeOf('begin') },
  fold: ({ input, begin, size }) => {
    const [v, b, n] = [partialValue(input), constantValue(begin), constantValue(size)];
    if (v === null || b === null || n === null || input.rank !== 1) return null;
    return v.slice(b[0]!, n[0] === -1 ? undefined : b[0]! + n[0]!);
  },
  shape: ({ input, begin, size }) => {
    requireDtype(begin, INT, 'begin');
    requireDtype(size, INT, 'size');
    const b = constantValue(begin);
    const n = constantShape(size) ?? null;
    const sz = constantValue(size);
    const r = input.rank ?? n?.length ?? b?.length ?? null;
    if (r === null) return null;
    if ((b && b.length !== r) || (n && n.length !== r))
      throw new ValueError(`begin and size must have one entry per dimension (rank ${r})`);
    return Array.from({ length: r }, (_, i) => {
      const d = input.shape?.[i] ?? null;
      const bi = b?.[i] ?? null;
      const si = sz ? sz[i]! : (n?.[i] ?? null);
      if (bi !== null && (bi < 0 || (d !== null && bi > d)))
        throw new ValueError(`begin[${i}] = ${bi} is out of range for dimension of size ${d}`);
      if (si !== null && si < -1)
        throw new ValueError(`size[${i}] = ${si} must be non-negative, or -1 for the rest of the dimension`);
      if (si === -1) return d === null || bi === null ? null : d - bi;
      if (si !== null && d !== null && bi !== null && bi + si > d)
        throw new ValueError(`slice [${bi}, ${bi + si}) of dimension ${i} exceeds its size ${d}`);
      return si;
    });
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input, begin, size }) => tfc.slice(input, readInts(begin), readInts(size)),
});
/** `size[i]` elements from `begin[i]` on each axis (-1 = to the end). @example slice(x, [0, 1], [-1, 2]) */
export const slice = (x: TensorInput, begin: TensorInput, size: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('slice', opts), 'Slice', [x, begin, size], (name) =>
    Slice.apply(
      {
        input: toTensor(x, undefined, 'input'),
        begin: intTensor(begin, 'begin'),
        size: intTensor(size, 'size'),
      },
      {},
      { name },
    ),
  );

// ---- StridedSlice -----------------------------------------------------------------------------

const maskAttrs = (a: SliceMasks): SliceMasks => ({
  beginMask: a.beginMask,
  endMask: a.endMask,
  ellipsisMask: a.ellipsisMask,
  newAxisMask: a.newAxisMask,
  shrinkAxisMask: a.shrinkAxisMask,
});

function specOf(
  shape: Shape | null,
  b: Tensor,
  e: Tensor,
  s: Tensor,
  m: SliceMasks,
): StridedSliceSpec | null {
  for (const [t, what] of [
    [b, 'begin'],
    [e, 'end'],
    [s, 'strides'],
  ] as const)
    requireDtype(t, INT, what);
  const [bv, ev, sv] = [constantValue(b), constantValue(e), constantValue(s)];
  if (shape === null || bv === null || ev === null || sv === null) return null;
  return stridedSliceSpec(shape, bv, ev, sv, m);
}

// Negative strides: reverse those axes so tfjs only ever sees positive, in-range slices.
function stridedKernel(x: tfc.Tensor, spec: StridedSliceSpec): tfc.Tensor {
  if (spec.dims.some((d) => d.size === 0)) return tfc.zeros(spec.shape as number[], x.dtype);
  return tfc.tidy(() => {
    const neg = spec.dims.flatMap((d, i) => (d.stride < 0 ? [i] : []));
    const xr = neg.length ? tfc.reverse(x, neg) : x;
    const begin = spec.dims.map((d, i) => (d.stride < 0 ? x.shape[i]! - 1 - d.begin! : d.begin!));
    const step = spec.dims.map((d) => Math.abs(d.stride));
    const end = begin.map((b, i) => b + (spec.dims[i]!.size! - 1) * step[i]! + 1);
    const y = spec.dims.length ? tfc.stridedSlice(xr, begin, end, step) : xr;
    return tfc.reshape(y, spec.shape as number[]);
  });
}

type StridedInputs = 'input' | 'begin' | 'end' | 'strides';
const MASK_ATTRS = {
  begin_mask: attrOf('int', 'beginMask', 0),
  end_mask: attrOf('int', 'endMask', 0),
  ellipsis_mask: attrOf('int', 'ellipsisMask', 0),
  new_axis_mask: attrOf('int', 'newAxisMask', 0),
  shrink_axis_mask: attrOf('int', 'shrinkAxisMask', 0),
} as const;

// `shape(x)[i]`, `shape(x)[1:]`: strided slices of a known-length vector.
function foldStridedSlice(x: Tensor, b: Tensor, e: Tensor, s: Tensor, m: SliceMasks): PartialValue | null {
  const v = partialValue(x);
  const [begin, end, strides] = [constantValue(b), constantValue(e), constantValue(s)];
  if (v === null || begin === null || end === null || strides === null || x.rank !== 1) return null;
  const d = stridedSliceSpec([v.length], begin, end, strides, m).dims[0]!;
  return Array.from({ length: d.size! }, (_, i) => v[d.begin! + i * d.stride] ?? null);
}
export const StridedSlice = defineOp<StridedInputs, SliceMasks>({
  type: 'StridedSlice',
  outputArgs: ['output'],
  inputs: ['input', 'begin', 'end', 'strides'],
  attrs: { T: typeOf('input'), Index: typeOf('begin'), ...MASK_ATTRS },
  fold: ({ input, begin, end, strides }, m) => foldStridedSlice(input, begin, end, strides, m),
  shape: ({ input, begin, end, strides }, m) => specOf(input.shape, begin, end, strides, m)?.shape ?? null,
  dtype: ({ input }) => input.dtype,
  kernel: ({ input, begin, end, strides }, m) =>
    stridedKernel(input, stridedSliceSpec(input.shape, readInts(begin), readInts(end), readInts(strides), m)),
});

const STRIDED_SLICE_SPEC = {
  name: 'string',
  beginMask: 'number',
  endMask: 'number',
  ellipsisMask: 'number',
  newAxisMask: 'number',
  shrinkAxisMask: 'number',
} as const;
/**
 * NumPy-style slicing with TF's masks (`x[1:, ..., ::-1, tf.newaxis, 0]`).
 * @example stridedSlice(x, [0, 1], [0, 3], [1, 1], { beginMask: 1, endMask: 1 }) // x[:, 1:3]
 */
export function stridedSlice(
  x: TensorInput,
  begin: TensorInput,
  end: TensorInput,
  strides?: TensorInput | null | (NameOpt & Partial<SliceMasks>),
  options: NameOpt & Partial<SliceMasks> = {},
): Tensor {
  // The options object may stand in for the omitted strides.
  const [str, opts] = optionalArg<TensorInput | null, NameOpt & Partial<SliceMasks>>(strides, options);
  return opScope(
    named('stridedSlice', opts, STRIDED_SLICE_SPEC),
    'StridedSlice',
    [x, begin, end, str],
    (name) => {
      const t = toTensor(x, undefined, 'input');
      const b = intTensor(begin, 'begin');
      const st = str ?? (b.shape?.[0] != null ? Array<number>(b.shape[0]).fill(1) : null);
      if (st === null) throw new ValueError('stridedSlice needs strides when begin has an unknown length');
      const zero = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 };
      const masks = maskAttrs({ ...zero, ...opts });
      const ins = { input: t, begin: b, end: intTensor(end, 'end'), strides: intTensor(st, 'strides') };
      return StridedSlice.apply(ins, masks, { name });
    },
  );
}

// The gradient scatters dy into zeros of the input's shape. It is an op of its own (as in TF)
// because resolving the masks needs the input's run-time shape; one scatterND does the rest.
export const StridedSliceGrad = defineOp<'shape' | 'begin' | 'end' | 'strides' | 'dy', SliceMasks>({
  type: 'StridedSliceGrad',
  outputArgs: ['output'],
  inputs: ['shape', 'begin', 'end', 'strides', 'dy'],
  attrs: { T: typeOf('dy'), Index: typeOf('shape'), ...MASK_ATTRS },
  shape: ({ shape }) => constantShape(shape),
  dtype: ({ dy }) => dy.dtype,
  kernel: ({ shape, begin, end, strides, dy }, m) => {
    const dims = readInts(shape);
    const spec = stridedSliceSpec(dims, readInts(begin), readInts(end), readInts(strides), m);
    const counts = spec.dims.map((d) => d.size!);
    const total = counts.reduce((a, b) => a * b, 1);
    if (total === 0 || dims.length === 0)
      return total === 0 ? tfc.zeros(dims, dy.dtype) : tfc.reshape(dy, dims);
    const idx = new Int32Array(total * dims.length);
    const at = new Array<number>(dims.length).fill(0);
    for (let k = 0; k < total; k++) {
      for (let j = 0; j < dims.length; j++)
        idx[k * dims.length + j] = spec.dims[j]!.begin! + at[j]! * spec.dims[j]!.stride;
      for (let j = dims.length - 1; j >= 0 && ++at[j]! === counts[j]; j--) at[j] = 0;
    }
    return tfc.tidy(() =>
      tfc.scatterND(tfc.tensor2d(idx, [total, dims.length], 'int32'), tfc.reshape(dy, [total]), dims),
    );
  },
});
/** The gradient of `stridedSlice(x, begin, end, strides, masks)` given `dy`, with shape(x) = `shape`. */
export const stridedSliceGrad = (
  shape: Tensor,
  begin: Tensor,
  end: Tensor,
  strides: Tensor,
  dy: Tensor,
  masks: SliceMasks,
  opts: NameOpt = {},
): Tensor =>
  opScope(named('stridedSliceGrad', opts), 'StridedSliceGrad', [shape, begin, end, strides, dy], (name) =>
    StridedSliceGrad.apply({ shape, begin, end, strides, dy }, maskAttrs(masks), { name }),
  );

// ---- gather, segments ---------------------------------------------------------------------------

export const GatherV2 = defineOp<'params' | 'indices' | 'axis'>({
  type: 'GatherV2',
  outputArgs: ['output'],
  inputs: ['params', 'indices', 'axis'],
  attrs: {
    Tparams: typeOf('params'),
    Tindices: typeOf('indices'),
    Taxis: typeOf('axis'),
    batch_dims: fixedAttr('int', 0),
  },
  fold: ({ params, indices, axis }) => {
    const [v, idx, a] = [partialValue(params), constantValue(indices), constantValue(axis)];
    if (v === null || idx === null || a?.[0] !== 0 || params.rank !== 1) return null;
    return idx.map((i) => v[i < 0 ? i + v.length : i] ?? null);
  },
  shape: ({ params, indices, axis }) => {
    requireDtype(indices, INT, 'indices');
    requireDtype(axis, INT, 'axis');
    const a = constantValue(axis);
    const p = params.shape;
    if (p === null || indices.shape === null || a === null) return null;
    const at = normalizeAxis(a[0]!, p.length);
    return [...p.slice(0, at), ...indices.shape, ...p.slice(at + 1)];
  },
  dtype: ({ params }) => params.dtype,
  kernel: ({ params, indices, axis }, _, ctx) => {
    const at = readInts(axis)[0]!;
    const n = params.shape[at < 0 ? at + params.rank : at]!;
    const bad = readInts(indices).findIndex((i) => i < 0 || i >= n);
    if (bad >= 0)
      throw new InvalidArgumentError(
        `indices[${bad}] = ${readInts(indices)[bad]} is not in [0, ${n})`,
        ctx.op,
      );
    return tfc.gather(params, indices, at);
  },
});
/** Rows (slices along `axis`) of `params` picked by `indices`. @example gather(embeddings, ids) */
export const gather = (
  params: TensorInput,
  indices: TensorInput,
  opts: NameOpt & { axis?: number | Tensor } = {},
): Tensor =>
  opScope(
    named('gather', opts, { name: 'string', axis: 'any' }),
    'GatherV2',
    [params, indices, opts.axis],
    (name) =>
      GatherV2.apply(
        {
          params: toTensor(params, undefined, 'params'),
          indices: intTensor(indices, 'indices'),
          axis: intTensor(opts.axis ?? 0, 'axis'),
        },
        {},
        { name },
      ),
  );

export const UnsortedSegmentSum = defineOp<'data' | 'segmentIds' | 'numSegments'>({
  type: 'UnsortedSegmentSum',
  outputArgs: ['output'],
  inputs: ['data', 'segmentIds', 'numSegments'],
  attrs: { T: typeOf('data'), Tindices: typeOf('segmentIds'), Tnumsegments: typeOf('numSegments', 'int32') },
  shape: ({ data, segmentIds, numSegments }) => {
    requireDtype(segmentIds, INT, 'segment_ids');
    requireDtype(numSegments, INT, 'num_segments');
    const ids = segmentIds.shape;
    const s = data.shape;
    if (s === null || ids === null) return null;
    if (!shapesCompatible(s.slice(0, ids.length), ids))
      throw new ValueError(
        `segment_ids shape ${formatShape(ids)} must be a prefix of data shape ${formatShape(s)}`,
      );
    return [constantValue(numSegments)?.[0] ?? null, ...s.slice(ids.length)];
  },
  dtype: ({ data }) => data.dtype,
  // A scatter-add of the rows with valid ids: wasm has ScatterNd but no UnsortedSegmentSum kernel.
  kernel: ({ data, segmentIds, numSegments }, _, ctx) => {
    const n = readInts(numSegments)[0]!;
    const ids = readInts(segmentIds);
    const bad = ids.findIndex((i) => i >= n);
    if (bad >= 0)
      throw new InvalidArgumentError(`segment_ids[${bad}] = ${ids[bad]} is out of range [0, ${n})`, ctx.op);
    const keep = ids.flatMap((i, k) => (i >= 0 ? [k] : []));
    const inner = data.shape.slice(segmentIds.rank);
    if (keep.length === 0) return tfc.zeros([n, ...inner], data.dtype);
    return tfc.tidy(() => {
      const rows = tfc.gather(tfc.reshape(data, [ids.length, ...inner]), keep);
      const at = tfc.tensor2d(
        keep.map((k) => ids[k]!),
        [keep.length, 1],
        'int32',
      );
      return tfc.scatterND(at, rows, [n, ...inner]);
    });
  },
});
/** Sums the slices of `data` that share a segment id (negative ids are dropped). */
export const unsortedSegmentSum = (
  data: TensorInput,
  segmentIds: TensorInput,
  numSegments: number | Tensor,
  opts: NameOpt = {},
): Tensor =>
  opScope(named('unsortedSegmentSum', opts), 'UnsortedSegmentSum', [data, segmentIds, numSegments], (name) =>
    UnsortedSegmentSum.apply(
      {
        data: toTensor(data, undefined, 'data'),
        segmentIds: intTensor(segmentIds, 'segment_ids'),
        numSegments: intTensor(numSegments, 'num_segments'),
      },
      {},
      { name },
    ),
  );
