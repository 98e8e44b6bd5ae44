// TF 1.15's initializer objects (init_ops.py) as functions `(shape, dtype) => Tensor`. They build
// ordinary graph ops — `getVariable` calls them under `<var>/Initializer/` — so a variable's
// initial value is computed in the session when its initializer runs, with the random ops'
// seeding (graph seed + op seed, TF's get_seed).
import type { DType } from '../dtype.js';
import { formatShape } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { reshape, transpose } from '../ops/array.js';
import { constant } from '../ops/const.js';
import { mul, sign } from '../ops/math.js';
import { randomNormal, randomUniform, truncatedNormal } from '../ops/random.js';
import { reduceSum } from '../ops/reduce.js';
import { ones as onesOp, zeros as zerosOp } from '../ops/sources.js';
import { checkOptions } from '../options.js';
import { qr } from './model_ops.js';

/** Builds a variable's initial value of `shape` and `dtype`. */
export type Initializer = (shape: number[], dtype: DType) => Tensor;

const requireFloat = (what: string, dtype: DType): void => {
  if (dtype !== 'float32') throw new ValueError(`${what}: Expected floating point type, got ${dtype}.`);
};
interface SeedOpt {
  seed?: number | null;
}

/** All zeros (TF's `zeros_initializer`). */
export const zeros = (): Initializer => (shape, dtype) => zerosOp(shape, { dtype });

/** All ones (TF's `ones_initializer`). */
export const ones = (): Initializer => (shape, dtype) => onesOp(shape, { dtype });

/**
 * A constant: a scalar fills the shape; a shorter list is padded with its last element (TF1's
 * `constant_initializer` without `verify_shape`).
 * @example getVariable('b', { shape: [3], initializer: initializers.constant(0.1) })
 */
function constantInit(value: number | boolean | readonly number[] | readonly boolean[]): Initializer {
  const ok = (x: unknown): boolean =>
    typeof x === 'number' ||
    typeof x === 'boolean' ||
    ArrayBuffer.isView(x) ||
    (Array.isArray(x) && x.every(ok));
  if (!ok(value)) {
    throw new TypeError(
      `initializers.constant: value must be a number, a boolean or (nested) arrays of them, got ${typeof value} ${String(value)}`,
    );
  }
  return (shape, dtype) => constant(value as number[], { dtype, shape, name: 'Const' });
}

/** N(mean, stddev²) (TF 1.15 defaults mean 0, stddev 1). */
function randomNormalInit(opts: { mean?: number; stddev?: number } & SeedOpt = {}): Initializer {
  checkOptions('initializers.randomNormal', opts, { mean: 'number', stddev: 'number', seed: 'any' });
  return (shape, dtype) => {
    requireFloat('initializers.randomNormal', dtype);
    return randomNormal(shape, { mean: opts.mean ?? 0, stddev: opts.stddev ?? 1, seed: opts.seed, dtype });
  };
}

/** N(mean, stddev²) redrawn beyond 2 stddev (TF 1.15 defaults mean 0, stddev 1). */
function truncatedNormalInit(opts: { mean?: number; stddev?: number } & SeedOpt = {}): Initializer {
  checkOptions('initializers.truncatedNormal', opts, { mean: 'number', stddev: 'number', seed: 'any' });
  return (shape, dtype) => {
    requireFloat('initializers.truncatedNormal', dtype);
    return truncatedNormal(shape, { mean: opts.mean ?? 0, stddev: opts.stddev ?? 1, seed: opts.seed, dtype });
  };
}

/** U[minval, maxval) (defaults 0 and 1; int32 needs maxval). */
function randomUniformInit(opts: { minval?: number; maxval?: number } & SeedOpt = {}): Initializer {
  checkOptions('initializers.randomUniform', opts, { minval: 'number', maxval: 'number', seed: 'any' });
  return (shape, dtype) => {
    const maxval = opts.maxval ?? (dtype === 'float32' ? 1 : undefined);
    return randomUniform(shape, { minval: opts.minval ?? 0, maxval, seed: opts.seed, dtype });
  };
}

export {
  constantInit as constant,
  randomNormalInit as randomNormal,
  randomUniformInit as randomUniform,
  truncatedNormalInit as truncatedNormal,
};

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
export type Distribution = 'truncated_normal' | 'untruncated_normal' | 'uniform' | 'normal';
export interface VarianceScalingOptions extends SeedOpt {
  scale?: number;
  mode?: FanMode;
  distribution?: Distribution;
}

/** TF's `_compute_fans`: dense [in, out]; convolution kernels [...receptive field, in, out]. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length < 1) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

// scipy.stats.truncnorm.std(a=-2, b=2, loc=0., scale=1.): the stddev of N(0,1) truncated at ±2.
const TRUNCATED_STD = 0.87962566103423978;

/**
 * Samples with variance scale / n, n = fan_in, fan_out or their mean (TF's `VarianceScaling`):
 * 'truncated_normal' (stddev corrected for the truncation), 'untruncated_normal' or 'uniform'
 * (limit sqrt(3 * scale / n)). 'normal' is TF's deprecated alias of 'truncated_normal'.
 * @example initializers.varianceScaling({ scale: 2, mode: 'fan_in', distribution: 'truncated_normal' })
 */
export function varianceScaling(opts: VarianceScalingOptions = {}): Initializer {
  checkOptions('initializers.varianceScaling', opts, {
    scale: 'number',
    mode: 'string',
    distribution: 'string',
    seed: 'any',
  });
  const scale = opts.scale ?? 1;
  const mode = opts.mode ?? 'fan_in';
  const distribution = (opts.distribution ?? 'truncated_normal').toLowerCase();
  if (!(scale > 0)) throw new ValueError('`scale` must be positive float.');
  if (!['fan_in', 'fan_out', 'fan_avg'].includes(mode))
    throw new ValueError(`Invalid \`mode\` argument: ${mode}`);
  if (!['normal', 'uniform', 'truncated_normal', 'untruncated_normal'].includes(distribution)) {
    throw new ValueError(`Invalid \`distribution\` argument: ${distribution}`);
  }
  return (shape, dtype) => {
    requireFloat('initializers.varianceScaling', dtype);
    const [fanIn, fanOut] = computeFans(shape);
    const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const s = scale / Math.max(1, n);
    const seed = opts.seed;
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      return randomUniform(shape, { minval: -limit, maxval: limit, seed, dtype });
    }
    if (distribution === 'untruncated_normal')
      return randomNormal(shape, { stddev: Math.sqrt(s), seed, dtype });
    return truncatedNormal(shape, { stddev: Math.sqrt(s) / TRUNCATED_STD, seed, dtype });
  };
}

const seedOnly = (name: string, opts: SeedOpt): SeedOpt => (checkOptions(name, opts, ['seed']), opts);
/** U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)): the default for float variables. */
export const glorotUniform = (opts: SeedOpt = {}): Initializer =>
  varianceScaling({
    scale: 1,
    mode: 'fan_avg',
    distribution: 'uniform',
    ...seedOnly('initializers.glorotUniform', opts),
  });
/** Truncated normal, stddev sqrt(2 / (fan_in + fan_out)) / 0.8796… */
export const glorotNormal = (opts: SeedOpt = {}): Initializer =>
  varianceScaling({
    scale: 1,
    mode: 'fan_avg',
    distribution: 'truncated_normal',
    ...seedOnly('initializers.glorotNormal', opts),
  });
/** Truncated normal, stddev sqrt(2 / fan_in) / 0.8796… */
export const heNormal = (opts: SeedOpt = {}): Initializer =>
  varianceScaling({
    scale: 2,
    mode: 'fan_in',
    distribution: 'truncated_normal',
    ...seedOnly('initializers.heNormal', opts),
  });
/** U(-limit, limit), limit = sqrt(6 / fan_in). */
export const heUniform = (opts: SeedOpt = {}): Initializer =>
  varianceScaling({
    scale: 2,
    mode: 'fan_in',
    distribution: 'uniform',
    ...seedOnly('initializers.heUniform', opts),
  });

/**
 * A (semi-)orthogonal matrix reshaped to `shape` times `gain` (TF's `Orthogonal`): the Q of the QR
 * decomposition of a normal sample, with signs fixed by diag(R) so Q is uniformly distributed.
 * @example getVariable('w', { shape: [64, 64], initializer: initializers.orthogonal({ gain: 1 }) })
 */
export function orthogonal(opts: { gain?: number } & SeedOpt = {}): Initializer {
  checkOptions('initializers.orthogonal', opts, { gain: 'number', seed: 'any' });
  const gain = opts.gain ?? 1;
  return (shape, dtype) => {
    requireFloat('initializers.orthogonal', dtype);
    if (shape.length < 2) {
      throw new ValueError(
        `The tensor to initialize must be at least two-dimensional, got shape ${formatShape(shape)}`,
      );
    }
    const numRows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const numCols = shape[shape.length - 1]!;
    const flat = numRows < numCols ? [numCols, numRows] : [numRows, numCols];
    const a = randomNormal(flat, { seed: opts.seed, dtype });
    const [q0, r] = qr(a);
    const k = flat[1]!;
    const eye = constant(
      Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0)),
      { shape: [k, k], name: 'eye' },
    );
    const d = reduceSum(mul(r, eye), 0, { name: 'diag_part' });
    let q = mul(q0, sign(d));
    if (numRows < numCols) q = transpose(q, [1, 0], { name: 'matrix_transpose' });
    return mul(gain, reshape(q, shape));
  };
}
