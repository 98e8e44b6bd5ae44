// tf.contrib.layers' weight regularizers: scale * sum|w| (l1), scale * sum(w²) / 2 (l2, via
// l2Loss), and their sum. A scale of 0 gives a regularizer that returns null (no loss), as TF's
// `lambda _: None` does; a negative scale is an error.

import { opScope, toTensor } from '../convert.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { abs, addN, mul } from '../ops/math.js';
import { l2Loss } from '../ops/nn.js';
import { reduceSum } from '../ops/reduce.js';
import { noRegularizer, type Regularizer } from './variable_scope.js';

function checkScale(scale: number, what = 'scale', fn = 'regularizers'): boolean {
  if (typeof scale !== 'number' || Number.isNaN(scale))
    throw new ValueError(`${fn}: ${what} must be a number, got ${typeof scale} ${String(scale)}`);
  if (scale < 0) throw new ValueError(`Setting a scale less than 0 on a regularizer: ${scale}`);
  return scale !== 0;
}

/**
 * scale * sum(|w|), named 'l1_regularizer' (TF's `l1_regularizer`).
 * @example getVariable('w', { shape: [3, 3], regularizer: regularizers.l1(0.01) })
 */
export function l1(scale: number, scope?: string): Regularizer {
  if (!checkScale(scale, 'scale', 'regularizers.l1')) return noRegularizer;
  return (w) =>
    opScope(scope, 'l1_regularizer', [w], (name) =>
      mul(toTensor(scale, w.dtype, 'scale'), reduceSum(abs(w)), { name }),
    );
}

/**
 * scale * sum(w²) / 2, named 'l2_regularizer' (TF's `l2_regularizer`).
 * @example layers.dense(x, 10, { kernelRegularizer: regularizers.l2(1e-4) })
 */
export function l2(scale: number, scope?: string): Regularizer {
  if (!checkScale(scale, 'scale', 'regularizers.l2')) return noRegularizer;
  return (w) =>
    opScope(scope, 'l2_regularizer', [w], (name) =>
      mul(toTensor(scale, w.dtype, 'scale'), l2Loss(w), { name }),
    );
}

/** l1(scaleL1) + l2(scaleL2) under 'l1_l2_regularizer' (TF's `l1_l2_regularizer`; defaults 1, 1). */
export function l1L2(scaleL1 = 1, scaleL2 = 1, scope?: string): Regularizer {
  checkScale(scaleL1, 'scale_l1', 'regularizers.l1L2');
  checkScale(scaleL2, 'scale_l2', 'regularizers.l1L2');
  const s = scope ?? 'l1_l2_regularizer';
  if (scaleL1 === 0) return l2(scaleL2, s);
  if (scaleL2 === 0) return l1(scaleL1, s);
  return sumRegularizer([l1(scaleL1), l2(scaleL2)], s)!;
}

/**
 * The sum of several regularizers' losses (TF's `sum_regularizer`): null for an empty list (nulls
 * dropped), else a regularizer returning null when none of them gives a loss.
 */
export function sumRegularizer(list: readonly (Regularizer | null)[], scope?: string): Regularizer | null {
  const regs = list.filter((r): r is Regularizer => r !== null && r !== undefined);
  if (regs.length === 0) return null;
  return (w) =>
    opScope(scope, 'sum_regularizer', [w], (name) => {
      const losses = regs.map((r) => r(w)).filter((t): t is Tensor => t !== null);
      return losses.length ? addN(losses, { name }) : null;
    });
}
