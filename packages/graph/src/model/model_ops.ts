// Ops that model building needs and the op families lack: Qr (orthogonal initializer) and
// InTopKV2 (tf.nn.in_top_k). Neither is differentiable here (autodiff's model_grad.ts says why).
import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, typeOf } from '../attr_schema.js';
import { type NameOpt, opScope, type TensorInput, toTensor } from '../convert.js';
import { formatShape } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { nameScope, Tensor } from '../graph.js';
import { defineOp, FLOAT, INT, requireDtype, requireRank } from '../op_def.js';
import { size } from '../ops/array.js';
import { identity } from '../ops/core.js';
import { cast, notEqual, realDiv, sub } from '../ops/math.js';
import { reduceSum } from '../ops/reduce.js';
import { zerosLike } from '../ops/sources.js';
import { named } from '../options.js';

/** Reduced QR of a matrix [m, n] (TF's `Qr` with full_matrices=false): q [m, k], r [k, n], k = min(m, n). */
export const Qr = defineOp<'input', { fullMatrices: boolean }>({
  type: 'Qr',
  outputArgs: ['q', 'r'],
  inputs: ['input'],
  attrs: { T: typeOf('input'), full_matrices: attrOf('bool', 'fullMatrices', false) },
  outputs: ({ input }) => {
    requireDtype(input, FLOAT, 'input');
    requireRank(input, 2, 'input');
    const [m, n] = input.shape ?? [null, null];
    const k = m === null || n === null ? null : Math.min(m, n);
    return [
      { dtype: input.dtype, shape: [m ?? null, k] },
      { dtype: input.dtype, shape: [k, n ?? null] },
    ];
  },
  kernel: ({ input }, { fullMatrices }) => tfc.linalg.qr(input, fullMatrices),
});

/** `[q, r]` with q's columns orthonormal and r upper triangular. @example const [q, r] = qr(a); */
export function qr(x: TensorInput, opts: NameOpt = {}): [Tensor, Tensor] {
  return opScope(named('qr', opts), 'Qr', [x], (name) => {
    const op = Qr.applyOp({ input: toTensor(x, undefined, 'input') }, { fullMatrices: false }, { name });
    return [op.outputs[0]!, op.outputs[1]!];
  });
}

// TF's InTopK kernel: false when the target is out of range or any score in the row is not
// finite; otherwise true when fewer than k classes score strictly higher than the target (ties at
// the boundary count as in the top k).
function inTopKRow(row: Float32Array, target: number, k: number): boolean {
  if (!(target >= 0 && target < row.length) || !Number.isFinite(row[target]!)) return false;
  const t = row[target]!;
  let more = 0;
  for (const p of row) {
    if (!Number.isFinite(p)) return false;
    if (p > t) more++;
  }
  return more < k;
}

export const InTopKV2 = defineOp<'predictions' | 'targets' | 'k'>({
  type: 'InTopKV2',
  outputArgs: ['precision'],
  inputs: ['predictions', 'targets', 'k'],
  attrs: { T: typeOf('targets', 'int32') },
  shape: ({ predictions, targets, k }) => {
    requireDtype(predictions, FLOAT, 'predictions');
    requireDtype(targets, INT, 'targets');
    requireDtype(k, INT, 'k');
    requireRank(predictions, 2, 'predictions');
    requireRank(targets, 1, 'targets');
    requireRank(k, 0, 'k');
    const batch = predictions.shape?.[0] ?? null;
    const tb = targets.shape?.[0] ?? null;
    if (batch !== null && tb !== null && batch !== tb) {
      throw new ValueError(
        `First dimension of predictions ${formatShape(predictions.shape)} must match length of targets ${formatShape(targets.shape)}`,
      );
    }
    return [batch ?? tb];
  },
  dtype: () => 'bool',
  kernel: ({ predictions, targets, k }) => {
    const [batch, classes] = predictions.shape as [number, number];
    const p = predictions.dataSync() as Float32Array;
    const t = targets.dataSync();
    const kk = k.dataSync()[0]!;
    const out = Array.from({ length: batch }, (_, b) =>
      inTopKRow(p.subarray(b * classes, (b + 1) * classes), t[b]!, kk),
    );
    return tfc.tensor1d(out, 'bool');
  },
});

/**
 * Whether each target class is among the top `k` predictions of its row (TF's `nn.in_top_k`).
 * @example const correct = inTopK(logits, labels, 1);
 */
export function inTopK(
  predictions: TensorInput,
  targets: TensorInput,
  k: number | Tensor,
  opts: NameOpt = {},
): Tensor {
  if (typeof k !== 'number' && !(k instanceof Tensor))
    throw new TypeError(
      `inTopK: argument 'k' must be a number or an int32 scalar Tensor, got ${typeof k} ${String(k)}`,
    );
  // TF passes `name` both to the scope and to the op: 'in_top_k/InTopKV2', or 'foo/foo'.
  return opScope(named('inTopK', opts), 'in_top_k', [predictions, targets, k], () =>
    InTopKV2.apply(
      {
        predictions: toTensor(predictions, 'float32', 'predictions'),
        targets: toTensor(targets, 'int32', 'targets'),
        k: toTensor(k, 'int32', 'k'),
      },
      {},
      { name: opts.name ?? 'InTopKV2' },
    ),
  );
}

/**
 * The fraction of zeros in `value`, as float32 (TF's `nn.zero_fraction`; e.g. for relu sparsity
 * summaries).
 * @example summary.scalar('sparsity', zeroFraction(hidden));
 */
export function zeroFraction(value: TensorInput, opts: NameOpt = {}): Tensor {
  return opScope(named('zeroFraction', opts), 'zero_fraction', [value], () => {
    const v = toTensor(value, undefined, 'value');
    const n = size(v);
    const nonzero = reduceSum(cast(notEqual(v, zerosLike(v)), 'int32'), null, { name: 'count_nonzero' });
    const fraction = nameScope('counts_to_fraction', () =>
      realDiv(cast(sub(n, nonzero), 'float32'), cast(n, 'float32')),
    );
    return identity(fraction, { name: 'fraction' });
  });
}
