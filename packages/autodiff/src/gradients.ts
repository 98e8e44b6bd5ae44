// The gradients() driver (being written by the lead).
import { type Tensor, UnimplementedError, type Variable } from '@graphmode/graph';
import type { Gradient } from './indexed_slices.js';

export const AggregationMethod = {
  ADD_N: 0,
  DEFAULT: 0,
  EXPERIMENTAL_TREE: 1,
  EXPERIMENTAL_ACCUMULATE_N: 2,
} as const;

export interface GradientsOptions {
  gradYs?: readonly (Tensor | null)[];
  name?: string;
  gateGradients?: boolean;
  aggregationMethod?: number;
  colocateGradientsWithOps?: boolean;
  stopGradients?: readonly Tensor[];
  unconnectedGradients?: 'none' | 'zero';
}

export function gradients(
  _ys: Tensor | readonly Tensor[],
  _xs: Tensor | Variable | readonly (Tensor | Variable)[],
  _opts: GradientsOptions = {},
): (Gradient | null)[] {
  throw new UnimplementedError('gradients() is being written');
}
