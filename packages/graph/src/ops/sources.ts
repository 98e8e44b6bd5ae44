// Array sources: Fill, ZerosLike/OnesLike, Range and the zeros/ones builders. As in TF1, builders
// emit a Const when the value is known and small, and a run-time op otherwise.

import * as tfc from '@tensorflow/tfjs-core';
import { typeOf } from '../attr_schema.js';
import { constantShape, constantValue, MAX_FOLD, partialValue } from '../constant_value.js';
import { isOptions, type NameOpt, opScope, readInts, type TensorInput, toTensor } from '../convert.js';
import type { DType, Shape } from '../dtype.js';
import { isFullyDefined } from '../dtype.js';
import { InvalidArgumentError, ValueError } from '../errors.js';
import { Tensor } from '../graph.js';
import { defineOp, NUMERIC, requireDtype, requireRank } from '../op_def.js';
import { checkOptions, named } from '../options.js';
import { constant } from './const.js';
import { Pack } from './joins.js';
import { cast } from './math.js';

export const Fill = defineOp<'dims' | 'value'>({
  type: 'Fill',
  outputArgs: ['output'],
  inputs: ['dims', 'value'],
  attrs: { T: typeOf('value'), index_type: typeOf('dims', 'int32') },
  fold: ({ dims, value }) => {
    const [d, v] = [constantValue(dims), partialValue(value)];
    const n = d?.reduce((a, b) => a * b, 1) ?? null;
    return n === null || v === null || n > MAX_FOLD ? null : Array<number | null>(n).fill(v[0] ?? null);
  },
  shape: ({ dims, value }) => {
    requireDtype(dims, ['int32'], 'dims');
    requireRank(dims, 1, 'dims');
    requireRank(value, 0, 'value');
    return constantShape(dims);
  },
  dtype: ({ value }) => value.dtype,
  kernel: ({ dims, value }) => tfc.fill(readInts(dims), scalarOf(value), value.dtype),
});
const scalarOf = (t: tfc.Tensor): number | string =>
  t.dtype === 'string' ? t.dataSync<'string'>()[0]! : t.dataSync()[0]!;

/** A tensor of shape `dims` filled with the scalar `value`. @example fill([2, 3], 9) */
export const fill = (dims: TensorInput, value: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('fill', opts), 'Fill', [dims, value], (name) =>
    Fill.apply(
      { dims: toTensor(dims, 'int32', 'dims'), value: toTensor(value, undefined, 'value') },
      {},
      { name },
    ),
  );

const like = (type: string, kernel: (x: tfc.Tensor) => tfc.Tensor) =>
  defineOp<'x'>({
    type,
    outputArgs: ['y'],
    inputs: ['x'],
    attrs: { T: typeOf('x') },
    shape: ({ x }) => x.shape,
    dtype: ({ x }) => x.dtype,
    kernel: ({ x }) => kernel(x),
  });
export const ZerosLike = like('ZerosLike', tfc.zerosLike);
export const OnesLike = like('OnesLike', tfc.onesLike);

const zeroOf = (d: DType): number | boolean | string => (d === 'bool' ? false : d === 'string' ? '' : 0);
const oneOf = (d: DType): number | boolean => (d === 'bool' ? true : 1);

type ShapeArg = TensorInput | readonly (number | Tensor)[];
// TF's `_constant_if_small`: a Const below 1000 elements, otherwise Fill of a shape vector.
function filled(
  shapeArg: ShapeArg,
  value: number | boolean | string,
  dtype: DType,
  opts: NameOpt,
  dflt: string,
) {
  checkOptions(dflt, opts, { name: 'string', dtype: 'any' });
  return opScope(opts.name, dflt, [shapeArg], (name) => filledIn(shapeArg, value, dtype, name));
}
function filledIn(shapeArg: ShapeArg, value: number | boolean | string, dtype: DType, name: string): Tensor {
  if (Array.isArray(shapeArg) && shapeArg.every((d) => typeof d === 'number')) {
    const dims = shapeArg as number[];
    if (dims.reduce((a, b) => a * b, 1) < 1000) return constant(value, { dtype, shape: dims, name });
  }
  const dims =
    Array.isArray(shapeArg) && shapeArg.some((d) => d instanceof Tensor)
      ? Pack.apply(
          { values: shapeArg.map((d) => toTensor(d as TensorInput, 'int32')) },
          { axis: 0 },
          { name: 'stack' },
        )
      : toTensor(shapeArg as TensorInput, 'int32', 'shape');
  return Fill.apply({ dims, value: constant(value, { dtype }) }, {}, { name });
}

export interface FillOptions extends NameOpt {
  dtype?: DType;
}
/** Zeros of `shape` (JS numbers, a shape tensor, or a mix). @example zeros([2, 3], { dtype: 'int32' }) */
export const zeros = (shape: ShapeArg, opts: FillOptions = {}): Tensor =>
  filled(shape, zeroOf(opts.dtype ?? 'float32'), opts.dtype ?? 'float32', opts, 'zeros');
/** Ones of `shape`. @example ones([3]) */
export const ones = (shape: ShapeArg, opts: FillOptions = {}): Tensor =>
  filled(shape, oneOf(opts.dtype ?? 'float32'), opts.dtype ?? 'float32', opts, 'ones');

/** `optimize` (default true, as TF): a Const when `x`'s shape is fully known. */
export interface LikeOptions extends FillOptions {
  optimize?: boolean;
}
/** Zeros with `x`'s shape (and dtype unless given). @example zerosLike(logits) */
export function zerosLike(x: TensorInput, opts: LikeOptions = {}): Tensor {
  checkOptions('zerosLike', opts, { name: 'string', dtype: 'any', optimize: 'boolean' });
  return opScope(opts.name, 'zeros_like', [x], (name) => {
    const t = toTensor(x, undefined, 'tensor');
    const dtype = opts.dtype ?? t.dtype;
    if (opts.optimize !== false && isFullyDefined(t.shape)) return zeros(t.shape, { dtype, name });
    if (dtype === t.dtype) return ZerosLike.apply({ x: t }, {}, { name });
    return cast(ZerosLike.apply({ x: t }, {}, { name }), dtype);
  });
}
/** Ones with `x`'s shape (and dtype unless given). */
export function onesLike(x: TensorInput, opts: LikeOptions = {}): Tensor {
  checkOptions('onesLike', opts, { name: 'string', dtype: 'any', optimize: 'boolean' });
  return opScope(opts.name, 'ones_like', [x], (name) => {
    const t = toTensor(x, undefined, 'tensor');
    const dtype = opts.dtype ?? t.dtype;
    if (opts.optimize !== false && isFullyDefined(t.shape)) return ones(t.shape, { dtype, name });
    if (dtype === t.dtype) return OnesLike.apply({ x: t }, {}, { name });
    return cast(OnesLike.apply({ x: t }, {}, { name }), dtype);
  });
}

function rangeSize(start: number, limit: number, delta: number): number {
  if (delta === 0) throw new ValueError('Requires delta != 0');
  if (delta > 0 ? start > limit : start < limit)
    throw new ValueError(
      `Requires start ${delta > 0 ? '<=' : '>='} limit when delta ${delta > 0 ? '>' : '<'} 0: ${start}/${limit}`,
    );
  return Math.ceil((limit - start) / delta);
}
export const Range = defineOp<'start' | 'limit' | 'delta'>({
  type: 'Range',
  outputArgs: ['output'],
  inputs: ['start', 'limit', 'delta'],
  attrs: { Tidx: typeOf('start', 'int32') },
  fold: ({ start, limit, delta }) => {
    const [s, l, d] = [constantValue(start), constantValue(limit), constantValue(delta)];
    if (s === null || l === null || d === null || d[0] === 0) return null;
    const n = Math.max(0, Math.ceil((l[0]! - s[0]!) / d[0]!));
    return n > MAX_FOLD ? null : Array.from({ length: n }, (_, i) => s[0]! + i * d[0]!);
  },
  shape: ({ start, limit, delta }) => {
    for (const t of [start, limit, delta])
      requireRank(t, 0, t === start ? 'start' : t === limit ? 'limit' : 'delta');
    const [s, l, d] = [constantValue(start), constantValue(limit), constantValue(delta)];
    return [s && l && d ? rangeSize(s[0]!, l[0]!, d[0]!) : null] as Shape;
  },
  dtype: ({ start, limit, delta }) => {
    for (const t of [limit, delta])
      if (t.dtype !== start.dtype) requireDtype(t, [start.dtype], 'limit/delta');
    return requireDtype(start, NUMERIC, 'start');
  },
  kernel: ({ start, limit, delta }, _, ctx) => {
    const [s, l, d] = [start, limit, delta].map((t) => t.dataSync()[0] as number) as [number, number, number];
    try {
      rangeSize(s, l, d);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message, ctx.op);
    }
    return tfc.range(s, l, d, start.dtype as 'int32' | 'float32');
  },
});

/**
 * TF's range: `range(5)` is 0..4, `range(2, 10, 3)` is [2, 5, 8]. The dtype is int32 unless an
 * argument is a non-integer number or a float32 tensor (or `dtype` says otherwise). The options
 * object may stand in for omitted optional arguments: `range(5, { dtype: 'float32' })`.
 */
export function range(
  start: TensorInput,
  limit?: TensorInput | null | FillOptions,
  delta: TensorInput | FillOptions = 1,
  options: FillOptions = {},
): Tensor {
  let opts = options;
  if (isOptions(limit)) [opts, limit, delta] = [limit as FillOptions, undefined, 1];
  else if (isOptions(delta)) [opts, delta] = [delta as FillOptions, 1];
  let lim = limit as TensorInput | null | undefined;
  if (lim === undefined || lim === null) [start, lim] = [0, start];
  const raw = [start, lim, delta as TensorInput];
  checkOptions('range', opts, { name: 'string', dtype: 'any' });
  return opScope(opts.name, 'range', raw, (name) => {
    const args = raw.map((a, i) =>
      typeof a === 'number' ? a : toTensor(a, undefined, ['start', 'limit', 'delta'][i]),
    );
    const isFloat = (a: number | Tensor) =>
      typeof a === 'number' ? !Number.isInteger(a) : a.dtype === 'float32';
    const dtype = opts.dtype ?? (args.some(isFloat) ? 'float32' : 'int32');
    const [s, l, d] = args.map((a, i) =>
      typeof a === 'number' ? constant(a, { dtype, name: ['start', 'limit', 'delta'][i] }) : cast(a, dtype),
    ) as [Tensor, Tensor, Tensor];
    return Range.apply({ start: s, limit: l, delta: d }, {}, { name });
  });
}
