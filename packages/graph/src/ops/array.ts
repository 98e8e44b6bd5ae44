// Array ops that move or rearrange elements: shapes, reshapes, transposes, reverse, broadcastTo,
// plus the int helpers gradients need (BroadcastGradientArgs, InvertPermutation). The family
// continues in joins.ts (concat, stack, split, tile, pad), slicing.ts (slices, gather, segment
// sums), select.ts (oneHot, where) and sources.ts (fill, zeros, ones, range). Shape-like arguments
// are int32 input tensors, read with `constantValue`/`constantShape` at build time and `readInts`
// in kernels.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, outputType, typeOf } from '../attr_schema.js';
import { broadcastGradientArgsValues, constantShape, constantValue, foldSame } from '../constant_value.js';
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
import { formatShape, isFullyDefined, normalizeAxis, numElements } from '../dtype.js';
import { InvalidArgumentError, ValueError } from '../errors.js';
import type { Operation, Tensor } from '../graph.js';
import { defineOp, INT, type PartialValue, requireDtype } from '../op_def.js';
import { named } from '../options.js';
import { constant } from './const.js';

/** A shape-like argument (axes, sizes, multiples) as an int32 tensor; JS values become a Const. */

// ---- shape queries ----------------------------------------------------------------------------

// `ShapeOp` rather than `Shape`, which names the static-shape type.
export const ShapeOp = defineOp<'input'>({
  type: 'Shape',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { T: typeOf('input'), out_type: outputType(0, 'int32') },
  fold: ({ input }) => (input.shape === null ? null : [...input.shape]),
  shape: ({ input }) => [input.rank],
  dtype: () => 'int32',
  kernel: ({ input }) => tfc.tensor1d(input.shape, 'int32'),
});
export const Size = defineOp<'input'>({
  type: 'Size',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { T: typeOf('input'), out_type: outputType(0, 'int32') },
  fold: ({ input }) => (input.shape === null ? null : [numElements(input.shape)]),
  shape: () => [],
  dtype: () => 'int32',
  kernel: ({ input }) => tfc.scalar(input.size, 'int32'),
});
export const Rank = defineOp<'input'>({
  type: 'Rank',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { T: typeOf('input') },
  fold: ({ input }) => (input.rank === null ? null : [input.rank]),
  shape: () => [],
  dtype: () => 'int32',
  kernel: ({ input }) => tfc.scalar(input.rank, 'int32'),
});

/** `optimize` (default true, as TF): a Const when the answer is known at build time. */
export interface ShapeOptions extends NameOpt {
  optimize?: boolean;
}
/** The shape of `x` as an int32 vector. @example shape(x) // [batch, 784] at run time */
export function shape(x: TensorInput, opts: ShapeOptions = {}): Tensor {
  return opScope(named('shape', opts, { name: 'string', optimize: 'boolean' }), 'Shape', [x], (name) => {
    const t = toTensor(x, undefined, 'input');
    if (opts.optimize !== false && isFullyDefined(t.shape))
      return constant([...t.shape], { dtype: 'int32', shape: [t.shape.length], name });
    return ShapeOp.apply({ input: t }, {}, { name });
  });
}
/** The number of elements of `x` (int32 scalar). */
export function size(x: TensorInput, opts: ShapeOptions = {}): Tensor {
  return opScope(named('size', opts, { name: 'string', optimize: 'boolean' }), 'Size', [x], (name) => {
    const t = toTensor(x, undefined, 'input');
    const n = numElements(t.shape);
    if (opts.optimize !== false && n !== null) return constant(n, { dtype: 'int32', name });
    return Size.apply({ input: t }, {}, { name });
  });
}
/** The rank of `x` (int32 scalar). */
export function rank(x: TensorInput, opts: ShapeOptions = {}): Tensor {
  return opScope(named('rank', opts, { name: 'string', optimize: 'boolean' }), 'Rank', [x], (name) => {
    const t = toTensor(x, undefined, 'input');
    if (opts.optimize !== false && t.rank !== null) return constant(t.rank, { dtype: 'int32', name });
    return Rank.apply({ input: t }, {}, { name });
  });
}

// ---- reshapes ---------------------------------------------------------------------------------

function reshapeShape(x: Tensor, target: Tensor): Shape | null {
  requireDtype(target, INT, 'shape');
  const want = constantValue(target);
  if (want === null) return constantShape(target);
  if (want.filter((d) => d === -1).length > 1) throw new ValueError('can only infer one dimension (-1)');
  const bad = want.find((d) => d < -1);
  if (bad !== undefined)
    throw new ValueError(`Size ${bad} must be non-negative, not ${bad} (-1 infers one dimension)`);
  const n = numElements(x.shape);
  const known = want.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (!want.includes(-1)) {
    if (n !== null && n !== known) {
      throw new ValueError(
        `Cannot reshape a tensor with ${n} elements to shape ${formatShape(want)} (${known} elements)`,
      );
    }
    return want;
  }
  if (n === null) return want.map((d) => (d === -1 ? null : d));
  if (known === 0 ? n !== 0 : n % known !== 0) {
    throw new ValueError(
      `Cannot reshape a tensor with ${n} elements to shape ${formatShape(want.map((d) => (d === -1 ? null : d)))}: ${n} is not a multiple of ${known}`,
    );
  }
  return want.map((d) => (d === -1 ? (known === 0 ? 0 : n / known) : d));
}
export const Reshape = defineOp<'tensor' | 'shape'>({
  type: 'Reshape',
  outputArgs: ['output'],
  inputs: ['tensor', 'shape'],
  attrs: { T: typeOf('tensor'), Tshape: typeOf('shape', 'int32') },
  fold: foldSame,
  shape: ({ tensor, shape }) => reshapeShape(tensor, shape),
  dtype: ({ tensor }) => tensor.dtype,
  kernel: ({ tensor, shape }) => tfc.reshape(tensor, readInts(shape)),
});
/** `x` with a new shape (one entry may be -1). @example reshape(x, [-1, 28, 28, 1]) */
export const reshape = (x: TensorInput, shape: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('reshape', opts), 'Reshape', [x, shape], (name) =>
    Reshape.apply(
      { tensor: toTensor(x, undefined, 'tensor'), shape: intTensor(shape, 'shape') },
      {},
      { name },
    ),
  );

export const ExpandDims = defineOp<'input' | 'dim'>({
  type: 'ExpandDims',
  outputArgs: ['output'],
  inputs: ['input', 'dim'],
  attrs: { T: typeOf('input'), Tdim: typeOf('dim', 'int32') },
  fold: foldSame,
  shape: ({ input, dim }) => {
    requireDtype(dim, INT, 'dim');
    const d = constantValue(dim);
    if (input.shape === null) return null;
    if (d === null) return null;
    if (d.length !== 1) throw new ValueError(`dim must be a single axis, got ${formatShape(d)}`);
    const at = normalizeAxis(d[0]!, input.shape.length + 1);
    return [...input.shape.slice(0, at), 1, ...input.shape.slice(at)];
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input, dim }) => tfc.expandDims(input, readInts(dim)[0]),
});
/** Inserts a size-1 axis at `axis` (negative counts from the end). @example expandDims(x, -1) */
export const expandDims = (x: TensorInput, axis: number | Tensor, opts: NameOpt = {}): Tensor =>
  opScope(named('expandDims', opts), 'ExpandDims', [x, axis], (name) =>
    ExpandDims.apply({ input: toTensor(x, undefined, 'input'), dim: intTensor(axis, 'dim') }, {}, { name }),
  );

export const Squeeze = defineOp<'input', { squeezeDims: readonly number[] }>({
  type: 'Squeeze',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { T: typeOf('input'), squeeze_dims: attrOf('list(int)', 'squeezeDims', []) },
  fold: foldSame,
  shape: ({ input }, { squeezeDims }) => {
    const s = input.shape;
    if (s === null) return null;
    if (squeezeDims.length === 0) return s.includes(null) ? null : s.filter((d) => d !== 1);
    const drop = new Set(squeezeDims.map((a) => normalizeAxis(a, s.length)));
    for (const i of drop) {
      if (s[i] !== null && s[i] !== 1)
        throw new ValueError(`Can not squeeze dim[${i}], expected a dimension of 1, got ${s[i]}`);
    }
    return s.filter((_, i) => !drop.has(i));
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input }, { squeezeDims }, ctx) => {
    const dims = squeezeDims.map((a) => (a < 0 ? a + input.rank : a));
    const bad = dims.find((i) => input.shape[i] !== 1);
    if (bad !== undefined)
      throw new InvalidArgumentError(`Can not squeeze dim[${bad}] of shape [${input.shape}]`, ctx.op);
    return tfc.squeeze(input, dims.length ? dims : undefined);
  },
});
/** Removes size-1 axes (all of them, or those in `axis`). @example squeeze(x, { axis: [1] }) */
export const squeeze = (x: TensorInput, opts: NameOpt & { axis?: number | readonly number[] } = {}): Tensor =>
  opScope(named('squeeze', opts, { name: 'string', axis: 'any' }), 'Squeeze', [x], (name) =>
    Squeeze.apply(
      { input: toTensor(x, undefined, 'input') },
      { squeezeDims: opts.axis === undefined ? [] : typeof opts.axis === 'number' ? [opts.axis] : opts.axis },
      { name },
    ),
  );

// ---- permutations -----------------------------------------------------------------------------

function checkPermutation(p: readonly number[], n: number): void {
  const seen = new Set(p);
  if (p.length !== n || seen.size !== n || p.some((i) => !(i >= 0 && i < n)))
    throw new ValueError(`perm ${formatShape(p)} is not a permutation of ${n} dimensions`);
}
export const Transpose = defineOp<'x' | 'perm'>({
  type: 'Transpose',
  outputArgs: ['y'],
  inputs: ['x', 'perm'],
  attrs: { T: typeOf('x'), Tperm: typeOf('perm', 'int32') },
  shape: ({ x, perm }) => {
    requireDtype(perm, INT, 'perm');
    const p = constantValue(perm);
    const n = x.rank ?? perm.shape?.[0] ?? null;
    if (p === null) return n === null ? null : Array<null>(n).fill(null);
    checkPermutation(p, n ?? p.length);
    return x.shape === null ? p.map(() => null) : p.map((i) => x.shape![i]!);
  },
  dtype: ({ x }) => x.dtype,
  kernel: ({ x, perm }) => tfc.transpose(x, readInts(perm)),
});
/**
 * Permutes the axes of `x`; by default reverses them. The options object may stand in for the
 * omitted perm. @example transpose(x, [0, 2, 1]); transpose(x, { name: 't' })
 */
export function transpose(
  x: TensorInput,
  perm?: TensorInput | null | NameOpt,
  options: NameOpt = {},
): Tensor {
  const [pm, opts] = optionalArg<TensorInput | null, NameOpt>(perm, options);
  return opScope(named('transpose', opts), 'transpose', [x, pm], (name) => {
    const t = toTensor(x, undefined, 'a');
    let p: Tensor;
    if (pm !== undefined && pm !== null) p = intTensor(pm, 'perm');
    else if (t.rank !== null)
      p = constant(
        t.shape!.map((_, i) => t.rank! - 1 - i),
        { dtype: 'int32', shape: [t.rank], name: 'perm' },
      );
    else throw new ValueError(`transpose of '${t.name}' (unknown rank) needs an explicit perm`);
    return Transpose.apply({ x: t, perm: p }, {}, { name });
  });
}

export const InvertPermutation = defineOp<'x'>({
  type: 'InvertPermutation',
  outputArgs: ['y'],
  inputs: ['x'],
  attrs: { T: typeOf('x', 'int32') },
  fold: ({ x }) => {
    const p = constantValue(x);
    if (p === null) return null;
    const inv: PartialValue = p.map(() => null);
    p.forEach((v, i) => (inv[v] = i));
    return inv;
  },
  shape: ({ x }) => x.shape,
  dtype: ({ x }) => requireDtype(x, INT, 'x'),
  kernel: ({ x }, _, ctx) => {
    const p = readInts(x);
    const inv = new Int32Array(p.length).fill(-1);
    p.forEach((v, i) => {
      if (v < 0 || v >= p.length || inv[v] !== -1)
        throw new InvalidArgumentError(`[${p}] is not a permutation`, ctx.op);
      inv[v] = i;
    });
    return tfc.tensor1d(inv, 'int32');
  },
});
/** The inverse of permutation `x`: y[x[i]] = i. */
export const invertPermutation = (x: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('invertPermutation', opts), 'InvertPermutation', [x], (name) =>
    InvertPermutation.apply({ x: intTensor(x, 'x') }, {}, { name }),
  );

// ---- reverse, broadcast ----------------------------------------------------------------------

export const ReverseV2 = defineOp<'tensor' | 'axis'>({
  type: 'ReverseV2',
  outputArgs: ['output'],
  inputs: ['tensor', 'axis'],
  attrs: { Tidx: typeOf('axis', 'int32'), T: typeOf('tensor') },
  shape: ({ tensor, axis }) => {
    requireDtype(axis, INT, 'axis');
    const a = constantValue(axis);
    if (a !== null && tensor.rank !== null) {
      const norm = a.map((i) => normalizeAxis(i, tensor.rank!));
      if (new Set(norm).size !== norm.length) throw new ValueError(`axis ${formatShape(a)} has duplicates`);
    }
    return tensor.shape;
  },
  dtype: ({ tensor }) => tensor.dtype,
  kernel: ({ tensor, axis }) => tfc.reverse(tensor, readInts(axis)),
});
/** Reverses `x` along each axis in `axis`. @example reverse(x, [1]) */
export const reverse = (
  x: TensorInput,
  axis: number | readonly number[] | Tensor,
  opts: NameOpt = {},
): Tensor =>
  opScope(named('reverse', opts), 'ReverseV2', [x, axis], (name) =>
    ReverseV2.apply(
      {
        tensor: toTensor(x, undefined, 'tensor'),
        axis: intTensor(typeof axis === 'number' ? [axis] : axis, 'axis'),
      },
      {},
      { name },
    ),
  );

export const BroadcastTo = defineOp<'input' | 'shape'>({
  type: 'BroadcastTo',
  outputArgs: ['output'],
  inputs: ['input', 'shape'],
  attrs: { T: typeOf('input'), Tidx: typeOf('shape', 'int32') },
  shape: ({ input, shape }) => {
    requireDtype(shape, INT, 'shape');
    const target = constantShape(shape);
    if (target === null || input.shape === null) return target;
    const s = input.shape;
    if (s.length > target.length)
      throw new ValueError(
        `cannot broadcast ${formatShape(s)} to the lower-rank shape ${formatShape(target)}`,
      );
    return target.map((d, i) => {
      const k = i - (target.length - s.length);
      const e = k < 0 ? 1 : s[k]!;
      if (d !== null && e !== null && e !== 1 && e !== d)
        throw new ValueError(
          `cannot broadcast ${formatShape(s)} to ${formatShape(target)}: dim ${k} is ${e}, not 1 or ${d}`,
        );
      return d ?? (e !== null && e !== 1 ? e : null);
    });
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input, shape }, _a, ctx) => {
    const target = readInts(shape);
    // tfc.broadcastTo runs wasm's Tile, which walks every output element through an index
    // computation (~85 ms for batch norm's [1,1,1,16] → [64,28,28,16] mean gradient); wasm's
    // broadcasting Mul by ones gives the same values (x·1 keeps -0 and NaN) ~10× faster.
    if (ctx.backend === 'wasm' && (input.dtype === 'float32' || input.dtype === 'int32'))
      return tfc.tidy(() => tfc.mul(input, tfc.ones(target, input.dtype)));
    return tfc.broadcastTo(input, target);
  },
});
/** `x` broadcast (numpy rules) to `shape`. @example broadcastTo(bias, [batch, 10]) */
export const broadcastTo = (x: TensorInput, shape: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('broadcastTo', opts), 'BroadcastTo', [x, shape], (name) =>
    BroadcastTo.apply(
      { input: toTensor(x, undefined, 'input'), shape: intTensor(shape, 'shape') },
      {},
      { name },
    ),
  );

export const BroadcastGradientArgs = defineOp<'s0' | 's1'>({
  type: 'BroadcastGradientArgs',
  outputArgs: ['r0', 'r1'],
  inputs: ['s0', 's1'],
  attrs: { T: typeOf('s0', 'int32') },
  fold: ({ s0, s1 }, _, out) => {
    const [a, b] = [constantValue(s0), constantValue(s1)];
    return a === null || b === null ? null : (broadcastGradientArgsValues(a, b)?.[out.valueIndex] ?? null);
  },
  outputs: ({ s0, s1 }) => {
    requireDtype(s0, INT, 's0');
    requireDtype(s1, INT, 's1');
    const [a, b] = [constantValue(s0), constantValue(s1)];
    const known = a !== null && b !== null ? broadcastGradientArgsValues(a, b) : null;
    if (a !== null && b !== null && known === null)
      throw new ValueError(`Incompatible shapes for broadcasting: ${formatShape(a)} and ${formatShape(b)}`);
    return [0, 1].map((i) => ({ dtype: 'int32' as const, shape: [known ? known[i]!.length : null] }));
  },
  kernel: ({ s0, s1 }, _, ctx) => {
    const r = broadcastGradientArgsValues(readInts(s0), readInts(s1));
    if (r === null)
      throw new InvalidArgumentError(`Incompatible shapes: [${readInts(s0)}] vs. [${readInts(s1)}]`, ctx.op);
    return r.map((v) => tfc.tensor1d(v, 'int32'));
  },
});
/** For shapes s0, s1 of a broadcasting op: the axes each input's gradient is summed over. */
export function broadcastGradientArgs(
  s0: TensorInput,
  s1: TensorInput,
  opts: NameOpt = {},
): [Tensor, Tensor] {
  const op: Operation = opScope(
    named('broadcastGradientArgs', opts),
    'BroadcastGradientArgs',
    [s0, s1],
    (name) =>
      BroadcastGradientArgs.applyOp({ s0: intTensor(s0, 's0'), s1: intTensor(s1, 's1') }, {}, { name }),
  );
  return [op.outputs[0]!, op.outputs[1]!];
}
