// Reductions over axes given as an int tensor (TF's `reduction_indices` input), and arg-reductions.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, outputType, typeOf } from '../attr_schema.js';
import { constantValue } from '../constant_value.js';
import {
  inGraphOf,
  type NameOpt,
  opScope,
  optionalArg,
  readInts,
  type TensorInput,
  toTensor,
} from '../convert.js';
import type { DType, Shape } from '../dtype.js';
import { formatShape, normalizeAxis, reduceShape } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, NUMERIC, requireDtype } from '../op_def.js';
import { named, type OptionSpec } from '../options.js';
import { rank } from './array.js';
import { constant } from './const.js';
import { stopGradient } from './core.js';
import { add, exp, log, maximum, minimum, sub } from './math.js';
import { range } from './sources.js';

type ReduceKernel = (x: tfc.Tensor, axes: number[], keepDims: boolean) => tfc.Tensor;

function reducedShape(x: Tensor, axis: Tensor, keepDims: boolean): Shape | null {
  requireDtype(axis, ['int32'], 'reduction_indices');
  const axes = constantValue(axis);
  if (axes !== null) return reduceShape(x.shape, axes, keepDims);
  if (x.shape === null) return null;
  // Unknown axes: keepDims keeps the rank; otherwise the rank is unknown unless the axis count is.
  return keepDims ? x.shape.map(() => null) : null;
}

// All and Any take bool only, so TF declares no type attr `T` for them.
const BOOL: readonly DType[] = ['bool'];
const reduction = (type: string, kernel: ReduceKernel, allowed: readonly DType[] = NUMERIC) =>
  defineOp<'input' | 'reductionIndices', { keepDims: boolean }>({
    type,
    outputArgs: ['output'],
    inputs: ['input', 'reductionIndices'],
    attrs: {
      ...(allowed === BOOL ? {} : { T: typeOf<'input'>('input') }),
      Tidx: typeOf('reductionIndices', 'int32'),
      keep_dims: attrOf('bool', 'keepDims', false),
    },
    shape: ({ input, reductionIndices }, { keepDims }) => reducedShape(input, reductionIndices, keepDims),
    dtype: ({ input }) => requireDtype(input, allowed, 'input'),
    kernel: ({ input, reductionIndices }, { keepDims }) =>
      kernel(input, readInts(reductionIndices), keepDims),
  });

// tfjs's mean of int32 is float32; TF's integer Mean stays int32, truncating toward zero.
const meanKernel: ReduceKernel = (x, axes, keepDims) =>
  x.dtype === 'int32'
    ? tfc.tidy(() => tfc.cast(tfc.mean(x, axes, keepDims), 'int32'))
    : tfc.mean(x, axes, keepDims);

export const Sum = reduction('Sum', tfc.sum);
export const Mean = reduction('Mean', meanKernel);
export const Max = reduction('Max', tfc.max);
export const Min = reduction('Min', tfc.min);
export const Prod = reduction('Prod', tfc.prod);
export const All = reduction('All', tfc.all, BOOL);
export const Any = reduction('Any', tfc.any, BOOL);

export interface ReduceOptions extends NameOpt {
  keepDims?: boolean;
}
type ReductionDef = ReturnType<typeof reduction>;
type Axis = number | readonly number[] | Tensor | null;
/**
 * `axis` undefined/null = all axes, as a Const built from the static rank (or a Range when
 * unknown) at the caller's scope, as TF's `_ReductionDims`; a given axis is converted inside the
 * op's scope (`Sum/reduction_indices`). The options object may stand in for the omitted axis.
 */
const REDUCE_SPEC: OptionSpec<ReduceOptions> = { name: 'string', keepDims: 'boolean' };
const reducer =
  (def: ReductionDef, defaultName: string, builder: string) =>
  (x: TensorInput, axis?: Axis | ReduceOptions, options: ReduceOptions = {}): Tensor => {
    const [ax, opts] = optionalArg<Axis, ReduceOptions>(axis, options);
    const keepDims = opts.keepDims ?? false;
    return inGraphOf([x, ax], () => {
      const t = toTensor(x);
      const all = ax === undefined || ax === null ? axisTensor(t, ax) : null;
      return opScope(named(builder, opts, REDUCE_SPEC), defaultName, [t], (name) => {
        const axes = all ?? axisTensor(t, ax);
        const out = def.apply({ input: t, reductionIndices: axes }, { keepDims }, { name });
        // Reducing every axis of an unknown-rank tensor still gives a scalar (TF's _may_reduce_to_scalar).
        if (all !== null && !keepDims) out.setShape([]);
        return out;
      });
    });
  };

function axisTensor(x: Tensor, axis: Axis | undefined): Tensor {
  if (axis !== undefined && axis !== null && typeof axis === 'object' && !Array.isArray(axis))
    return axis as Tensor;
  if (axis !== undefined && axis !== null)
    return constant(axis as number | number[], { dtype: 'int32', name: 'reduction_indices' });
  if (x.shape !== null)
    return constant(
      x.shape.map((_, i) => i),
      { dtype: 'int32', shape: [x.shape.length], name: 'Const' },
    );
  return allAxes(x);
}

const allAxes = (x: Tensor): Tensor => range(0, rank(x));

/**
 * Sum over `axis` (all axes by default); the options may take the omitted axis's place.
 * @example reduceSum(x, 1, { keepDims: true }); reduceSum(x, { keepDims: true })
 */
export const reduceSum = reducer(Sum, 'Sum', 'reduceSum');
export const reduceMean = reducer(Mean, 'Mean', 'reduceMean');
export const reduceMax = reducer(Max, 'Max', 'reduceMax');
export const reduceMin = reducer(Min, 'Min', 'reduceMin');
export const reduceProd = reducer(Prod, 'Prod', 'reduceProd');
export const reduceAll = reducer(All, 'All', 'reduceAll');
export const reduceAny = reducer(Any, 'Any', 'reduceAny');

/**
 * log(sum(exp(x))) over `axis`, computed stably by subtracting the (finite part of the) max first,
 * as TF's `reduce_logsumexp`.
 * @example const lse = reduceLogSumExp(logits, 1, { keepDims: true });
 */
export function reduceLogSumExp(
  x: TensorInput,
  axis?: Axis | ReduceOptions,
  options: ReduceOptions = {},
): Tensor {
  const [ax, opts] = optionalArg<Axis, ReduceOptions>(axis, options);
  const keepDims = opts.keepDims ?? false;
  return opScope(named('reduceLogSumExp', opts, REDUCE_SPEC), 'ReduceLogSumExp', [x, ax], () => {
    const t = toTensor(x, undefined, 'input_tensor');
    // TF zeroes an infinite max; clamping to ±FLT_MAX gives the same results (±inf rows stay ±inf)
    // with elementwise ops only.
    const rawMax = reduceMax(t, ax, { keepDims: true });
    const shift = stopGradient(minimum(maximum(rawMax, -FLT_MAX), FLT_MAX));
    const lse = log(reduceSum(exp(sub(t, shift)), ax, { keepDims }));
    // Dropping the kept size-1 dims of `shift` by reducing over them needs no reshape (array ops).
    return add(lse, keepDims ? shift : reduceMax(shift, ax, { keepDims: false }));
  });
}
const FLT_MAX = 3.4028234663852886e38;

// ---- arg-reductions ---------------------------------------------------------------------------

function argShape(input: Tensor, dimension: Tensor): Shape | null {
  requireDtype(dimension, ['int32'], 'dimension');
  if (dimension.shape !== null && dimension.shape.length !== 0) {
    throw new ValueError(`dimension must be a scalar, but has shape ${formatShape(dimension.shape)}`);
  }
  if (input.shape === null) return null;
  if (input.shape.length === 0) throw new ValueError('cannot take an arg-reduction of a scalar');
  const axis = constantValue(dimension);
  if (axis === null) return input.shape.slice(1).map(() => null);
  const a = normalizeAxis(axis[0]!, input.shape.length);
  return input.shape.filter((_, i) => i !== a);
}

// TF's output_type defaults to int64; tfjs has no int64, so indices are int32.
const argReduction = (type: string, kernel: (x: tfc.Tensor, axis: number) => tfc.Tensor) =>
  defineOp<'input' | 'dimension'>({
    type,
    outputArgs: ['output'],
    inputs: ['input', 'dimension'],
    attrs: { T: typeOf('input'), Tidx: typeOf('dimension', 'int32'), output_type: outputType(0, 'int64') },
    shape: ({ input, dimension }) => argShape(input, dimension),
    dtype: ({ input }) => (requireDtype(input, NUMERIC, 'input'), 'int32'),
    kernel: ({ input, dimension }) => kernel(input, readInts(dimension)[0]!),
  });
export const ArgMax = argReduction('ArgMax', tfc.argMax);
export const ArgMin = argReduction('ArgMin', tfc.argMin);

const argReducer =
  (def: ReturnType<typeof argReduction>, defaultName: string, builder: string) =>
  (x: TensorInput, axis: number | Tensor | NameOpt = 0, options: NameOpt = {}): Tensor => {
    const [a, opts] = optionalArg<number | Tensor, NameOpt>(axis, options);
    const ax = a ?? 0;
    return opScope(named(builder, opts), defaultName, [x, ax], (name) => {
      const dimension = typeof ax === 'number' ? constant(ax, { dtype: 'int32', name: 'dimension' }) : ax;
      return def.apply({ input: toTensor(x, undefined, 'input'), dimension }, {}, { name });
    });
  };

/** Index of the largest entry along `axis` (int32; first index among ties). @example argMax(logits, 1) */
export const argMax = argReducer(ArgMax, 'ArgMax', 'argMax');
/** Index of the smallest entry along `axis` (int32; first index among ties). */
export const argMin = argReducer(ArgMin, 'ArgMin', 'argMin');
