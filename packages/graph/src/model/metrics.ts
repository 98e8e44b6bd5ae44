// TF 1.15's tf.metrics (metrics_impl.py): streaming metrics whose state lives in local variables
// (LOCAL_VARIABLES and METRIC_VARIABLES, zeros until localVariablesInitializer runs). Each returns
// `[value, updateOp]`: `value` reads the state, `updateOp` folds in a batch and evaluates to the
// updated metric.

import { cond } from '../control/cond.js';
import { type TensorInput, toTensor, toTensorPair } from '../convert.js';
import { formatShape, type Shape, shapesCompatible } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { controlDependencies, getDefaultGraph, type Tensor } from '../graph.js';
import { GraphKeys } from '../graph_keys.js';
import { expandDims, rank, size, squeeze } from '../ops/array.js';
import { identity } from '../ops/core.js';
import {
  add,
  cast,
  divNoNan,
  equal,
  greater,
  logicalAnd,
  maximum,
  mul,
  realDiv,
  squaredDifference,
  sub,
} from '../ops/math.js';
import { reduceSum } from '../ops/reduce.js';
import { where } from '../ops/select.js';
import { onesLike, zeros } from '../ops/sources.js';
import { checkOptions, type OptionSpec } from '../options.js';
import { type Variable, variable } from '../variable.js';
import { assertBroadcastable } from '../weights_broadcast.js';
import { variableScope } from './variable_scope.js';

/** TF's GraphKeys.METRIC_VARIABLES ('metric_variables'). */
export const METRIC_VARIABLES = GraphKeys.METRIC_VARIABLES;

export interface MetricOptions {
  weights?: TensorInput;
  /** Collections to add the value tensor to. */
  metricsCollections?: string[];
  /** Collections to add the update tensor to. */
  updatesCollections?: string[];
  name?: string;
}
const KEYS: OptionSpec<MetricOptions> = {
  weights: 'any',
  metricsCollections: 'any',
  updatesCollections: 'any',
  name: 'string',
};
// checkOptions, then the collections: arrays of strings (TF's collection names).
function checkMetricOptions(builder: string, o: MetricOptions): void {
  checkOptions(builder, o, KEYS);
  for (const k of ['metricsCollections', 'updatesCollections'] as const) {
    const c = o[k];
    if (c !== undefined && !(Array.isArray(c) && c.every((x) => typeof x === 'string')))
      throw new TypeError(`${builder}: option '${k}' must be an array of collection names, got ${String(c)}`);
  }
}

// A zero-initialized, non-trainable local variable (TF's metric_variable); named by name scope.
function metricVariable(name: string): Variable {
  return variable(() => zeros([], { dtype: 'float32' }), {
    name,
    trainable: false,
    collections: [GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES],
  });
}

function collect(value: Tensor, update: Tensor, o: MetricOptions): [Tensor, Tensor] {
  const g = getDefaultGraph();
  for (const k of o.metricsCollections ?? []) g.addToCollection(k, value);
  for (const k of o.updatesCollections ?? []) g.addToCollection(k, update);
  return [value, update];
}

// TF's remove_squeezable_dimensions (drop a trailing size-1 axis that makes ranks differ by one),
// then its assert_compatible shape check.
function aligned(labels: Tensor, predictions: Tensor): [Tensor, Tensor] {
  const [l, p] = squeezed(labels, predictions);
  if (!shapesCompatible(l.shape, p.shape)) {
    throw new ValueError(`Shapes ${formatShape(p.shape)} and ${formatShape(l.shape)} are incompatible`);
  }
  return [l, p];
}
function squeezed(labels: Tensor, predictions: Tensor): [Tensor, Tensor] {
  const [l, p] = [labels.shape, predictions.shape];
  // A last dim that may be 1 (1 or unknown), as TF's is_compatible_with(1).
  const lastMayBe1 = (s: Shape | null) => s === null || s[s.length - 1] === 1 || s[s.length - 1] === null;
  if (l !== null && p !== null) {
    if (p.length - l.length === 1 && lastMayBe1(p)) return [labels, squeeze(predictions, { axis: -1 })];
    if (l.length - p.length === 1 && lastMayBe1(l)) return [squeeze(labels, { axis: -1 }), predictions];
    return [labels, predictions];
  }
  // A rank known only at run time: TF's conds on rank(predictions) - rank(labels).
  const diff = sub(rank(predictions), rank(labels));
  const squeezeIf = (t: Tensor, d: number) =>
    lastMayBe1(t.shape)
      ? cond(
          equal(diff, d),
          () => squeeze(t, { axis: -1 }),
          () => identity(t),
        )
      : t;
  return [squeezeIf(labels, -1), squeezeIf(predictions, 1)];
}
// TF's _remove_squeezable_dimensions for weights: weights whose rank differs from the values' by
// one lose or gain their last axis (a scalar stays a scalar).
function alignWeights(values: Tensor, weights: TensorInput): Tensor {
  const w = cast(toTensor(weights, undefined, 'weights'), 'float32');
  const [wr, vr] = [w.shape?.length, values.shape?.length];
  if (wr === 0) return w;
  if (wr === undefined || vr === undefined) return alignWeightsAtRunTime(values, w);
  if (wr - vr === 1) return squeeze(w, { axis: -1 });
  if (vr - wr === 1) return expandDims(w, -1);
  return w;
}
// The same with a rank known only at run time (TF's conds on rank(weights) - rank(values)).
function alignWeightsAtRunTime(values: Tensor, w: Tensor): Tensor {
  const diff = sub(rank(w), rank(values));
  const last = w.shape?.[w.shape.length - 1];
  const squeezable = last === undefined || last === null || last === 1;
  const expand = () =>
    cond(
      equal(diff, -1),
      () => expandDims(w, -1),
      () => identity(w),
    );
  const adjust = () =>
    cond(equal(diff, 1), () => (squeezable ? squeeze(w, { axis: -1 }) : identity(w)), expand);
  return cond(equal(rank(w), 0), () => identity(w), adjust);
}
// TF's broadcast_weights: weights checked broadcastable to the values, times ones_like(values).
function broadcastWeights(w: Tensor, values: Tensor): Tensor {
  assertBroadcastable(w.shape, values.shape);
  return mul(w, onesLike(values));
}
// Weighted values and their count (TF's mean: weights aligned, then broadcast to the values).
function weighted(values: Tensor, weights: TensorInput | undefined): [Tensor, Tensor] {
  if (weights === undefined) return [values, cast(size(values), 'float32')];
  const w = broadcastWeights(alignWeights(values, weights), values);
  return [mul(values, w), reduceSum(w)];
}

/**
 * The running (weighted) mean of `values`: total / count in `mean/total`, `mean/count`.
 * @example const [avgLoss, updateAvg] = metrics.mean(loss);
 */
export function mean(values: TensorInput, opts: MetricOptions = {}): [Tensor, Tensor] {
  checkMetricOptions('metrics.mean', opts);
  return variableScope(
    opts.name ?? null,
    () => {
      const v = cast(toTensor(values), 'float32');
      const total = metricVariable('total');
      const count = metricVariable('count');
      const [vals, num] = weighted(v, opts.weights);
      const updateTotal = total.assignAdd(reduceSum(vals));
      const updateCount = controlDependencies([vals], () => count.assignAdd(num));
      const value = divNoNan(total, maximum(count, 0), { name: 'value' });
      const update = divNoNan(updateTotal, maximum(updateCount, 0), { name: 'update_op' });
      return collect(value, update, opts);
    },
    { defaultName: 'mean' },
  );
}

/**
 * The fraction of `predictions` equal to `labels` (in `accuracy/total`, `accuracy/count`).
 * @example const [acc, updateAcc] = metrics.accuracy(labels, argMax(logits, 1));
 */
export function accuracy(
  labels: TensorInput,
  predictions: TensorInput,
  opts: MetricOptions = {},
): [Tensor, Tensor] {
  checkMetricOptions('metrics.accuracy', opts);
  const [l, p1] = aligned(...toTensorPair(labels, predictions));
  const p = p1.dtype === l.dtype ? p1 : cast(p1, l.dtype);
  const isCorrect = cast(equal(p, l), 'float32');
  return mean(isCorrect, { ...opts, name: opts.name ?? 'accuracy' });
}

/**
 * The running mean of (labels - predictions)² (in `mean_squared_error/total`, `.../count`).
 * @example const [mse, updateMse] = metrics.meanSquaredError(targets, outputs);
 */
export function meanSquaredError(
  labels: TensorInput,
  predictions: TensorInput,
  opts: MetricOptions = {},
): [Tensor, Tensor] {
  checkMetricOptions('metrics.meanSquaredError', opts);
  const [l, p] = aligned(...toTensorPair(labels, predictions));
  return mean(squaredDifference(l, p), { ...opts, name: opts.name ?? 'mean_squared_error' });
}

// TF's _count_condition: a `count` variable summing the (weighted) true entries of `values`.
function countCondition(values: Tensor, weights: TensorInput | undefined): [Tensor, Tensor] {
  const count = metricVariable('count');
  let v = cast(values, 'float32');
  if (weights !== undefined) v = mul(v, alignWeights(v, weights));
  const update = count.assignAdd(reduceSum(v));
  return [count.value(), update];
}
const asBool = (t: TensorInput): Tensor => cast(toTensor(t), 'bool');

// tp / (tp + other), 0 when both are 0 (TF's compute_precision / compute_recall).
const ratio = (tp: Tensor, other: Tensor, name: string): Tensor => {
  const sum = add(tp, other);
  return where(greater(sum, 0), realDiv(tp, sum), zeros([], { dtype: 'float32' }), { name });
};

function twoCounts(
  builder: string,
  scopeName: string,
  otherName: 'false_positives' | 'false_negatives',
  labels: TensorInput,
  predictions: TensorInput,
  opts: MetricOptions,
): [Tensor, Tensor] {
  checkMetricOptions(builder, opts);
  return variableScope(
    opts.name ?? null,
    () => {
      const [l, p] = aligned(asBool(labels), asBool(predictions));
      const counts = (name: string, cond: Tensor) =>
        variableScope(null, () => countCondition(cond, opts.weights), { defaultName: name });
      const isTrue = (t: Tensor) => equal(t, true);
      const [tp, tpUpdate] = counts('true_positives', logicalAnd(isTrue(l), isTrue(p)));
      const other =
        otherName === 'false_positives'
          ? logicalAnd(equal(l, false), isTrue(p))
          : logicalAnd(isTrue(l), equal(p, false));
      const [o, oUpdate] = counts(otherName, other);
      return collect(ratio(tp, o, 'value'), ratio(tpUpdate, oUpdate, 'update_op'), opts);
    },
    { defaultName: scopeName },
  );
}

/**
 * true positives / (true positives + false positives) of boolean (nonzero) predictions.
 * @example const [prec, updatePrec] = metrics.precision(labels, greater(probs, 0.5));
 */
export const precision = (labels: TensorInput, predictions: TensorInput, opts: MetricOptions = {}) =>
  twoCounts('metrics.precision', 'precision', 'false_positives', labels, predictions, opts);

/**
 * true positives / (true positives + false negatives).
 * @example const [rec, updateRec] = metrics.recall(labels, predictions);
 */
export const recall = (labels: TensorInput, predictions: TensorInput, opts: MetricOptions = {}) =>
  twoCounts('metrics.recall', 'recall', 'false_negatives', labels, predictions, opts);
