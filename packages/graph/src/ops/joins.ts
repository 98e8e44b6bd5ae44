// Ops that join, split, repeat or pad arrays: ConcatV2, Pack/Unpack, Split/SplitV, Tile, Pad/PadV2.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, lengthOf, typeOf } from '../attr_schema.js';
import { constantShape, constantValue, partialValue } from '../constant_value.js';
import {
  intTensor,
  type NameOpt,
  opScope,
  optionalArg,
  readInts,
  type TensorInput,
  toTensor,
  toTensorPair,
} from '../convert.js';
import type { Shape } from '../dtype.js';
import { formatShape, mergeShapes, normalizeAxis, shapesCompatible } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { NDArray } from '../ndarray.js';
import { defineOp, INT, type PartialValue, requireDtype, sameDtype } from '../op_def.js';
import { checkOptions, NAME_SPEC, named } from '../options.js';
import { identity } from './core.js';

// As TF's auto-packing: plain JS values take the dtype of the tensors among them.
function toTensors(values: readonly TensorInput[]): Tensor[] {
  const plain = (v: TensorInput) =>
    typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v) || v instanceof NDArray;
  const hint = values.find((v) => !plain(v));
  const dtype = hint === undefined ? undefined : toTensor(hint).dtype;
  return values.map((v, i) => (plain(v) ? toTensor(v, dtype, `values_${i}`) : toTensor(v)));
}

// ---- concat, stack, split ---------------------------------------------------------------------

/** Static shape of joining `parts` along `axis` (sizes there add up; other dims must agree). */
function joinShapes(parts: readonly Tensor[], axis: number | null, rank: number | null): Shape | null {
  if (rank === null) return null;
  if (axis === null) {
    if (parts.some((p) => p.rank !== null && p.rank !== rank))
      throw new ValueError(
        `all inputs must have the same rank, got ${parts.map((q) => formatShape(q.shape)).join(' and ')}`,
      );
    return Array<null>(rank).fill(null);
  }
  let out: Shape = Array<null>(rank).fill(null);
  let total: number | null = 0;
  for (const p of parts) {
    const s: Shape = p.shape ?? Array<null>(rank).fill(null);
    if (s.length !== rank)
      throw new ValueError(
        `all inputs must have the same rank, got ${parts.map((q) => formatShape(q.shape)).join(' and ')}`,
      );
    const rest = (v: Shape) => v.map((d, i) => (i === axis ? null : d));
    if (!shapesCompatible(rest(out), rest(s)))
      throw new ValueError(
        `dimensions other than axis ${axis} must match, got ${formatShape(out)} and ${formatShape(s)}`,
      );
    out = mergeShapes(out, rest(s))!;
    total = total === null || s[axis] === null ? null : total + s[axis]!;
  }
  return out.map((d, i) => (i === axis ? total : d));
}
const knownRank = (ts: readonly Tensor[]): number | null => ts.find((t) => t.rank !== null)?.rank ?? null;

// TF's input order: the values, then the axis; `values` holds both (the axis last).
export const ConcatV2 = defineOp<never, Record<never, never>, 'values'>({
  type: 'ConcatV2',
  outputArgs: ['output'],
  inputs: [],
  list: 'values',
  // TF's N counts the values only; the axis (Tidx) is the list's last tensor.
  attrs: {
    N: { type: 'int', from: { lengthOf: 'values', less: 1 } },
    T: typeOf('values'),
    Tidx: { type: 'type', from: { dtypeOf: 'values', at: -1 }, default: 'int32' },
  },
  fold: ({ values }) => {
    const parts = values.slice(0, -1);
    const known = parts.map(partialValue);
    return known.every((p) => p !== null) && parts.every((x) => x.rank === 1)
      ? (known as PartialValue[]).flat()
      : null;
  },
  shape: ({ values }) => {
    const parts = values.slice(0, -1);
    const axisT = values[values.length - 1]!;
    requireDtype(axisT, INT, 'axis');
    if (parts.length === 0) throw new ValueError('needs at least one value to concatenate');
    const r = knownRank(parts);
    const a = constantValue(axisT);
    return joinShapes(parts, a === null || r === null ? null : normalizeAxis(a[0]!, r), r);
  },
  dtype: ({ values }) => sameDtype(...values.slice(0, -1)),
  kernel: ({ values }) =>
    tfc.concat(values.slice(0, -1) as tfc.Tensor[], readInts(values[values.length - 1]!)[0]),
});
/** Joins tensors along an existing `axis`. @example concat([a, b], 1) */
export function concat(values: readonly TensorInput[], axis: number | Tensor, opts: NameOpt = {}): Tensor {
  checkOptions('concat', opts, NAME_SPEC);
  return opScope(opts.name, 'concat', [values, axis], (name) => {
    const ts = toTensors(values);
    if (ts.length === 1) return identity(ts[0]!, { name });
    return ConcatV2.apply({ values: [...ts, intTensor(axis, 'axis')] }, {}, { name });
  });
}

export const Pack = defineOp<never, { axis: number }, 'values'>({
  type: 'Pack',
  outputArgs: ['output'],
  inputs: [],
  list: 'values',
  attrs: { N: lengthOf('values'), T: typeOf('values'), axis: attrOf('int', 'axis', 0) },
  fold: ({ values }, { axis }) => {
    const parts = values.map(partialValue);
    if (parts.some((p) => p === null) || values.some((x) => x.rank === null || x.rank > 1)) return null;
    const ps = parts as PartialValue[];
    if (values[0]!.rank === 0 || axis === 0) return ps.flat();
    // axis 1 of vectors: row i is [p0[i], p1[i], ...]
    return ps[0]!.flatMap((_, i) => ps.map((p) => p[i] ?? null));
  },
  shape: ({ values }, { axis }) => {
    if (values.length === 0) throw new ValueError('needs at least one value to stack');
    let s: Shape | null = null;
    for (const v of values) {
      if (!shapesCompatible(s, v.shape))
        throw new ValueError(
          `all values must have the same shape, got ${formatShape(s)} and ${formatShape(v.shape)}`,
        );
      s = mergeShapes(s, v.shape);
    }
    if (s === null) return null;
    const at = normalizeAxis(axis, s.length + 1);
    return [...s.slice(0, at), values.length, ...s.slice(at)];
  },
  dtype: ({ values }) => sameDtype(...values),
  kernel: ({ values }, { axis }) => tfc.stack(values as tfc.Tensor[], axis),
});
/** Stacks same-shaped tensors along a new `axis`. @example stack([a, b], { axis: 1 }) */
export const stack = (values: readonly TensorInput[], opts: NameOpt & { axis?: number } = {}): Tensor =>
  opScope(named('stack', opts, { name: 'string', axis: 'number' }), 'stack', [values], (name) =>
    Pack.apply({ values: toTensors(values) }, { axis: opts.axis ?? 0 }, { name }),
  );

export const Unpack = defineOp<'value', { num: number; axis: number }>({
  type: 'Unpack',
  outputArgs: [{ list: 'output' }],
  inputs: ['value'],
  attrs: { num: attrOf('int', 'num'), T: typeOf('value'), axis: attrOf('int', 'axis', 0) },
  outputs: ({ value }, { num, axis }) => {
    const s = value.shape;
    const at = s === null ? null : normalizeAxis(axis, s.length);
    if (s !== null && s[at!] !== null && s[at!] !== num)
      throw new ValueError(`num ${num} does not match dimension ${at} of size ${s[at!]}`);
    const out = s === null ? null : s.filter((_, i) => i !== at);
    return Array.from({ length: num }, () => ({ dtype: value.dtype, shape: out }));
  },
  kernel: ({ value }, { axis }) => tfc.unstack(value, axis),
});
/** Splits `x` into its slices along `axis` (`num` is inferred from the static shape). */
export function unstack(x: TensorInput, opts: NameOpt & { num?: number; axis?: number } = {}): Tensor[] {
  checkOptions('unstack', opts, { name: 'string', num: 'number', axis: 'number' });
  return opScope(opts.name, 'unstack', [x], (name) => {
    const t = toTensor(x, undefined, 'value');
    const axis = opts.axis ?? 0;
    const num = opts.num ?? (t.shape === null ? null : t.shape[normalizeAxis(axis, t.shape.length)]);
    if (num === null || num === undefined)
      throw new ValueError(`Cannot infer num from shape ${formatShape(t.shape)} of '${t.name}'`);
    return [...Unpack.applyOp({ value: t }, { num, axis }, { name }).outputs];
  });
}

function splitOutputs(value: Tensor, axisT: Tensor, sizes: readonly (number | null)[]) {
  requireDtype(axisT, INT, 'split_dim');
  const a = constantValue(axisT);
  const s = value.shape;
  const at = a === null || s === null ? null : normalizeAxis(a[0]!, s.length);
  return sizes.map((n) => ({
    dtype: value.dtype,
    shape: s === null ? null : s.map((d, i) => (at === null ? null : i === at ? n : d)),
  }));
}
export const Split = defineOp<'splitDim' | 'value', { numSplit: number }>({
  type: 'Split',
  outputArgs: [{ list: 'output' }],
  inputs: ['splitDim', 'value'],
  attrs: { num_split: attrOf('int', 'numSplit'), T: typeOf('value') },
  outputs: ({ splitDim, value }, { numSplit }) => {
    const a = constantValue(splitDim);
    const d =
      a === null || value.shape === null ? null : value.shape[normalizeAxis(a[0]!, value.shape.length)]!;
    if (d !== null && d % numSplit !== 0) {
      throw new ValueError(
        `Number of ways to split should evenly divide the split dimension, but got split_dim ${a![0]} (size = ${d}) and num_split ${numSplit}`,
      );
    }
    return splitOutputs(value, splitDim, Array(numSplit).fill(d === null ? null : d / numSplit));
  },
  kernel: ({ splitDim, value }, { numSplit }) => tfc.split(value, numSplit, readInts(splitDim)[0]),
});
export const SplitV = defineOp<'value' | 'sizeSplits' | 'splitDim', { numSplit: number }>({
  type: 'SplitV',
  outputArgs: [{ list: 'output' }],
  inputs: ['value', 'sizeSplits', 'splitDim'],
  attrs: { num_split: attrOf('int', 'numSplit'), T: typeOf('value'), Tlen: typeOf('sizeSplits', 'int64') },
  outputs: ({ value, sizeSplits, splitDim }, { numSplit }) => {
    requireDtype(sizeSplits, INT, 'size_splits');
    const sizes = constantValue(sizeSplits);
    const a = constantValue(splitDim);
    const d =
      a === null || value.shape === null ? null : value.shape[normalizeAxis(a[0]!, value.shape.length)]!;
    if (sizes === null) return splitOutputs(value, splitDim, Array(numSplit).fill(null));
    if (sizes.filter((n) => n === -1).length > 1)
      throw new ValueError('size_splits can contain at most one -1');
    const rest = sizes.filter((n) => n !== -1).reduce((x, y) => x + y, 0);
    if (d !== null && (sizes.includes(-1) ? rest > d : rest !== d))
      throw new ValueError(
        `size_splits ${formatShape(sizes)} do not add up to the split dimension of size ${d}`,
      );
    return splitOutputs(
      value,
      splitDim,
      sizes.map((n) => (n !== -1 ? n : d === null ? null : d - rest)),
    );
  },
  kernel: ({ value, sizeSplits, splitDim }) => {
    const axis = readInts(splitDim)[0]!;
    const sizes = readInts(sizeSplits);
    const d = value.shape[axis < 0 ? axis + value.rank : axis]!;
    const rest = sizes.filter((n) => n !== -1).reduce((x, y) => x + y, 0);
    return tfc.split(
      value,
      sizes.map((n) => (n === -1 ? d - rest : n)),
      axis,
    );
  },
});
/**
 * Splits `x` along `axis` into `numOrSizeSplits` equal parts, or parts of the given sizes.
 * @example const [a, b] = split(x, 2, 1); const [c, d] = split(x, [3, -1], 0);
 */
export function split(
  x: TensorInput,
  numOrSizeSplits: number | readonly number[] | Tensor,
  axisOrOpts: number | Tensor | (NameOpt & { num?: number }) = 0,
  options: NameOpt & { num?: number } = {},
): Tensor[] {
  // The options object may stand in for the omitted axis.
  const [ax, opts] = optionalArg<number | Tensor, NameOpt & { num?: number }>(axisOrOpts, options);
  const axis = ax ?? 0;
  checkOptions('split', opts, { name: 'string', num: 'number' });
  return opScope(opts.name, 'split', [x, numOrSizeSplits, axis], (name) => {
    if (typeof numOrSizeSplits === 'number') {
      const splitDim = intTensor(axis, 'split_dim');
      const value = toTensor(x, undefined, 'value');
      return [...Split.applyOp({ splitDim, value }, { numSplit: numOrSizeSplits }, { name }).outputs];
    }
    const t = toTensor(x, undefined, 'value');
    const sizes = intTensor(numOrSizeSplits, 'size_splits');
    const n = opts.num ?? sizes.shape?.[0] ?? null;
    if (n === null)
      throw new ValueError(`Cannot infer num from shape ${formatShape(sizes.shape)} of size_splits`);
    const op = SplitV.applyOp(
      { value: t, sizeSplits: sizes, splitDim: intTensor(axis, 'split_dim') },
      { numSplit: n },
      { name },
    );
    return [...op.outputs];
  });
}

// ---- tile ------------------------------------------------------------------------------------

export const Tile = defineOp<'input' | 'multiples'>({
  type: 'Tile',
  outputArgs: ['output'],
  inputs: ['input', 'multiples'],
  attrs: { T: typeOf('input'), Tmultiples: typeOf('multiples', 'int32') },
  shape: ({ input, multiples }) => {
    requireDtype(multiples, INT, 'multiples');
    const m = constantShape(multiples);
    const r = input.rank ?? m?.length ?? null;
    if (r === null) return null;
    if (m !== null && m.length !== r)
      throw new ValueError(`multiples ${formatShape(m)} must have one entry per dimension of the input`);
    return Array.from({ length: r }, (_, i) => {
      const d = input.shape?.[i] ?? null;
      const k = m?.[i] ?? null;
      return d === null || k === null ? null : d * k;
    });
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input, multiples }) => tfc.tile(input, readInts(multiples)),
});
/** Repeats `x` `multiples[i]` times along axis i. @example tile(x, [1, 3]) */
export const tile = (x: TensorInput, multiples: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('tile', opts), 'Tile', [x, multiples], (name) =>
    Tile.apply(
      { input: toTensor(x, undefined, 'input'), multiples: intTensor(multiples, 'multiples') },
      {},
      { name },
    ),
  );

// ---- pad --------------------------------------------------------------------------------------

function padShape(input: Tensor, paddings: Tensor): Shape | null {
  requireDtype(paddings, INT, 'paddings');
  const r = input.rank ?? paddings.shape?.[0] ?? null;
  if (paddings.shape !== null && !shapesCompatible(paddings.shape, [r, 2]))
    throw new ValueError(
      `paddings must have shape [rank, 2] = [${r ?? '?'},2], got ${formatShape(paddings.shape)}`,
    );
  if (r === null) return null;
  const p = constantValue(paddings);
  if (p?.some((v) => v < 0)) throw new ValueError(`paddings must be non-negative, got ${p}`);
  return Array.from({ length: r }, (_, i) => {
    const d = input.shape?.[i] ?? null;
    return d === null || p === null ? null : d + p[2 * i]! + p[2 * i + 1]!;
  });
}
const pairs = (p: tfc.Tensor): [number, number][] => {
  const v = readInts(p);
  return Array.from({ length: v.length / 2 }, (_, i) => [v[2 * i]!, v[2 * i + 1]!]);
};
export const Pad = defineOp<'input' | 'paddings'>({
  type: 'Pad',
  outputArgs: ['output'],
  inputs: ['input', 'paddings'],
  attrs: { T: typeOf('input'), Tpaddings: typeOf('paddings', 'int32') },
  shape: ({ input, paddings }) => padShape(input, paddings),
  dtype: ({ input }) => input.dtype,
  kernel: ({ input, paddings }) => tfc.pad(input, pairs(paddings)),
});
export const PadV2 = defineOp<'input' | 'paddings' | 'constantValues'>({
  type: 'PadV2',
  outputArgs: ['output'],
  inputs: ['input', 'paddings', 'constantValues'],
  attrs: { T: typeOf('input'), Tpaddings: typeOf('paddings', 'int32') },
  shape: ({ input, paddings }) => padShape(input, paddings),
  dtype: ({ input, constantValues }) => sameDtype(input, constantValues),
  kernel: ({ input, paddings, constantValues }) =>
    tfc.pad(input, pairs(paddings), constantValues.dataSync()[0] as number),
});
/**
 * Pads `x` with `paddings[i] = [before, after]` elements on axis i (mode 'CONSTANT' only).
 * @example pad(x, [[0, 0], [1, 2]], { constantValues: -1 })
 */
export function pad(
  x: TensorInput,
  paddings: TensorInput,
  opts: NameOpt & { constantValues?: number | Tensor; mode?: 'CONSTANT' | 'REFLECT' | 'SYMMETRIC' } = {},
): Tensor {
  const mode = (opts.mode ?? 'CONSTANT').toUpperCase();
  if (mode !== 'CONSTANT') throw new ValueError(`pad: mode ${mode} is not supported (only CONSTANT)`);
  const cv = opts.constantValues ?? 0;
  checkOptions('pad', opts, { name: 'string', constantValues: 'any', mode: 'any' });
  return opScope(opts.name, cv === 0 ? 'Pad' : 'PadV2', [x, paddings, cv], (name) => {
    const t = toTensor(x, undefined, 'input');
    const p = intTensor(paddings, 'paddings');
    if (cv === 0) return Pad.apply({ input: t, paddings: p }, {}, { name });
    const [, c] = toTensorPair(t, cv, ['input', 'constant_values']);
    return PadV2.apply({ input: t, paddings: p, constantValues: c }, {}, { name });
  });
}
