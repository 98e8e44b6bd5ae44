// One row per op configuration (DESIGN.md §7): the family tables in tests/tables/ list each op
// once, and the forward harness (tests/graph/ops/harness.ts) and the gradient harness
// (tests/autodiff/harness.ts) both read them, so an op's inputs and eager oracle live in one place.

import type { GradCase } from './autodiff/harness.js';
import type { ForwardCase } from './graph/ops/harness.js';

/** How the gradient harness treats a row; every field defaults to the harness's own default. */
export type GradOptions = Partial<
  Pick<GradCase, 'wrt' | 'tol' | 'fdTol' | 'fdDelta' | 'secondOrder' | 'noFiniteDifferences' | 'eager'>
>;

/** A forward row (its `tol` is the forward tolerance) plus what the gradient harness needs. */
export interface OpCase extends ForwardCase {
  /** false: the forward check adds nothing here (e.g. a second-order variant of another row). */
  forward?: false;
  /**
   * false: not differentiable, or the row only checks forward behaviour. `eager` overrides the
   * tf.grads oracle (null when tfjs has no gradient for the op).
   */
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
