// Softmax, LogSoftmax and the fused softmax cross-entropies. As in TF, the kernels work on the
// last axis (Softmax, LogSoftmax: any rank >= 1) or on rank-2 [batch, classes] (the
// cross-entropies); the builders move another axis to the end and flatten other ranks to rank 2
// around them, so each op keeps one kernel and one gradient rule and the reshapes and transposes
// differentiate through their own rules.

import * as tfc from '@tensorflow/tfjs-core';
import { typeOf } from '../attr_schema.js';
import { inGraphOf, type NameOpt, opScope, type TensorInput, toTensor } from '../convert.js';
import type { Shape } from '../dtype.js';
import { formatShape, mergeShapes, shapesCompatible } from '../dtype.js';
import { InvalidArgumentError, ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, FLOAT, requireDtype, requireRank, sameDtype } from '../op_def.js';
import { checkOptions, named, type OptionSpec } from '../options.js';
import { rank, reshape, shape, transpose } from './array.js';
import { stopGradient } from './core.js';
import { concat } from './joins.js';
import { sub } from './math.js';
import { slice } from './slicing.js';
import { float32Kernel } from './typed_kernel.js';

const lastAxisOp = (type: string, outputArg: string, kernel: (x: tfc.Tensor) => tfc.Tensor) =>
  defineOp<'logits'>({
    type,
    outputArgs: [outputArg],
    inputs: ['logits'],
    attrs: { T: typeOf('logits') },
    shape: ({ logits }) => {
      if (logits.shape !== null && logits.shape.length < 1)
        throw new ValueError('logits must have rank at least 1');
      return logits.shape;
    },
    dtype: ({ logits }) => requireDtype(logits, FLOAT, 'logits'),
    kernel: ({ logits }) => kernel(logits),
  });
export const Softmax = lastAxisOp('Softmax', 'softmax', (x) => tfc.softmax(x));
export const LogSoftmax = lastAxisOp('LogSoftmax', 'logsoftmax', (x) => tfc.logSoftmax(x));

/** `axis` as a non-negative index into a known rank, or 'last' when it names the last axis. */
function resolveAxis(type: string, x: Tensor, axis: number): number | 'last' {
  const r = x.shape?.length ?? null;
  if (axis === -1 || (r !== null && axis === r - 1)) return 'last';
  if (r === null) {
    throw new ValueError(`${type}: axis ${axis} needs a known rank, but ${x.name} has unknown shape`);
  }
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new ValueError(
      `${type}: axis ${axis} is out of range for ${x.name} of shape ${formatShape(x.shape)} (must be in [${-r}, ${r}))`,
    );
  }
  return axis < 0 ? axis + r : axis;
}

// Permutations (each its own inverse for the swap) that bring `axis` to the end.
const swapLast = (r: number, axis: number) =>
  [...Array(r).keys()].map((i) => (i === axis ? r - 1 : i === r - 1 ? axis : i));
const moveToEnd = (r: number, axis: number) => [...[...Array(r).keys()].filter((i) => i !== axis), axis];

export interface SoftmaxOptions extends NameOpt {
  /** The class axis (default -1, the last one). */
  axis?: number;
}

const SOFTMAX_SPEC: OptionSpec<SoftmaxOptions> = { name: 'string', axis: 'number' };
const lastAxisBuilder =
  (def: typeof Softmax, type: string, builder: string) =>
  (logits: TensorInput, opts: SoftmaxOptions = {}): Tensor =>
    // No scope of its own (TF 1.15's `_softmax`); only the graph comes from the logits.
    inGraphOf([logits], () => {
      checkOptions(builder, opts, SOFTMAX_SPEC);
      const x = toTensor(logits);
      const axis = resolveAxis(type, x, opts.axis ?? -1);
      if (axis === 'last') return def.apply({ logits: x }, {}, { name: opts.name ?? type });
      // TF 1.15's `_softmax`: swap the axis with the last one, apply the op, swap back.
      const perm = swapLast(x.shape!.length, axis);
      const y = def.apply({ logits: transpose(x, perm) }, {}, { name: type });
      return transpose(y, perm, { name: opts.name ?? 'transpose' });
    });

/** exp(x) / sum(exp(x)) along `axis` (default the last). @example const probs = softmax(logits); */
export const softmax = lastAxisBuilder(Softmax, 'Softmax', 'softmax');
/**
 * x - log(sum(exp(x))) along `axis` (default the last), computed stably.
 * @example const logp = logSoftmax(scores, { axis: 1 });
 */
export const logSoftmax = lastAxisBuilder(LogSoftmax, 'LogSoftmax', 'logSoftmax');

// ---- fused cross-entropy ops (rank 2) -------------------------------------------------------

// A classifier's logits are small ([64, 10] for MNIST) and the op-by-op tfjs form is seven
// kernels whose per-call cost (~20-40 µs on wasm) dwarfs the arithmetic: float32 logits go
// through one loop per row instead, as TF's kernels (xent_op.h) compute it: z - max(z) shifted,
// backprop = softmax - labels, loss = Σ labels·(log Σ exp(shifted) - shifted).
function crossEntropyRows(
  z: Float32Array,
  classes: number,
  loss: Float32Array,
  // Holds the labels on entry (the caller puts them there) and softmax - labels on return.
  backprop: Float32Array,
  // Row r's loss (its elements start at o) from log Σ exp(z - max) and max.
  rowLoss: (r: number, o: number, logSum: number, max: number) => number,
): void {
  for (let r = 0, o = 0; r < loss.length; r++, o += classes) {
    let max = -Infinity;
    for (let c = o; c < o + classes; c++) max = Math.max(max, z[c]!);
    let sum = 0;
    for (let c = o; c < o + classes; c++) sum += Math.exp(z[c]! - max);
    const logSum = Math.log(sum);
    loss[r] = rowLoss(r, o, logSum, max);
    for (let c = o; c < o + classes; c++) backprop[c] = Math.exp(z[c]! - max) / sum - backprop[c]!;
  }
}

/** Outputs: loss `[batch]` and backprop `[batch, classes]` = softmax(logits) - labels. */
export const SoftmaxCrossEntropyWithLogits = defineOp<'logits' | 'labels'>({
  type: 'SoftmaxCrossEntropyWithLogits',
  outputArgs: ['loss', 'backprop'],
  inputs: ['logits', 'labels'],
  attrs: { T: typeOf('logits') },
  outputs: ({ logits, labels }) => {
    requireRank(logits, 2, 'logits');
    requireRank(labels, 2, 'labels');
    if (!shapesCompatible(logits.shape, labels.shape)) {
      throw new ValueError(
        `logits and labels must have the same shape, got ${formatShape(logits.shape)} and ${formatShape(labels.shape)}`,
      );
    }
    const dtype = (requireDtype(logits, FLOAT, 'logits'), sameDtype(logits, labels));
    const shape = mergeShapes(logits.shape, labels.shape) ?? [null, null];
    return [
      { dtype, shape: [shape[0]!] },
      { dtype, shape },
    ];
  },
  kernel: ({ logits, labels }) => {
    const [batch, classes] = logits.shape as [number, number];
    if (logits.dtype === 'float32' && tfc.util.arraysEqual(logits.shape, labels.shape)) {
      return float32Kernel([logits, labels], [[batch], [batch, classes]], ([z, y], [loss, backprop]) => {
        backprop!.set(y!);
        crossEntropyRows(z!, classes, loss!, backprop!, (_, o, logSum, max) => {
          let l = 0;
          for (let c = o; c < o + classes; c++) l += y![c]! * (logSum - (z![c]! - max));
          return l;
        });
      });
    }
    return tfc.tidy(() => {
      const logp = tfc.logSoftmax(logits);
      return [tfc.neg(tfc.sum(tfc.mul(labels, logp), -1)), tfc.sub(tfc.exp(logp), labels)];
    });
  },
});

export const SparseSoftmaxCrossEntropyWithLogits = defineOp<'logits' | 'labels'>({
  type: 'SparseSoftmaxCrossEntropyWithLogits',
  outputArgs: ['loss', 'backprop'],
  inputs: ['logits', 'labels'],
  attrs: { T: typeOf('logits'), Tlabels: typeOf('labels', 'int64') },
  outputs: ({ logits, labels }) => {
    requireRank(logits, 2, 'logits');
    requireRank(labels, 1, 'labels');
    requireDtype(labels, ['int32'], 'labels');
    const dtype = requireDtype(logits, FLOAT, 'logits');
    const batch = logits.shape?.[0] ?? null;
    const classes = logits.shape?.[1] ?? null;
    const lb = labels.shape?.[0] ?? null;
    if (batch !== null && lb !== null && batch !== lb) {
      throw new ValueError(
        `logits and labels must have the same first dimension, got logits shape ${formatShape(logits.shape)} and labels shape ${formatShape(labels.shape)}`,
      );
    }
    return [
      { dtype, shape: [batch ?? lb] },
      { dtype, shape: [batch ?? lb, classes] },
    ];
  },
  kernel: ({ logits, labels }, _, ctx) => {
    const classes = logits.shape[1]!;
    const ids = labels.dataSync();
    if (ids.length !== logits.shape[0]) {
      throw new InvalidArgumentError(
        `logits and labels must have the same first dimension, got logits shape ${formatShape(logits.shape)} and labels shape ${formatShape(labels.shape)}`,
        ctx.op,
      );
    }
    for (const id of ids) {
      if (id < 0 || id >= classes) {
        throw new InvalidArgumentError(
          `Received a label value of ${id} which is outside the valid range of [0, ${classes}).`,
          ctx.op,
        );
      }
    }
    if (logits.dtype === 'float32') {
      return float32Kernel([logits], [[ids.length], [ids.length, classes]], ([z], [loss, backprop]) => {
        backprop!.fill(0);
        for (let r = 0; r < ids.length; r++) backprop![r * classes + ids[r]!] = 1;
        crossEntropyRows(
          z!,
          classes,
          loss!,
          backprop!,
          (r, o, logSum, max) => logSum - (z![o + ids[r]!]! - max),
        );
      });
    }
    return tfc.tidy(() => {
      const logp = tfc.logSoftmax(logits);
      // NOTE: tfjs-wasm's OneHot ignores a float dtype (returns zeros); cast the int one-hot instead.
      const onehot = tfc.cast(tfc.oneHot(labels as tfc.Tensor1D, classes), 'float32');
      return [tfc.neg(tfc.sum(tfc.mul(onehot, logp), -1)), tfc.sub(tfc.exp(logp), onehot)];
    });
  },
});

// ---- rank handling around the rank-2 ops ----------------------------------------------------

// `shape(x)[begin : begin + size]` where begin/size may count from the (possibly unknown) rank.
function shapeSlice(x: Tensor, begin: number | Tensor, size: number | Tensor): Tensor {
  const asVec = (v: number | Tensor) => (typeof v === 'number' ? [v] : reshape(v, [1]));
  return slice(shape(x), asVec(begin), asVec(size));
}
const rankMinus1 = (x: Tensor): number | Tensor => (x.rank !== null ? x.rank - 1 : sub(rank(x), 1));

/** [..., C] -> [N, C] (TF's `_flatten_outer_dims`). */
function flattenOuter(x: Tensor): Tensor {
  const c = x.shape?.[x.shape.length - 1] ?? null;
  return reshape(x, c !== null ? [-1, c] : concat([[-1], shapeSlice(x, rankMinus1(x), 1)], 0));
}

/** Reshapes a per-row result `[N]` back to `outer` (the static shape `known` where it is known). */
function unflatten(cost: Tensor, outer: Tensor, known: Shape | null): Tensor {
  const out = reshape(cost, outer);
  if (known !== null) out.setShape(known);
  return out;
}

export interface XentArgs extends NameOpt {
  labels: TensorInput;
  logits: TensorInput;
  /** The class axis (default -1, the last one); dense cross-entropies only. */
  axis?: number;
}

function denseXent(logits: Tensor, labels: Tensor, axis: number, scope: string): Tensor {
  const what = `SoftmaxCrossEntropyWithLogits op '${scope.replace(/\/$/, '')}'`;
  if (logits.shape !== null && logits.shape.length < 1) {
    throw new ValueError(`${what}: logits must have rank at least 1, got shape ${formatShape(logits.shape)}`);
  }
  if (!shapesCompatible(logits.shape, labels.shape)) {
    throw new ValueError(
      `${what}: logits and labels must have the same shape, got ${formatShape(logits.shape)} and ${formatShape(labels.shape)}`,
    );
  }
  if (logits.rank === 2 && (axis === -1 || axis === 1)) {
    return SoftmaxCrossEntropyWithLogits.apply({ logits, labels }, {}, { name: scope });
  }
  const ax = resolveAxis(what, logits, axis);
  let known = mergeShapes(logits.shape, labels.shape);
  let [x, z] = [logits, labels];
  if (ax !== 'last') {
    const perm = moveToEnd(x.rank!, ax);
    [x, z] = [transpose(x, perm), transpose(z, perm)];
    known = perm.map((i) => known![i]!);
  }
  const outer = shapeSlice(x, 0, rankMinus1(x));
  const cost = SoftmaxCrossEntropyWithLogits.apply(
    { logits: flattenOuter(x), labels: flattenOuter(z) },
    {},
    { name: scope },
  );
  return unflatten(cost, outer, known?.slice(0, -1) ?? null);
}

/**
 * Per-example softmax cross-entropy `-sum(labels * logSoftmax(logits), axis)`: labels and logits
 * of shape `[..., classes]` give a loss of shape `[...]`. As TF1's
 * `tf.nn.softmax_cross_entropy_with_logits`, no gradient flows into `labels`.
 * @example const loss = reduceMean(softmaxCrossEntropyWithLogits({ labels: y, logits }));
 */
export function softmaxCrossEntropyWithLogits(args: XentArgs, opts: NameOpt = {}): Tensor {
  const values = [args.logits, args.labels];
  return opScope(
    named('softmaxCrossEntropyWithLogits', opts) ?? args.name,
    'softmax_cross_entropy_with_logits_sg',
    values,
    (scope) => {
      const logits = toTensor(args.logits);
      const labels = stopGradient(toTensor(args.labels, logits.dtype), { name: 'labels_stop_gradient' });
      return denseXent(logits, labels, args.axis ?? -1, scope);
    },
  );
}

/**
 * As softmaxCrossEntropyWithLogits, but the gradient also flows into `labels` (TF's
 * `softmax_cross_entropy_with_logits_v2`).
 * @example const loss = softmaxCrossEntropyWithLogitsV2({ labels: softmax(teacher), logits });
 */
export function softmaxCrossEntropyWithLogitsV2(args: XentArgs, opts: NameOpt = {}): Tensor {
  const values = [args.logits, args.labels];
  return opScope(
    named('softmaxCrossEntropyWithLogitsV2', opts) ?? args.name,
    'softmax_cross_entropy_with_logits',
    values,
    (scope) => {
      const logits = toTensor(args.logits);
      return denseXent(logits, toTensor(args.labels, logits.dtype), args.axis ?? -1, scope);
    },
  );
}

/**
 * Per-example cross-entropy of `logits` `[..., classes]` against int32 class ids `labels` `[...]`;
 * an id outside `[0, classes)` fails the run.
 * @example const loss = sparseSoftmaxCrossEntropyWithLogits({ labels: classIds, logits });
 */
export function sparseSoftmaxCrossEntropyWithLogits(args: XentArgs, opts: NameOpt = {}): Tensor {
  const values = [args.logits, args.labels];
  return opScope(
    named('sparseSoftmaxCrossEntropyWithLogits', opts) ?? args.name,
    'SparseSoftmaxCrossEntropyWithLogits',
    values,
    (scope) => {
      const logits = toTensor(args.logits);
      const labels = toTensor(args.labels, 'int32');
      checkSparseShapes(logits, labels, scope);
      if (logits.rank === 2) {
        return SparseSoftmaxCrossEntropyWithLogits.apply({ logits, labels }, {}, { name: scope });
      }
      const cost = SparseSoftmaxCrossEntropyWithLogits.apply(
        { logits: flattenOuter(logits), labels: reshape(labels, [-1]) },
        {},
        { name: scope },
      );
      const known = mergeShapes(labels.shape, logits.shape?.slice(0, -1) ?? null);
      return unflatten(cost, shape(labels), known);
    },
  );
}

// TF's checks, with its messages: labels are logits' shape without the class dim.
function checkSparseShapes(logits: Tensor, labels: Tensor, scope: string): void {
  const type = `SparseSoftmaxCrossEntropyWithLogits op '${scope.replace(/\/$/, '')}'`;
  const [ls, ys] = [logits.shape, labels.shape];
  if (ls !== null && ls.length === 0) {
    throw new ValueError(`${type}: Logits cannot be scalars - received shape ${formatShape(ls)}.`);
  }
  if (ls !== null && ys !== null && ys.length !== ls.length - 1) {
    throw new ValueError(
      `${type}: Rank mismatch: Rank of labels (received ${ys.length}) should equal rank of logits minus 1 (received ${ls.length}); labels shape ${formatShape(ys)}, logits shape ${formatShape(ls)}.`,
    );
  }
  if (ls !== null && ys !== null && !shapesCompatible(ys, ls.slice(0, -1))) {
    throw new ValueError(
      `${type}: Shape mismatch: The shape of labels (received ${formatShape(ys)}) should equal the shape of logits except for the last dimension (received ${formatShape(ls)}).`,
    );
  }
}
