// Composite nn functions (TF's nn_impl.py): built from existing differentiable ops, so they need
// no gradient rules of their own. Op structure and names follow TF 1.15.

import { type NameOpt, opScope, type TensorInput, toTensor } from './convert.js';
import { formatShape, shapesCompatible } from './dtype.js';
import { ValueError } from './errors.js';
import type { Tensor } from './graph.js';
import { squeeze } from './ops/array.js';
import { stopGradient } from './ops/core.js';
import {
  add,
  exp,
  greaterEqual,
  log1p,
  maximum,
  mul,
  neg,
  rsqrt,
  square,
  squaredDifference,
  sub,
} from './ops/math.js';
import { reduceMean, reduceSum } from './ops/reduce.js';
import { where } from './ops/select.js';
import { zerosLike } from './ops/sources.js';
import { checkOptions, NAME_SPEC } from './options.js';

/**
 * Mean and population variance of `x` over `axes` (TF's `nn.moments`). The variance is taken
 * around `stopGradient(mean)`, as TF does, which leaves its gradient unchanged.
 * @example const [mean, variance] = moments(x, [0]);
 */
export function moments(
  x: TensorInput,
  axes: readonly number[],
  opts: NameOpt & { keepDims?: boolean } = {},
): [Tensor, Tensor] {
  checkOptions('moments', opts, { name: 'string', keepDims: 'boolean' });
  return opScope(opts.name, 'moments', [x, axes], () => {
    const t = toTensor(x, undefined, 'x');
    const mean = reduceMean(t, axes, { keepDims: true, name: 'mean' });
    const variance = reduceMean(squaredDifference(t, stopGradient(mean)), axes, {
      keepDims: true,
      name: 'variance',
    });
    if (opts.keepDims) return [mean, variance];
    return [squeeze(mean, { axis: axes }), squeeze(variance, { axis: axes })];
  });
}

/**
 * (x - mean) / sqrt(variance + varianceEpsilon) * scale + offset, in TF's order of operations
 * (TF's `nn.batch_normalization`); `offset` and `scale` may be null.
 * @example const y = batchNormalization(x, mean, variance, beta, gamma, 1e-3);
 */
export function batchNormalization(
  x: TensorInput,
  mean: TensorInput,
  variance: TensorInput,
  offset: TensorInput | null,
  scale: TensorInput | null,
  varianceEpsilon: number,
  opts: NameOpt = {},
): Tensor {
  checkOptions('batchNormalization', opts, NAME_SPEC);
  return opScope(opts.name, 'batchnorm', [x, mean, variance, offset, scale], () => {
    const t = toTensor(x, undefined, 'x');
    const m = toTensor(mean, t.dtype);
    // TF's op names and order (Python operators: add, mul, mul_1, ...).
    let inv = rsqrt(add(toTensor(variance, t.dtype), varianceEpsilon, { name: 'add' }), { name: 'Rsqrt' });
    if (scale !== null) inv = mul(inv, toTensor(scale, t.dtype), { name: 'mul' });
    const scaled = mul(t, inv, { name: 'mul_1' });
    const shift =
      offset !== null
        ? sub(toTensor(offset, t.dtype), mul(m, inv, { name: 'mul_2' }), { name: 'sub' })
        : mul(neg(m), inv, { name: 'mul_2' });
    return add(scaled, shift, { name: 'add_1' });
  });
}

/**
 * x / sqrt(max(sum(x², axis), epsilon)) (TF's `nn.l2_normalize`); `axis` defaults to all axes.
 * @example const unit = l2Normalize(embeddings, { axis: 1 });
 */
export function l2Normalize(
  x: TensorInput,
  opts: NameOpt & { axis?: number | readonly number[]; epsilon?: number } = {},
): Tensor {
  checkOptions('l2Normalize', opts, { name: 'string', axis: 'any', epsilon: 'number' });
  return opScope(opts.name, 'l2_normalize', [x], (name) => {
    const t = toTensor(x, undefined, 'x');
    const squareSum = reduceSum(square(t), opts.axis ?? null, { keepDims: true });
    const invNorm = rsqrt(maximum(squareSum, opts.epsilon ?? 1e-12));
    return mul(t, invNorm, { name });
  });
}

/**
 * Elementwise logistic loss of `logits` against probabilities `labels` (TF's
 * `nn.sigmoid_cross_entropy_with_logits`), in the stable form
 * max(x, 0) - x * z + log(1 + exp(-|x|)).
 * @example const perElement = sigmoidCrossEntropyWithLogits({ labels, logits });
 */
export function sigmoidCrossEntropyWithLogits(args: {
  labels: TensorInput;
  logits: TensorInput;
  name?: string;
}): Tensor {
  return opScope(args.name, 'logistic_loss', [args.logits, args.labels], (name) => {
    const logits = toTensor(args.logits, undefined, 'logits');
    const labels = toTensor(args.labels, logits.dtype);
    if (!shapesCompatible(labels.shape, logits.shape)) {
      throw new ValueError(
        `sigmoidCrossEntropyWithLogits: logits and labels must have the same shape (${formatShape(logits.shape)} vs ${formatShape(labels.shape)})`,
      );
    }
    // `where` rather than relu/abs, so the gradient at logits == 0 is sigmoid(0) - z, as in TF.
    const zeros = zerosLike(logits);
    const cond = greaterEqual(logits, zeros);
    const reluLogits = where(cond, logits, zeros);
    const negAbsLogits = where(cond, neg(logits), logits);
    return add(sub(reluLogits, mul(logits, labels)), log1p(exp(negAbsLogits)), { name });
  });
}
