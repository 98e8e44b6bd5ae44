// Clipping (TF's clip_ops.py), composed from existing differentiable ops. Tensors only: the train
// package's clipGradientNorms clips IndexedSlices through their values.

import { inGraphOf, type NameOpt, opScope, type TensorInput, toTensor } from './convert.js';
import { broadcastShapes, formatShape, shapesCompatible } from './dtype.js';
import { TypeError, ValueError } from './errors.js';
import type { Tensor } from './graph.js';
import { constant } from './ops/const.js';
import { identity } from './ops/core.js';
import { stack } from './ops/joins.js';
import { add, greater, maximum, minimum, mul, realDiv, sqrt, sub } from './ops/math.js';
import { l2Loss } from './ops/nn.js';
import { reduceSum } from './ops/reduce.js';
import { where } from './ops/select.js';
import { onesLike } from './ops/sources.js';
import { named } from './options.js';

// TF checks the clipped result keeps `t`'s shape, so a bound can't silently broadcast `t` up.
function keepsShape(what: string, t: Tensor, ...others: Tensor[]): void {
  for (const o of others) {
    const s = broadcastShapes(t.shape, o.shape);
    if (!shapesCompatible(t.shape, s)) {
      throw new ValueError(
        `${what}: '${o.name}' of shape ${formatShape(o.shape)} would broadcast t of shape ${formatShape(t.shape)} to ${formatShape(s)}`,
      );
    }
  }
}

/**
 * min(max(t, clipValueMin), clipValueMax) elementwise (TF's `clip_by_value`).
 * @example const c = clipByValue(grad, -1, 1);
 */
export function clipByValue(
  t: TensorInput,
  clipValueMin: TensorInput,
  clipValueMax: TensorInput,
  opts: NameOpt = {},
): Tensor {
  return opScope(named('clipByValue', opts), 'clip_by_value', [t, clipValueMin, clipValueMax], (name) => {
    const values = toTensor(t, undefined, 't');
    const lo = toTensor(clipValueMin, values.dtype);
    const hi = toTensor(clipValueMax, values.dtype);
    keepsShape('clipByValue', values, lo, hi);
    return maximum(minimum(values, hi), lo, { name });
  });
}

/**
 * t * clipNorm / max(‖t‖₂, clipNorm), the L2 norm taken over `axes` (all by default) (TF's
 * `clip_by_norm`). A zero norm leaves t unchanged, with finite gradients.
 * @example const c = clipByNorm(grad, 5);
 */
export function clipByNorm(
  t: TensorInput,
  clipNorm: TensorInput,
  opts: NameOpt & { axes?: number | readonly number[] } = {},
): Tensor {
  return opScope(
    named('clipByNorm', opts, { name: 'string', axes: 'any' }),
    'clip_by_norm',
    [t, clipNorm],
    (name) => {
      const values = toTensor(t, undefined, 't');
      const clip = toTensor(clipNorm, values.dtype);
      const l2sum = reduceSum(mul(values, values), opts.axes ?? null, { keepDims: true });
      // Two-tap where: sqrt's gradient at 0 is inf, so feed it a safe value where the sum is 0.
      const pred = greater(l2sum, 0);
      const l2sumSafe = where(pred, l2sum, onesLike(l2sum));
      const l2norm = where(pred, sqrt(l2sumSafe), l2sum);
      const intermediate = mul(values, clip);
      keepsShape('clipByNorm', values, clip);
      return identity(realDiv(intermediate, maximum(l2norm, clip)), { name });
    },
  );
}

/**
 * sqrt(Σ ‖t‖₂²) over the non-null tensors (TF's `global_norm`).
 * @example const norm = globalNorm(grads);
 */
export function globalNorm(tList: readonly (TensorInput | null)[], opts: NameOpt = {}): Tensor {
  if (!Array.isArray(tList)) throw new TypeError('globalNorm: tList should be a sequence');
  const present = tList.filter((t): t is TensorInput => t !== null && t !== undefined);
  const values = inGraphOf(present, () => present.map((t) => toTensor(t)));
  if (values.length === 0) throw new ValueError('globalNorm: tList holds no tensors');
  return opScope(named('globalNorm', opts), 'global_norm', values, () => {
    const halfSquaredNorms = values.map((v) => v.graph.colocateWith(v, () => l2Loss(v)));
    const halfSquaredNorm = reduceSum(stack(halfSquaredNorms));
    return sqrt(mul(halfSquaredNorm, constant(2)), { name: 'global_norm' });
  });
}

/**
 * Scales every tensor by clipNorm / max(globalNorm, clipNorm), and returns the clipped list with
 * the global norm (TF's `clip_by_global_norm`); null entries stay null. An infinite or NaN norm
 * makes every value NaN, to signal the error.
 * @example const [clipped, norm] = clipByGlobalNorm(grads, 5);
 */
export function clipByGlobalNorm(
  tList: readonly (TensorInput | null)[],
  clipNorm: TensorInput,
  opts: NameOpt & { useNorm?: Tensor } = {},
): [(Tensor | null)[], Tensor] {
  if (!Array.isArray(tList)) throw new TypeError('clipByGlobalNorm: tList should be a sequence');
  const values = inGraphOf(tList, () =>
    tList.map((t) => (t === null || t === undefined ? null : toTensor(t))),
  );
  const useNorm =
    opts.useNorm ??
    globalNorm(
      values,
      named('clipByGlobalNorm', opts, { name: 'string', useNorm: 'any' }) ? { name: opts.name } : {},
    );
  const clipped = opScope(opts.name, 'clip_by_global_norm', [...values, useNorm, clipNorm], (scope) => {
    const clip = toTensor(clipNorm, useNorm.dtype);
    const scaleForFinite = mul(clip, minimum(realDiv(1, useNorm), realDiv(1, clip)));
    // A no-op for a finite norm; inf - inf = NaN poisons the scale otherwise.
    const scale = add(scaleForFinite, sub(useNorm, useNorm));
    // TF names each result '%s_%d' % (scope, i): 'clip_by_global_norm/clip_by_global_norm/_0'.
    return values.map((v, i) =>
      v === null ? null : v.graph.colocateWith(v, () => identity(mul(v, scale), { name: `${scope}_${i}` })),
    );
  });
  return [clipped, useNorm];
}
