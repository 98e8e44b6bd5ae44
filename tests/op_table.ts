// One row per op configuration (DESIGN.md §7): the family tables in tests/tables/ list each op
// once, and the forward harness (tests/graph/ops/harness.ts) and the gradient harness
// (tests/autodiff/harness.ts) both read them, so an op's inputs and eager oracle live in one place.

import type { DType, Tensor } from '@graphmode/graph';
import type * as tf from '@tensorflow/tfjs';
import type { GradCase } from './autodiff/harness.js';
import type { ForwardCase } from './graph/ops/harness.js';
import type { Domain } from './helpers.js';

export interface OpInput {
  shape: readonly number[];
  domain?: Domain;
  dtype?: DType;
  /** Give the placeholder this static shape instead (null dims / null = unknown rank). */
  staticShape?: readonly (number | null)[] | null;
}

/** How the gradient harness treats a row; every field defaults to the harness's own default. */
export interface GradOptions {
  /** Indices of the inputs to differentiate (default: every float input). */
  wrt?: readonly number[];
  tol?: number;
  fdTol?: number;
  fdDelta?: number;
  secondOrder?: boolean;
  /** Skip finite differences (e.g. a kink lies too close to the sampled points). */
  noFiniteDifferences?: boolean;
  /** Oracle for tf.grads when it differs from the forward one; null when tfjs has no gradient. */
  eager?: ((...xs: tf.Tensor[]) => tf.Tensor) | null;
}

export interface OpCase {
  name: string;
  inputs: readonly OpInput[];
  build: (...xs: Tensor[]) => Tensor;
  eager: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Forward tolerance against the eager oracle. */
  tol?: number;
  /** Expected static shape when it differs from the actual one (unknown dims). */
  staticShape?: readonly (number | null)[] | null;
  /** false: the forward check adds nothing here (e.g. a second-order variant of another row). */
  forward?: false;
  /** false: not differentiable, or the row only checks forward behaviour. */
  grad?: false | GradOptions;
}

export const forwardCases = (table: readonly OpCase[]): ForwardCase[] =>
  table.filter((c) => c.forward !== false);

export function gradCases(table: readonly OpCase[]): GradCase[] {
  return table.flatMap((c): GradCase[] => {
    if (c.grad === false) return [];
    const { eager, ...opts } = c.grad ?? {};
    return [
      {
        name: c.name,
        inputs: c.inputs,
        build: c.build,
        eager: eager === undefined ? c.eager : eager,
        ...opts,
      },
    ];
  });
}

/** `it.each` rows: the case name first, for the test title. */
export const named = <C extends { name: string }>(cases: readonly C[]): (readonly [string, C])[] =>
  cases.map((c) => [c.name, c] as const);
