// tf.layers.batch_normalization (TF 1.15: keras BatchNormalizationBase, V1 behaviour).
//
// Statistics: training normalizes with the batch mean and population variance; inference with
// the moving ones. NOTE: TF 1.15 runs 4-D inputs normalized over the channel axis (axis -1 / 3, or
// 1) through FusedBatchNormV3 (`fused` defaults to true in V1), whose batch variance output — the
// one the moving variance is updated with — carries Bessel's correction n / (n - 1), n = N·H·W
// (`_bessels_correction_test_only` is true, so it is not undone). Other inputs use nn.moments, so
// their moving variance follows the population variance. Both are reproduced here, composed
// from differentiable ops (no FusedBatchNorm node), with TF's float32 decay constants.
//
// Updates (TF's AssignMovingAvg: moving -= (moving - batch) * (1 - momentum)) go to UPDATE_OPS.
// With a bool tensor `training`, TF's fused path multiplies by (1 - momentum') with momentum' =
// momentum when training and 1 otherwise; the non-fused path skips the update when not training.
// Both leave the moving statistics unchanged when `training` is false; here the decay is selected
// (0 when not training), so the update op always runs and writes back the same value then.
import { constantValue } from '../../constant_value.js';
import type { TensorInput } from '../../convert.js';
import { normalizeAxis, numElements } from '../../dtype.js';
import { ValueError } from '../../errors.js';
import { colocateWith, getDefaultGraph, nameScope, type Tensor } from '../../graph.js';
import { GraphKeys } from '../../graph_keys.js';
import { batchNormalization as bnOp, moments } from '../../nn_impl.js';
import { reshape, size } from '../../ops/array.js';
import { constant } from '../../ops/const.js';
import { cast, greater, mul, realDiv, sub } from '../../ops/math.js';
import { where } from '../../ops/select.js';
import type { OptionSpec } from '../../options.js';
import type { Variable } from '../../variable.js';
import { type Initializer, ones, zeros } from '../initializers.js';
import type { Regularizer } from '../variable_scope.js';
import {
  addWeight,
  checkLayerOptions,
  checkTraining,
  LAYER_SPEC,
  type LayerOptions,
  layerCall,
  layerInput,
  type Training,
} from './base.js';

export interface BatchNormalizationOptions extends LayerOptions {
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: Initializer;
  gammaInitializer?: Initializer;
  movingMeanInitializer?: Initializer;
  movingVarianceInitializer?: Initializer;
  betaRegularizer?: Regularizer | null;
  gammaRegularizer?: Regularizer | null;
  /** Batch statistics and moving-average updates (true), moving statistics (false), or a bool tensor. */
  training?: Training;
  trainable?: boolean;
  /** TF 1.15 V1 default true: 4-D inputs over the channel axis take the fused path (see above). */
  fused?: boolean | null;
}
const BN_SPEC: OptionSpec<BatchNormalizationOptions> = {
  axis: 'number',
  momentum: 'number',
  epsilon: 'number',
  center: 'boolean',
  scale: 'boolean',
  betaInitializer: 'function',
  gammaInitializer: 'function',
  movingMeanInitializer: 'function',
  movingVarianceInitializer: 'function',
  betaRegularizer: 'any',
  gammaRegularizer: 'any',
  training: 'any',
  trainable: 'boolean',
  fused: 'any',
  ...LAYER_SPEC,
};

/**
 * gamma · (x - mean) / sqrt(variance + epsilon) + beta over `axis`, with variables
 * `<scope>/gamma|beta|moving_mean|moving_variance` (TF's `tf.layers.batch_normalization`).
 * @example
 * const h = layers.batchNormalization(conv, { training: isTraining });   // isTraining: bool placeholder
 * const train = createTrainOp(loss, opt);   // runs the moving-average updates (UPDATE_OPS) first
 */
export function batchNormalization(inputs: TensorInput, opts: BatchNormalizationOptions = {}): Tensor {
  checkLayerOptions('layers.batchNormalization', opts, BN_SPEC);
  const x = layerInput('batch_normalization', inputs, 1);
  const ndims = x.shape!.length;
  const axis = normalizeAxis(opts.axis ?? -1, ndims);
  const dim = x.shape![axis];
  if (dim === null || dim === undefined) {
    throw new ValueError(
      `Input has undefined \`axis\` dimension. Input shape: [${x.shape!.map((d) => d ?? 'None').join(', ')}]`,
    );
  }
  const momentum = opts.momentum ?? 0.99;
  const fused = (opts.fused ?? true) !== false && ndims === 4 && (axis === 3 || axis === 1);
  // FusedBatchNorm raises epsilon to cuDNN's minimum.
  const epsilon = fused ? Math.max(opts.epsilon ?? 1e-3, 1.001e-5) : (opts.epsilon ?? 1e-3);
  const training = staticTraining(checkTraining('layers.batchNormalization', opts.training ?? false));
  const trainable = opts.trainable ?? true;
  return layerCall('batch_normalization', opts, true, () => {
    const { gamma, beta, movingMean, movingVar } = bnWeights(opts, dim, trainable);
    // Per-channel vectors broadcast against x: reshaped to [1, C, 1, 1] unless the axis is last.
    const bc = (v: Tensor | Variable | null): Tensor | null =>
      v === null
        ? null
        : axis === ndims - 1
          ? toT(v)
          : reshape(
              v,
              x.shape!.map((_, i) => (i === axis ? dim : 1)),
            );
    let mean: Tensor = movingMean.value();
    let variance: Tensor = movingVar.value();
    if (training !== false) {
      const reduce = Array.from({ length: ndims }, (_, i) => i).filter((i) => i !== axis);
      const [batchMean, batchVar] = moments(x, reduce);
      const updVar = fused ? mul(batchVar, besselFactor(x, batchVar)) : batchVar;
      const pick = (a: Tensor, b: Variable) => (training === true ? a : where(training, a, b.value()));
      mean = pick(batchMean, movingMean);
      variance = pick(batchVar, movingVar);
      const decay = decayTensor(training, momentum, fused);
      const updates = [
        assignMovingAverage(movingMean, mean, decay),
        assignMovingAverage(
          movingVar,
          training === true ? updVar : where(training, updVar, movingVar.value()),
          decay,
        ),
      ];
      for (const u of updates) getDefaultGraph().addToCollection(GraphKeys.UPDATE_OPS, u);
    }
    const y = bnOp(x, bc(mean)!, bc(variance)!, bc(beta), bc(gamma), epsilon);
    y.setShape(x.shape);
    return y;
  });
}
// gamma, beta (unless scale / center are false), then the non-trainable moving statistics, in
// TF's creation order.
function bnWeights(opts: BatchNormalizationOptions, dim: number, trainable: boolean) {
  const shape = [dim];
  const weight = (name: string, initializer: Initializer, regularizer?: Regularizer | null) =>
    addWeight(name, { shape, initializer, regularizer, trainable });
  return {
    gamma:
      opts.scale === false ? null : weight('gamma', opts.gammaInitializer ?? ones(), opts.gammaRegularizer),
    beta:
      opts.center === false ? null : weight('beta', opts.betaInitializer ?? zeros(), opts.betaRegularizer),
    movingMean: addWeight('moving_mean', {
      shape,
      initializer: opts.movingMeanInitializer ?? zeros(),
      trainable: false,
    }),
    movingVar: addWeight('moving_variance', {
      shape,
      initializer: opts.movingVarianceInitializer ?? ones(),
      trainable: false,
    }),
  };
}

const toT = (v: Tensor | Variable): Tensor => ('value' in v ? v.value() : v);

// A bool tensor that is a build-time constant acts like the JS boolean (TF's constant_value).
function staticTraining(t: Training): Training {
  if (typeof t === 'boolean') return t;
  const v = constantValue(t);
  return v === null ? t : v[0] !== 0;
}

// n / (n - 1), n = elements per channel (1 when n <= 1), as FusedBatchNorm's float32
// rest_size_adjust; computed at run time when the batch size is unknown.
function besselFactor(x: Tensor, v: Tensor): Tensor {
  const known = numElements(x.shape);
  if (known !== null) {
    const rest = known / numElements(v.shape)!;
    return constant(rest > 1 ? rest / (rest - 1) : 1, { name: 'bessel_factor' });
  }
  return nameScope('bessel_factor', () => {
    const n = realDiv(cast(size(x), 'float32'), cast(size(v), 'float32'));
    return where(greater(n, 1), realDiv(n, sub(n, 1)), constant(1));
  });
}

// 1 - momentum, in float32 as TF builds it: fused: momentum is a float32 tensor first (smart_cond
// picks 1.0 when not training); non-fused: the Python double 1 - momentum is rounded once.
function decayTensor(training: true | Tensor, momentum: number, fused: boolean): Tensor {
  if (fused) {
    const m = training === true ? constant(momentum) : where(training, constant(momentum), constant(1));
    return sub(1, m, { name: 'sub' });
  }
  const d = constant(1 - momentum, { name: 'decay' });
  return training === true ? d : where(training, d, constant(0));
}

// TF's keras `_assign_moving_average`: moving -= (moving - value) * decay, an AssignSub named
// 'AssignMovingAvg' (then 'AssignMovingAvg_1') next to the variable.
function assignMovingAverage(v: Variable, value: Tensor, decay: Tensor): Tensor {
  return nameScope('AssignMovingAvg', (scope) =>
    colocateWith(v.op, () => {
      const delta = mul(sub(v.value(), cast(value, v.dtype)), decay);
      return v.assignSub(delta, { name: scope });
    }),
  );
}
