// TF 1.15's `tf.losses` (losses_impl.py), exported as the `losses` namespace: each loss computes
// per-element losses, weights them, reduces them (by default to a scalar mean over the nonzero
// weights, SUM_BY_NONZERO_WEIGHTS) and adds the result to GraphKeys.LOSSES. Composites of
// existing ops only, so they need no gradient rules.

import { type NameOpt, opScope, type TensorInput, toTensor } from './convert.js';
import { formatShape, isFullyDefined, shapesCompatible } from './dtype.js';
import { ValueError } from './errors.js';
import { getDefaultGraph, type Tensor } from './graph.js';
import { GraphKeys } from './graph_keys.js';
import { sigmoidCrossEntropyWithLogits } from './nn_impl.js';
import { rank, shape, size, squeeze } from './ops/array.js';
import { constant } from './ops/const.js';
import { identity, stopGradient } from './ops/core.js';
import {
  abs,
  add,
  addN,
  cast,
  divNoNan,
  equal,
  log,
  minimum,
  mul,
  neg,
  realDiv,
  squaredDifference,
  sub,
} from './ops/math.js';
import { reduceSum } from './ops/reduce.js';
import { where } from './ops/select.js';
import { gather } from './ops/slicing.js';
import { softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits } from './ops/softmax.js';
import { onesLike, zerosLike } from './ops/sources.js';
import { checkOptions, named, type OptionKind, type OptionSpec } from './options.js';
import { assertBroadcastable } from './weights_broadcast.js';

/** How weighted per-element losses are reduced (TF's `tf.losses.Reduction`). */
export const Reduction = {
  NONE: 'none',
  SUM: 'weighted_sum',
  SUM_OVER_BATCH_SIZE: 'weighted_sum_over_batch_size',
  MEAN: 'weighted_mean',
  SUM_BY_NONZERO_WEIGHTS: 'weighted_sum_by_nonzero_weights',
  SUM_OVER_NONZERO_WEIGHTS: 'weighted_sum_by_nonzero_weights',
} as const;
export type ReductionType = (typeof Reduction)[keyof typeof Reduction];

export interface LossOptions extends NameOpt {
  /** A number or a tensor broadcastable to the losses (rank 0, or the losses' rank with 1s). */
  weights?: TensorInput;
  /** Collection the loss is added to (TF's `loss_collection`); null adds it nowhere. */
  lossCollection?: string | null;
  reduction?: ReductionType;
  /** TF's name for `name`: the loss's name scope. */
  scope?: string;
}

const LOSS_SPEC: OptionSpec<LossOptions> = {
  name: 'string',
  weights: 'any',
  lossCollection: 'any',
  reduction: 'any',
  scope: 'string',
};
const XENT_SPEC: OptionSpec<CrossEntropyOptions> = { ...LOSS_SPEC, labelSmoothing: 'number' };
// The options computeWeightedLoss takes, out of a loss's own (which may hold `epsilon`, …).
const lossOptions = ({ lossCollection, reduction, scope }: LossOptions): LossOptions => ({
  ...(lossCollection !== undefined ? { lossCollection } : {}),
  ...(reduction !== undefined ? { reduction } : {}),
  ...(scope !== undefined ? { scope } : {}),
});

const numElements = (losses: Tensor): Tensor =>
  losses.graph.nameScope('num_elements', (scope) => cast(size(losses, { name: scope }), 'float32'));

// The number of elements whose weight is nonzero, after broadcasting the weights to the losses.
function numPresent(losses: Tensor, weightsArg: TensorInput, w: Tensor): Tensor {
  if (typeof weightsArg === 'number' && weightsArg !== 0) return numElements(losses);
  return losses.graph.nameScope('num_present', (scope) => {
    let present = where(equal(w, 0), zerosLike(w), onesLike(w));
    const known = isFullyDefined(present.shape) && isFullyDefined(losses.shape);
    if (!(known && shapesCompatible(present.shape, losses.shape))) {
      present = mul(present, onesLike(losses));
    }
    return reduceSum(present, null, { name: scope });
  });
}

/**
 * Weights and reduces per-element `losses` (TF's `compute_weighted_loss`) and adds the result to
 * `lossCollection`. The default reduction is the mean over the elements with nonzero weight.
 * @example const loss = losses.computeWeightedLoss(perExample, { weights: mask });
 */
export function computeWeightedLoss(losses: TensorInput, opts: LossOptions = {}): Tensor {
  checkOptions('computeWeightedLoss', opts, LOSS_SPEC);
  const weights = checkWeights(opts.weights);
  const reduction = opts.reduction ?? Reduction.SUM_BY_NONZERO_WEIGHTS;
  return opScope(opts.name ?? opts.scope, 'weighted_loss', [losses, weights], () => {
    const values = cast(toTensor(losses), 'float32');
    const w = cast(toTensor(weights), 'float32');
    assertBroadcastable(w.shape, values.shape);
    const weighted = mul(values, w);
    let loss: Tensor;
    if (reduction === Reduction.NONE) loss = weighted;
    else {
      loss = reduceSum(weighted);
      if (reduction === Reduction.MEAN) {
        loss = divNoNan(loss, reduceSum(mul(onesLike(values), w)), { name: 'value' });
      } else if (reduction === Reduction.SUM_BY_NONZERO_WEIGHTS) {
        loss = divNoNan(loss, numPresent(values, weights, w), { name: 'value' });
      } else if (reduction === Reduction.SUM_OVER_BATCH_SIZE) {
        loss = divNoNan(loss, numElements(values), { name: 'value' });
      } else if (reduction !== Reduction.SUM) {
        throw new ValueError(`Invalid Reduction Key ${String(reduction)}`);
      }
    }
    addLoss(loss, { lossCollection: opts.lossCollection });
    return loss;
  });
}

function checkWeights(weights: TensorInput | undefined): TensorInput {
  if (weights === null) throw new ValueError('weights must not be None (null)');
  return weights ?? 1;
}

// Every loss: cast labels and predictions to float, check shapes, then weight and reduce.
function pairLoss(
  scope: string,
  labels: TensorInput,
  predictions: TensorInput,
  opts: LossOptions,
  perElement: (labels: Tensor, predictions: Tensor) => Tensor,
  extra: Readonly<Record<string, OptionKind>> = {},
): Tensor {
  checkOptions(scope, opts, { ...LOSS_SPEC, ...extra });
  const weights = checkWeights(opts.weights);
  return opScope(opts.name ?? opts.scope, scope, [labels, predictions, weights], (s) => {
    const p = cast(toTensor(predictions), 'float32');
    const l = cast(toTensor(labels), 'float32');
    if (!shapesCompatible(p.shape, l.shape)) {
      throw new ValueError(
        `${scope}: shapes ${formatShape(p.shape)} (predictions) and ${formatShape(l.shape)} (labels) are incompatible`,
      );
    }
    return computeWeightedLoss(perElement(l, p), { ...lossOptions(opts), weights, name: s });
  });
}

/** Mean of |predictions - labels| (TF's `losses.absolute_difference`). */
export const absoluteDifference = (labels: TensorInput, predictions: TensorInput, opts: LossOptions = {}) =>
  pairLoss('absolute_difference', labels, predictions, opts, (l, p) => abs(sub(p, l)));

/**
 * Mean of (predictions - labels)² (TF's `losses.mean_squared_error`).
 * @example const loss = losses.meanSquaredError(y, yHat);
 */
export const meanSquaredError = (labels: TensorInput, predictions: TensorInput, opts: LossOptions = {}) =>
  pairLoss('mean_squared_error', labels, predictions, opts, (l, p) => squaredDifference(p, l));

/**
 * Mean of -z·log(p + ε) - (1 - z)·log(1 - p + ε) (TF's `losses.log_loss`).
 * @example const loss = losses.logLoss(labels, probabilities, { epsilon: 1e-7 });
 */
export const logLoss = (
  labels: TensorInput,
  predictions: TensorInput,
  opts: LossOptions & { epsilon?: number } = {},
) =>
  pairLoss(
    'log_loss',
    labels,
    predictions,
    opts,
    (l, p) => {
      const eps = opts.epsilon ?? 1e-7;
      return sub(neg(mul(l, log(add(p, eps)))), mul(sub(1, l), log(add(sub(1, p), eps))));
    },
    { epsilon: 'number' },
  );

/** Quadratic within `delta` of the label, linear beyond (TF's `losses.huber_loss`). */
export const huberLoss = (
  labels: TensorInput,
  predictions: TensorInput,
  opts: LossOptions & { delta?: number } = {},
) =>
  pairLoss(
    'huber_loss',
    labels,
    predictions,
    opts,
    (l, p) => {
      const delta = opts.delta ?? 1;
      const absError = abs(sub(p, l));
      const quadratic = minimum(absError, delta);
      const linear = sub(absError, quadratic);
      return add(mul(0.5, mul(quadratic, quadratic)), mul(delta, linear));
    },
    { delta: 'number' },
  );

export interface CrossEntropyOptions extends LossOptions {
  /** Mixes the labels with a uniform distribution: z(1 - s) + s / numClasses (sigmoid: s / 2). */
  labelSmoothing?: number;
}

/**
 * Mean sigmoid cross-entropy of `logits` against 0/1 (or probability) labels (TF's
 * `losses.sigmoid_cross_entropy`).
 * @example const loss = losses.sigmoidCrossEntropy(labels, logits, { labelSmoothing: 0.1 });
 */
export function sigmoidCrossEntropy(
  multiClassLabels: TensorInput,
  logits: TensorInput,
  opts: CrossEntropyOptions = {},
): Tensor {
  checkOptions('losses.sigmoidCrossEntropy', opts, XENT_SPEC);
  const weights = checkWeights(opts.weights);
  const values = [multiClassLabels, logits, weights];
  return opScope(opts.name ?? opts.scope, 'sigmoid_cross_entropy_loss', values, (s) => {
    const x = toTensor(logits);
    let z = cast(toTensor(multiClassLabels), x.dtype);
    requireCompatible('sigmoidCrossEntropy', x, z);
    const ls = opts.labelSmoothing ?? 0;
    if (ls > 0) z = add(mul(z, 1 - ls), 0.5 * ls);
    const perElement = sigmoidCrossEntropyWithLogits({ labels: z, logits: x, name: 'xentropy' });
    return computeWeightedLoss(perElement, { ...lossOptions(opts), weights, name: s });
  });
}

/**
 * Mean softmax cross-entropy of `logits` [..., classes] against one-hot (or probability) labels
 * of the same shape (TF's `losses.softmax_cross_entropy`). The per-entry losses have shape
 * [...]; weights are a scalar or of that rank (e.g. [batch] for [batch, classes] logits,
 * [batch, 1] or [batch, time] for [batch, time, classes]).
 * @example const loss = losses.softmaxCrossEntropy(oneHot(y, 10), logits);
 */
export function softmaxCrossEntropy(
  onehotLabels: TensorInput,
  logits: TensorInput,
  opts: CrossEntropyOptions = {},
): Tensor {
  checkOptions('losses.softmaxCrossEntropy', opts, XENT_SPEC);
  const weights = checkWeights(opts.weights);
  const values = [onehotLabels, logits, weights];
  return opScope(opts.name ?? opts.scope, 'softmax_cross_entropy_loss', values, (s) => {
    const x = toTensor(logits);
    let z = cast(toTensor(onehotLabels), x.dtype);
    requireCompatible('softmaxCrossEntropy', x, z);
    const ls = opts.labelSmoothing ?? 0;
    if (ls > 0) {
      const n = z.shape?.[z.shape.length - 1] ?? null;
      // TF reads the class count from the labels' last dim at run time when it is unknown.
      const numClasses = n !== null ? constant(n) : cast(gather(shape(z), sub(rank(z), 1)), z.dtype);
      z = add(mul(z, 1 - ls), realDiv(ls, numClasses));
    }
    z = stopGradient(z, { name: 'labels_stop_gradient' });
    const perExample = softmaxCrossEntropyWithLogits({ labels: z, logits: x, name: 'xentropy' });
    return computeWeightedLoss(perExample, { ...lossOptions(opts), weights, name: s });
  });
}

/**
 * Mean softmax cross-entropy of `logits` [batch, classes] against int class ids [batch] (or
 * [batch, 1]) (TF's `losses.sparse_softmax_cross_entropy`).
 * @example const loss = losses.sparseSoftmaxCrossEntropy(y, logits);
 */
export function sparseSoftmaxCrossEntropy(
  labels: TensorInput,
  logits: TensorInput,
  opts: LossOptions = {},
): Tensor {
  checkOptions('losses.sparseSoftmaxCrossEntropy', opts, LOSS_SPEC);
  let weights = checkWeights(opts.weights);
  const values = [labels, logits, weights];
  return opScope(opts.name ?? opts.scope, 'sparse_softmax_cross_entropy_loss', values, (s) => {
    const x = toTensor(logits);
    let y = toTensor(labels, 'int32');
    // TF's _remove_squeezable_dimensions, on static ranks: [batch, 1] labels (and weights) lose
    // their last dim.
    const [lr, xr] = [y.rank, x.rank];
    if (lr !== null && xr !== null) {
      if (lr === xr && y.shape![lr - 1] === 1) y = squeeze(y, { axis: [-1] });
      else if (lr !== xr - 1) {
        throw new ValueError(
          `sparseSoftmaxCrossEntropy: labels of shape ${formatShape(y.shape)} need one dimension less than logits of shape ${formatShape(x.shape)}`,
        );
      }
      const w = typeof weights === 'number' ? null : toTensor(weights);
      if (w !== null && w.rank !== null && w.rank - (y.rank ?? 0) === 1) weights = squeeze(w, { axis: [-1] });
    }
    const perExample = sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits: x, name: 'xentropy' });
    return computeWeightedLoss(perExample, { ...lossOptions(opts), weights, name: s });
  });
}

function requireCompatible(what: string, logits: Tensor, labels: Tensor): void {
  if (!shapesCompatible(logits.shape, labels.shape)) {
    throw new ValueError(
      `${what}: logits shape ${formatShape(logits.shape)} is incompatible with labels shape ${formatShape(labels.shape)}`,
    );
  }
}

// ---- the loss collections ----------------------------------------------------------------------

/** Adds `loss` to `lossCollection` (GraphKeys.LOSSES by default; null adds it nowhere). */
export function addLoss(loss: Tensor, opts: { lossCollection?: string | null } = {}): void {
  checkOptions('losses.addLoss', opts, { lossCollection: 'any' });
  const key = opts.lossCollection === undefined ? GraphKeys.LOSSES : opts.lossCollection;
  if (key) loss.graph.addToCollection(key, loss);
}

/** The losses in `lossCollection` (GraphKeys.LOSSES), optionally only those under `scope`. */
export function getLosses(opts: { scope?: string; lossCollection?: string } = {}): Tensor[] {
  checkOptions('losses.getLosses', opts, { scope: 'string', lossCollection: 'string' });
  return getDefaultGraph().getCollection<Tensor>(opts.lossCollection ?? GraphKeys.LOSSES, opts.scope);
}

/** The tensors in GraphKeys.REGULARIZATION_LOSSES, optionally only those under `scope`. */
export function getRegularizationLosses(opts: { scope?: string } = {}): Tensor[] {
  checkOptions('losses.getRegularizationLosses', opts, { scope: 'string' });
  return getDefaultGraph().getCollection<Tensor>(GraphKeys.REGULARIZATION_LOSSES, opts.scope);
}

/** The sum of the regularization losses, or 0 when there are none. */
export function getRegularizationLoss(opts: { scope?: string; name?: string } = {}): Tensor {
  const name =
    named('losses.getRegularizationLoss', opts, { scope: 'string', name: 'string' }) ??
    'total_regularization_loss';
  const losses = getRegularizationLosses(opts);
  // TF returns an unnamed constant_op.constant(0.0) ('Const') when there are none.
  return losses.length > 0 ? sum(losses, name) : constant(0);
}

/**
 * The sum of GraphKeys.LOSSES and (by default) GraphKeys.REGULARIZATION_LOSSES, named
 * 'total_loss' (TF's `losses.get_total_loss`); throws when there is nothing to add.
 * @example const total = losses.getTotalLoss();
 */
export function getTotalLoss(
  opts: { addRegularizationLosses?: boolean; name?: string; scope?: string } = {},
): Tensor {
  const losses = getLosses({ scope: opts.scope });
  if (opts.addRegularizationLosses ?? true) losses.push(...getRegularizationLosses({ scope: opts.scope }));
  if (losses.length === 0) {
    throw new ValueError(
      'getTotalLoss: no losses to add: GraphKeys.LOSSES and GraphKeys.REGULARIZATION_LOSSES are empty',
    );
  }
  checkOptions('losses.getTotalLoss', opts, {
    addRegularizationLosses: 'boolean',
    name: 'string',
    scope: 'string',
  });
  return sum(losses, opts.name ?? 'total_loss');
}

// TF's add_n: one input comes back through an Identity carrying the name.
const sum = (ts: readonly Tensor[], name: string): Tensor =>
  ts.length === 1 ? identity(ts[0]!, { name }) : addN(ts, { name });
