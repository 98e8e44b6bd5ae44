// Gradient rules for the array family (ops/array.ts, joins.ts, slicing.ts, sources.ts), after
// TF's array_grad.py. Contract (registry.ts): each rule gets the forward op's named inputs, its
// saved output `y` and a dense `dy` per output (float outputs nobody used arrive as zeros), and
// returns one gradient per input with that input's shape; int inputs (shapes, axes, indices) get
// none. Rules use only differentiable builders, so gradients of gradients work, and they stay
// dynamic (shape(x), not x.shape): constant folding in constant_value.ts keeps static shapes.
import {
  add,
  addN,
  BroadcastGradientArgs,
  BroadcastTo,
  broadcastGradientArgs,
  ConcatV2,
  cast,
  concat,
  constant,
  constantValue,
  ExpandDims,
  Fill,
  fill,
  GatherV2,
  gather,
  greaterEqual,
  InvertPermutation,
  invertPermutation,
  maximum,
  mod,
  mul,
  normalizeAxis,
  OneHot,
  OnesLike,
  oneHot,
  Pack,
  Pad,
  PadV2,
  pad,
  Range,
  Rank,
  Reshape,
  ReverseV2,
  range,
  rank,
  reduceSum,
  reshape,
  reverse,
  Select,
  ShapeOp,
  Size,
  Slice,
  Split,
  SplitV,
  Squeeze,
  StridedSlice,
  StridedSliceGrad,
  shape,
  size,
  slice,
  stack,
  stridedSlice,
  stridedSliceGrad,
  sub,
  type Tensor,
  Tile,
  Transpose,
  transpose,
  Unpack,
  UnsortedSegmentSum,
  unsortedSegmentSum,
  unstack,
  where,
  ZerosLike,
  zerosLike,
} from '@graphmode/graph';
import { IndexedSlices } from '../indexed_slices.js';
import { defineGradient, notDifferentiable } from '../registry.js';

// Output grads of multi-output ops: null only for int outputs, where there is nothing to return.
const allDense = (dys: readonly (Tensor | null)[]): dys is readonly Tensor[] => dys.every((d) => d !== null);

/** dy sliced back into the pieces that were concatenated along `axis`. */
function concatGrad(xs: readonly Tensor[], axis: Tensor, dy: Tensor): Tensor[] {
  const a = constantValue(axis)?.[0];
  const r = xs[0]!.rank;
  const at = a === undefined || r === null ? null : normalizeAxis(a, r);
  const sizes = xs.map((x) => (at === null ? null : (x.shape?.[at] ?? null)));
  if (at !== null && sizes.every((n) => n !== null)) {
    let offset = 0;
    return xs.map((x, i) => {
      const begin = Array<number>(r!).fill(0);
      begin[at] = offset;
      offset += sizes[i]!;
      return slice(dy, begin, shape(x));
    });
  }
  // Offsets known only at run time: begin_i = onehot(axis) * (sum of earlier sizes along axis).
  const axisN = mod(axis, rank(xs[0]!));
  const unit = oneHot(axisN, rank(xs[0]!), { dtype: 'int32' });
  const along = xs.map((x) => gather(shape(x), axisN));
  return xs.map((x, i) => slice(dy, mul(unit, i === 0 ? 0 : addN(along.slice(0, i))), shape(x)));
}

/** TF's _GatherDropNegatives: rows of `params` at `ids`, zero where an id is negative. */
function gatherDropNegatives(params: Tensor, ids: Tensor): Tensor {
  const rows = gather(params, maximum(ids, 0));
  const keep = cast(greaterEqual(ids, 0), rows.dtype);
  // keep has ids' shape; pad it with trailing 1s to broadcast over each row
  const ones = fill(stack([sub(rank(rows), rank(ids))]), constant(1, { dtype: 'int32' }));
  return mul(rows, reshape(keep, concat([shape(ids), ones], 0)));
}

/** GatherV2's gradient: IndexedSlices on axis 0 (TF), a segment sum on other axes. */
function gatherGrad(params: Tensor, indices: Tensor, axis: Tensor, dy: Tensor): IndexedSlices | Tensor {
  const a = constantValue(axis)?.[0];
  const r = params.rank;
  const ps = shape(params);
  if (a === undefined || r === null) return dynamicGatherGrad(ps, indices, axis, dy);
  const at = normalizeAxis(a, r);
  if (at === 0) {
    const n = stack([size(indices)]);
    const values = reshape(dy, concat([n, slice(ps, [1], [-1])], 0));
    return new IndexedSlices(values, reshape(indices, n), ps);
  }
  // dy is [outer..., indices..., inner...]: flatten the index dims, move them to the front,
  // segment-sum rows into params' axis, and move that axis back.
  const values = reshape(dy, concat([slice(ps, [0], [at]), [-1], slice(ps, [at + 1], [-1])], 0));
  const perm = [at, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== at)];
  const back = Array.from({ length: r }, (_, i) => (i < at ? i + 1 : i === at ? 0 : i));
  const summed = unsortedSegmentSum(transpose(values, perm), reshape(indices, [-1]), gather(ps, at));
  return transpose(summed, back);
}

/**
 * gatherGrad's segment sum with the axis (or params' rank) known only at run time, as TF's
 * _GatherV2Grad: the permutations are built on the graph and the result is always dense.
 */
function dynamicGatherGrad(ps: Tensor, indices: Tensor, axis: Tensor, dy: Tensor): Tensor {
  const r = size(ps);
  const at = mod(reshape(axis, []), r);
  const next = add(at, 1);
  const outer = slice(ps, [0], reshape(at, [1]));
  const inner = slice(ps, reshape(next, [1]), [-1]);
  const values = reshape(dy, concat([outer, [-1], inner], 0));
  // [at, 0..at-1, at+1..r-1] brings the gathered axis to the front for the segment sum.
  const perm = concat([reshape(at, [1]), range(0, at), range(next, r)], 0);
  const summed = unsortedSegmentSum(transpose(values, perm), reshape(indices, [-1]), gather(ps, at));
  return transpose(summed, invertPermutation(perm));
}

export function registerArrayGradients(): void {
  // Reshapes: dy takes the input's shape back.
  defineGradient(Reshape, ({ ins: { tensor } }, dy) => ({ tensor: reshape(dy, shape(tensor)) }));
  defineGradient(ExpandDims, ({ ins: { input } }, dy) => ({ input: reshape(dy, shape(input)) }));
  defineGradient(Squeeze, ({ ins: { input } }, dy) => ({ input: reshape(dy, shape(input)) }));
  defineGradient(Transpose, ({ ins: { perm } }, dy) => ({ x: transpose(dy, invertPermutation(perm)) }));
  defineGradient(ReverseV2, ({ ins: { axis } }, dy) => ({ tensor: reverse(dy, axis) }));

  // Joins and splits are each other's gradients.
  defineGradient(ConcatV2, ({ ins: { values } }, dy) => ({
    values: [...concatGrad(values.slice(0, -1), values[values.length - 1]!, dy), null],
  }));
  defineGradient(Pack, ({ ins: { values }, attrs }, dy) => ({
    values: unstack(dy, { num: values.length, axis: attrs.axis }),
  }));
  defineGradient(Unpack, ({ attrs, dys }) =>
    allDense(dys) ? { value: stack(dys, { axis: attrs.axis }) } : {},
  );
  defineGradient(Split, ({ ins: { splitDim }, dys }) =>
    allDense(dys) ? { value: concat(dys, splitDim) } : {},
  );
  defineGradient(SplitV, ({ ins: { splitDim }, dys }) =>
    allDense(dys) ? { value: concat(dys, splitDim) } : {},
  );
  // Tile: view dy as [m0, d0, m1, d1, ...] and sum over the multiples' axes.
  defineGradient(Tile, ({ ins: { input, multiples } }, dy) => {
    const split = reshape(stack([multiples, shape(input)], { axis: 1 }), [-1]);
    return { input: reduceSum(reshape(dy, split), range(0, size(split), 2)) };
  });
  // Pad: the gradient is the un-padded window of dy.
  const padGrad = (input: Tensor, paddings: Tensor, dy: Tensor) =>
    slice(dy, reshape(slice(paddings, [0, 0], [-1, 1]), [-1]), shape(input));
  defineGradient(Pad, ({ ins: { input, paddings } }, dy) => ({ input: padGrad(input, paddings, dy) }));
  defineGradient(PadV2, ({ ins: { input, paddings } }, dy) => ({ input: padGrad(input, paddings, dy) }));

  // Slices scatter dy back into zeros of the input's shape.
  // Slice: pad dy with begin before and shape(x) - begin - shape(y) after.
  defineGradient(Slice, ({ ins: { input, begin }, y }, dy) => ({
    input: pad(dy, stack([begin, sub(sub(shape(input), begin), shape(y))], { axis: 1 })),
  }));
  defineGradient(StridedSlice, ({ ins: { input, begin, end, strides }, attrs }, dy) => ({
    input: stridedSliceGrad(shape(input), begin, end, strides, dy, attrs),
  }));
  // StridedSliceGrad is linear in dy: its gradient slices the incoming gradient again.
  defineGradient(StridedSliceGrad, ({ ins: { begin, end, strides }, attrs }, dy) => ({
    dy: stridedSlice(dy, begin, end, strides, attrs),
  }));
  defineGradient(GatherV2, ({ ins: { params, indices, axis } }, dy) => ({
    params: gatherGrad(params, indices, axis, dy),
  }));
  defineGradient(UnsortedSegmentSum, ({ ins: { segmentIds } }, dy) => ({
    data: gatherDropNegatives(dy, segmentIds),
  }));

  // Select routes dy to whichever branch each element came from.
  defineGradient(Select, ({ ins: { condition, t } }, dy) => {
    const zeros = zerosLike(t);
    return { t: where(condition, dy, zeros), e: where(condition, zeros, dy) };
  });
  // BroadcastTo: sum dy over the broadcast axes, then restore the input's shape.
  defineGradient(BroadcastTo, ({ ins: { input, shape: target } }, dy) => {
    const [, axes] = broadcastGradientArgs(target, shape(input));
    return { input: reshape(reduceSum(dy, axes, { keepDims: true }), shape(input)) };
  });
  // Fill: every output element is `value`.
  defineGradient(Fill, (_, dy) => ({ value: reduceSum(dy) }));

  notDifferentiable(
    ShapeOp,
    Size,
    Rank,
    OneHot,
    ZerosLike,
    OnesLike,
    Range,
    BroadcastGradientArgs,
    InvertPermutation,
  );
}
