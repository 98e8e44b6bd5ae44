// Reductions over axes given as an int tensor (TF's `reduction_indices` input), and arg-reductions.
import * as tfc from '@tensorflow/tfjs-core';
import { constantValue } from '../constant_value.js';
import type { DType, Shape } from '../dtype.js';
import { reduceShape } from '../dtype.js';
import type { Tensor } from '../graph.js';
import { defineOp, NUMERIC, requireDtype } from '../op_def.js';
import { constant, type NameOpt, type TensorInput, toTensor } from './core.js';

/** Reads a small int tensor's value inside a kernel (axes, shapes, sizes). */
export const readInts = (t: tfc.Tensor): number[] => Array.from(t.dataSync() as Int32Array);

type ReduceKernel = (x: tfc.Tensor, axes: number[], keepDims: boolean) => tfc.Tensor;

function reducedShape(x: Tensor, axis: Tensor, keepDims: boolean): Shape | null {
  requireDtype(axis, ['int32'], 'reduction_indices');
  const axes = constantValue(axis);
  if (axes !== null) return reduceShape(x.shape, axes, keepDims);
  if (x.shape === null) return null;
  // Unknown axes: keepDims keeps the rank; otherwise the rank is unknown unless the axis count is.
  return keepDims ? x.shape.map(() => null) : null;
}

const reduction = (type: string, kernel: ReduceKernel, allowed: readonly DType[] = NUMERIC) =>
  defineOp<'input' | 'reductionIndices', { keepDims: boolean }>({
    type,
    inputs: ['input', 'reductionIndices'],
    shape: ({ input, reductionIndices }, { keepDims }) => reducedShape(input, reductionIndices, keepDims),
    dtype: ({ input }) => requireDtype(input, allowed, 'input'),
    kernel: ({ input, reductionIndices }, { keepDims }) =>
      kernel(input, readInts(reductionIndices), keepDims),
  });

export const Sum = reduction('Sum', tfc.sum);
export const Mean = reduction('Mean', tfc.mean);
export const Max = reduction('Max', tfc.max);
export const Min = reduction('Min', tfc.min);
export const Prod = reduction('Prod', tfc.prod);
export const All = reduction('All', tfc.all, ['bool']);
export const Any = reduction('Any', tfc.any, ['bool']);

export interface ReduceOptions extends NameOpt {
  keepDims?: boolean;
}
type ReductionDef = ReturnType<typeof reduction>;
/** `axis` undefined/null = all axes, as a Const built from the static rank (or a Range when unknown). */
const reducer =
  (def: ReductionDef, defaultName: string) =>
  (x: TensorInput, axis?: number | readonly number[] | Tensor | null, opts: ReduceOptions = {}): Tensor => {
    const t = toTensor(x);
    const axes = axisTensor(t, axis);
    return def.apply(
      { input: t, reductionIndices: axes },
      { keepDims: opts.keepDims ?? false },
      { name: opts.name ?? defaultName },
    );
  };

function axisTensor(x: Tensor, axis: number | readonly number[] | Tensor | null | undefined): Tensor {
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

// Hook for an unknown-rank input: array.ts installs `range(rank(x))` here to avoid an import cycle.
let allAxes: (x: Tensor) => Tensor = () => {
  throw new Error('reduction over all axes of an unknown-rank tensor needs ops/array.ts loaded');
};
export const setAllAxes = (fn: (x: Tensor) => Tensor): void => {
  allAxes = fn;
};

/** Sum over `axis` (all axes by default). @example reduceSum(x, 1, { keepDims: true }) */
export const reduceSum = reducer(Sum, 'Sum');
export const reduceMean = reducer(Mean, 'Mean');
export const reduceMax = reducer(Max, 'Max');
export const reduceMin = reducer(Min, 'Min');
export const reduceProd = reducer(Prod, 'Prod');
export const reduceAll = reducer(All, 'All');
export const reduceAny = reducer(Any, 'Any');
