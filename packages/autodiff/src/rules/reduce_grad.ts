// Gradient rules for ops/reduce.ts (the reductions of TF's math_grad.py). See registry.ts for
// the rule contract. A reduction's `dy` has the reduced shape: each rule first lifts it back to
// x's rank with size-1 reduced dims (the keepDims shape, `kept`), then broadcasts it over x.
// Static shapes give one Reshape; unknown dims, ranks or axes fall back to shape arithmetic on
// the graph (TF's `reduced_shape`).
import {
  All,
  Any,
  ArgMax,
  ArgMin,
  add,
  broadcastTo,
  cast,
  concat,
  constant,
  constantValue,
  cumprod,
  cumsum,
  div,
  equal,
  expandDims,
  floorDiv,
  gather,
  invertPermutation,
  isFullyDefined,
  Max,
  Mean,
  Min,
  maximum,
  mod,
  mul,
  normalizeAxis,
  numElements,
  type Operation,
  onesLike,
  Prod,
  range,
  reduceAny,
  reduceProd,
  reduceShape,
  reduceSum,
  reshape,
  Sum,
  shape,
  size,
  stack,
  sub,
  type Tensor,
  transpose,
  where,
} from '@graphmode/graph';
import { defineGradient, notDifferentiable } from '../registry.js';

type ReductionOp = Operation<{ keepDims: boolean }>;

/** The reduced axes, normalised and sorted, when the rank and the axes are known statically. */
function staticAxes(op: ReductionOp): number[] | null {
  const [x, axes] = op.inputs as [Tensor, Tensor];
  const v = constantValue(axes);
  if (x.shape === null || v === null) return null;
  return [...new Set(v.map((a) => normalizeAxis(a, x.shape!.length)))].sort((a, b) => a - b);
}

/** x's shape with the reduced dims set to 1, as an int32 tensor (TF's math_ops.reduced_shape). */
function keptShapeTensor(x: Tensor, axes: Tensor): Tensor {
  const s = shape(x);
  return where(reducedMask(s, axes), onesLike(s), s);
}

/** A bool vector over x's dims: true where `axes` (any order, negative, repeated) reduces. */
function reducedMask(xShape: Tensor, axes: Tensor): Tensor {
  const r = size(xShape);
  const normalized = mod(add(reshape(axes, [-1]), r), r);
  return reduceAny(equal(expandDims(range(r), 1), expandDims(normalized, 0)), 1);
}

/** `t` (shaped like the op's output) reshaped to the keepDims shape of the reduction. */
function kept(op: ReductionOp, t: Tensor): Tensor {
  if (op.attrs.keepDims) return t;
  const [x, axes] = op.inputs as [Tensor, Tensor];
  const known = staticAxes(op);
  if (known !== null) {
    const target = reduceShape(x.shape, known, true)!;
    if (target.filter((d) => d === null).length <= 1)
      return reshape(
        t,
        target.map((d) => d ?? -1),
      );
  }
  return reshape(t, keptShapeTensor(x, axes));
}

/** dy spread over every element of x that the reduction read. */
const spread = (op: ReductionOp, dy: Tensor): Tensor => broadcastTo(kept(op, dy), shape(op.inputs[0]!));

/** The number of input elements behind each output element (TF's _safe_shape_div of sizes). */
function reducedCount(op: ReductionOp): Tensor | number {
  const nx = numElements(op.inputs[0]!.shape);
  const ny = numElements(op.outputs[0]!.shape);
  if (nx !== null && ny !== null) return Math.floor(nx / Math.max(ny, 1));
  return cast(floorDiv(size(op.inputs[0]!), maximum(size(op.outputs[0]!), 1)), 'float32');
}

// d prod(x) / dx_i = product of the other entries, computed as exclusive cumulative products
// from both sides (no division, so zeros in x are fine).
function prodGrad(op: ReductionOp, dy: Tensor): Tensor {
  const x = op.inputs[0]!;
  const axes = staticAxes(op);
  const grad = spread(op, dy);
  if (axes === null) return mul(grad, dynamicOthers(x, op.inputs[1]!));
  if (axes.length === 0) return grad;
  const others = (a: number, opts: { reverse?: boolean } = {}) => cumprod(x, a, { exclusive: true, ...opts });
  if (axes.length === 1) return mul(grad, mul(others(axes[0]!), others(axes[0]!, { reverse: true })));
  // Several axes: move them to the front and flatten them into one, then scan along it.
  const rest = x.shape!.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...axes, ...rest];
  const permuted = transpose(x, perm);
  const dims = axes.map((a) => x.shape![a]!);
  const n = isFullyDefined(dims)
    ? constant([dims.reduce((p, d) => p * d, 1)], { dtype: 'int32' })
    : reshape(reduceProd(gather(shape(x), axes)), [1]);
  const flat = reshape(permuted, concat([n, constant([-1], { dtype: 'int32' })], 0));
  const both = mul(
    cumprod(flat, 0, { exclusive: true }),
    cumprod(flat, 0, { exclusive: true, reverse: true }),
  );
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return mul(grad, transpose(reshape(both, shape(permuted)), inverse));
}

/**
 * The product of the other reduced entries when the rank or the axes are only known at run time
 * (TF's _ProdGrad): the reduced dims move to the front and flatten into one, the rest into a
 * second, and the exclusive scans run along the first. Instead of TF's set difference the
 * permutation comes from the reduced mask: old dim i goes to position (reduced dims before i)
 * if reduced, else (all reduced dims) + (kept dims before i).
 */
function dynamicOthers(x: Tensor, axes: Tensor): Tensor {
  const s = shape(x);
  const isReduced = reducedMask(s, axes);
  const red = cast(isReduced, 'int32');
  const kept = sub(1, red);
  const position = where(
    isReduced,
    cumsum(red, 0, { exclusive: true }),
    add(reduceSum(red), cumsum(kept, 0, { exclusive: true })),
  );
  const perm = invertPermutation(position);
  const permuted = transpose(x, perm);
  const reducedNum = reduceProd(where(isReduced, s, onesLike(s)));
  const otherNum = reduceProd(where(isReduced, onesLike(s), s));
  const flat = reshape(permuted, stack([reducedNum, otherNum]));
  const both = mul(
    cumprod(flat, 0, { exclusive: true }),
    cumprod(flat, 0, { exclusive: true, reverse: true }),
  );
  return transpose(reshape(both, shape(permuted)), position);
}

export function registerReduceGradients(): void {
  defineGradient(Sum, ({ op }, dy) => ({ input: spread(op, dy) }));
  defineGradient(Mean, ({ op }, dy) => ({ input: div(spread(op, dy), reducedCount(op)) }));
  // The gradient is shared equally among the entries equal to the extremum (TF's _MinOrMaxGrad).
  for (const def of [Max, Min]) {
    defineGradient(def, ({ op, ins: { input, reductionIndices }, y }, dy) => {
      const hits = cast(equal(kept(op, y), input), 'float32');
      const ties = reduceSum(hits, reductionIndices, { keepDims: true });
      return { input: mul(div(hits, ties), kept(op, dy)) };
    });
  }
  defineGradient(Prod, ({ op }, dy) => ({ input: prodGrad(op, dy) }));
  notDifferentiable(All, Any, ArgMax, ArgMin);
}
