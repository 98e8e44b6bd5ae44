// Random sources. The ops draw standard distributions (N(0,1), U[0,1), N(0,1) truncated at 2σ)
// of a shape given as an int32 input tensor; the builders scale and shift them with ordinary ops,
// as TF's random_ops.py does, so gradients reach a tensor `mean` or `stddev`.
//
// Seeding follows TF's `get_seed`: attrs `seed` (graph seed) and `seed2` (op seed); both 0 means
// nondeterministic. A seeded op draws a fresh sample on each execution in a session, and the
// same sequence of samples in every new session.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, typeOf } from '../attr_schema.js';
import { constantShape } from '../constant_value.js';
import { type NameOpt, opScope, readInts, type TensorInput, toTensor } from '../convert.js';
import type { DType } from '../dtype.js';
import { formatShape } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { getDefaultGraph, type Tensor } from '../graph.js';
import { defineOp, type KernelContext, requireDtype, requireRank, sameDtype } from '../op_def.js';
import { checkOptions } from '../options.js';
import { shape as shapeOf } from './array.js';
import { constant } from './const.js';
import { add, cast, greaterEqual, mul, realDiv, sub } from './math.js';

/** TF's DEFAULT_GRAPH_SEED: the graph seed used when only an op seed is given. */
export const DEFAULT_GRAPH_SEED = 87654321;
const MAXINT32 = 2 ** 31 - 1;

interface SeedAttrs {
  seed: number;
  seed2: number;
}
interface RandomAttrs extends SeedAttrs {
  dtype: DType;
}
const SEEDS = { seed: attrOf('int', 'seed', 0), seed2: attrOf('int', 'seed2', 0) } as const;

/**
 * TF's `get_seed`: the (graph seed, op seed) pair for a new random op. With a graph seed but no op
 * seed, the op seed is the graph's op count, so each op gets its own deterministic stream.
 */
export function getSeed(opSeed?: number | null): SeedAttrs {
  const graph = getDefaultGraph();
  const truncate = (s: number) => s % MAXINT32;
  let seeds: [number, number];
  if (graph.seed !== null) seeds = [truncate(graph.seed), truncate(opSeed ?? graph.numOps)];
  else if (opSeed !== undefined && opSeed !== null) seeds = [DEFAULT_GRAPH_SEED, truncate(opSeed)];
  else return { seed: 0, seed2: 0 };
  // (0, 0) means "nondeterministic" to the kernels, which a user who set seeds did not ask for.
  if (seeds[0] === 0 && seeds[1] === 0) seeds = [0, MAXINT32];
  return { seed: seeds[0], seed2: seeds[1] };
}

// A 32-bit mix (murmur3 finaliser) of the seeds and the execution count: a distinct, nonzero
// tfjs seed per execution. tfjs treats a falsy seed as "use Math.random".
function kernelSeed({ seed, seed2 }: SeedAttrs, ctx: KernelContext): number | undefined {
  const n = ctx.executionCount();
  if (seed === 0 && seed2 === 0) return undefined;
  let h = 0x9e3779b9;
  for (const v of [seed, seed2, n]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) + 1;
}

function sampleShape(shape: Tensor) {
  requireDtype(shape, ['int32'], 'shape');
  requireRank(shape, 1, 'shape');
  return constantShape(shape);
}
const floatOnly = (type: string, dtype: DType): DType => {
  if (dtype !== 'float32') throw new TypeError(`${type} draws floats, got dtype ${dtype}`);
  return dtype;
};

type Draw = (shape: number[], seed: number | undefined) => tfc.Tensor;
const randomOp = (type: string, draw: Draw) =>
  defineOp<'shape', RandomAttrs>({
    type,
    outputArgs: ['output'],
    inputs: ['shape'],
    attrs: { ...SEEDS, dtype: attrOf('type', 'dtype'), T: typeOf('shape') },
    stateful: true,
    shape: ({ shape }) => sampleShape(shape),
    dtype: (_, { dtype }) => floatOnly(type, dtype),
    kernel: ({ shape }, attrs, ctx) => draw(readInts(shape), kernelSeed(attrs, ctx)),
  });

export const RandomStandardNormal = randomOp('RandomStandardNormal', (s, seed) =>
  tfc.randomNormal(s, 0, 1, 'float32', seed),
);
export const RandomUniform = randomOp('RandomUniform', (s, seed) =>
  tfc.randomUniform(s, 0, 1, 'float32', seed),
);
export const TruncatedNormal = randomOp('TruncatedNormal', (s, seed) =>
  tfc.truncatedNormal(s, 0, 1, 'float32', seed),
);

/** Integers uniform in [minval, maxval) (tfjs's int draw rounds, so floor a float draw instead). */
export const RandomUniformInt = defineOp<'shape' | 'minval' | 'maxval', SeedAttrs>({
  type: 'RandomUniformInt',
  outputArgs: ['output'],
  inputs: ['shape', 'minval', 'maxval'],
  attrs: { ...SEEDS, Tout: typeOf('minval'), T: typeOf('shape') },
  stateful: true,
  shape: ({ shape, minval, maxval }) => {
    requireRank(minval, 0, 'minval');
    requireRank(maxval, 0, 'maxval');
    return sampleShape(shape);
  },
  dtype: ({ minval, maxval }) => (requireDtype(minval, ['int32'], 'minval'), sameDtype(minval, maxval)),
  kernel: ({ shape, minval, maxval }, attrs, ctx) => {
    const [lo, hi] = [minval.dataSync()[0]!, maxval.dataSync()[0]!];
    if (!(lo < hi)) throw new ValueError(`RandomUniformInt needs minval < maxval, got ${lo} >= ${hi}`);
    const seed = kernelSeed(attrs, ctx);
    return tfc.tidy(() => {
      const u = tfc.randomUniform(readInts(shape), 0, 1, 'float32', seed);
      return tfc.cast(tfc.floor(tfc.add(tfc.mul(u, hi - lo), lo)), 'int32');
    });
  },
});

/** `value` with its first dimension permuted at random (a fresh permutation each run). */
export const RandomShuffle = defineOp<'value', SeedAttrs>({
  type: 'RandomShuffle',
  outputArgs: ['output'],
  inputs: ['value'],
  attrs: { ...SEEDS, T: typeOf('value') },
  stateful: true,
  shape: ({ value }) => value.shape,
  dtype: ({ value }) => value.dtype,
  kernel: ({ value }, attrs, ctx) => {
    const seed = kernelSeed(attrs, ctx);
    if (value.rank === 0) return tfc.clone(value);
    // Sorting uniform keys gives a uniformly random permutation.
    const keys = tfc.tidy(() => tfc.randomUniform([value.shape[0]!], 0, 1, 'float32', seed).dataSync());
    const perm = Array.from(keys.keys()).sort((a, b) => keys[a]! - keys[b]!);
    return tfc.tidy(() => tfc.gather(value, tfc.tensor1d(perm, 'int32')));
  },
});

/**
 * Shuffles `value` along its first dimension (TF's `tf.random_shuffle`).
 * @example const batch = randomShuffle(examples, { seed: 1 });
 */
export function randomShuffle(value: TensorInput, opts: NameOpt & { seed?: number | null } = {}): Tensor {
  checkOptions('randomShuffle', opts, { name: 'string', seed: 'any' });
  return opScope(opts.name, 'RandomShuffle', [value], (name) =>
    RandomShuffle.apply({ value: toTensor(value, undefined, 'value') }, getSeed(opts.seed), { name }),
  );
}

export type ShapeInput = readonly number[] | Tensor;
export interface RandomOptions extends NameOpt {
  dtype?: DType;
  /** The op seed; combined with the graph seed (`setRandomSeed`) as TF's `get_seed` does. */
  seed?: number | null;
}

function shapeTensor(shape: ShapeInput): Tensor {
  if (!Array.isArray(shape)) return toTensor(shape as Tensor, 'int32');
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(`random shape ${formatShape(shape)} must hold non-negative integers`);
  }
  return constant(shape as number[], { dtype: 'int32', shape: [shape.length], name: 'shape' });
}

/**
 * Samples N(mean, stddev²), drawn afresh on every run (TF's `tf.random_normal`).
 * @example setRandomSeed(1); const w = randomNormal([784, 10], { stddev: 0.1, seed: 2 });
 */
export function randomNormal(
  shape: ShapeInput,
  opts: RandomOptions & { mean?: TensorInput; stddev?: TensorInput } = {},
): Tensor {
  return scaled(RandomStandardNormal, 'random_normal', shape, opts);
}

/**
 * N(mean, stddev²) with samples beyond two standard deviations redrawn (TF's `truncated_normal`).
 * @example const w = truncatedNormal([3, 3], { stddev: 0.01 });
 */
export function truncatedNormal(
  shape: ShapeInput,
  opts: RandomOptions & { mean?: TensorInput; stddev?: TensorInput } = {},
): Tensor {
  return scaled(TruncatedNormal, 'truncated_normal', shape, opts);
}

// rnd * stddev + mean, with TF's op names (`random_normal/mul`, `random_normal`).
function scaled(
  def: typeof RandomStandardNormal,
  scope: string,
  shape: ShapeInput,
  opts: RandomOptions & { mean?: TensorInput; stddev?: TensorInput },
): Tensor {
  const dtype = opts.dtype ?? 'float32';
  floatOnly(scope, dtype);
  checkOptions(def === TruncatedNormal ? 'truncatedNormal' : 'randomNormal', opts, {
    name: 'string',
    dtype: 'any',
    seed: 'any',
    mean: 'any',
    stddev: 'any',
  });
  return opScope(opts.name, scope, [shape, opts.mean, opts.stddev], (name) => {
    const s = shapeTensor(shape);
    const mean = toTensor(opts.mean ?? 0, dtype, 'mean');
    const stddev = toTensor(opts.stddev ?? 1, dtype, 'stddev');
    const rnd = def.apply({ shape: s }, { ...getSeed(opts.seed), dtype }, { name: def.type });
    return add(mul(rnd, stddev, { name: 'mul' }), mean, { name });
  });
}

/**
 * Samples uniformly from [minval, maxval) (TF's `tf.random_uniform`); int32 needs `maxval`.
 * @example const u = randomUniform([2, 2], { minval: -1, maxval: 1, seed: 3 });
 */
export function randomUniform(
  shape: ShapeInput,
  opts: RandomOptions & { minval?: TensorInput; maxval?: TensorInput } = {},
): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new TypeError(`randomUniform: dtype must be float32 or int32, got ${dtype}`);
  }
  if (dtype === 'int32' && opts.maxval === undefined) {
    throw new ValueError('randomUniform: must specify maxval for integer dtype int32');
  }
  checkOptions('randomUniform', opts, {
    name: 'string',
    dtype: 'any',
    seed: 'any',
    minval: 'any',
    maxval: 'any',
  });
  return opScope(opts.name, 'random_uniform', [shape, opts.minval, opts.maxval], (name) => {
    const s = shapeTensor(shape);
    const minval = toTensor(opts.minval ?? 0, dtype, 'min');
    const maxval = toTensor(opts.maxval ?? 1, dtype, 'max');
    const seeds = getSeed(opts.seed);
    if (dtype === 'int32') {
      return RandomUniformInt.apply({ shape: s, minval, maxval }, seeds, { name });
    }
    const rnd = RandomUniform.apply({ shape: s }, { ...seeds, dtype }, { name: 'RandomUniform' });
    return add(mul(rnd, sub(maxval, minval, { name: 'sub' }), { name: 'mul' }), minval, { name });
  });
}

export interface DropoutOptions extends NameOpt {
  /** Probability that an element is dropped (TF 1.15's `rate`). */
  rate?: TensorInput;
  /** Probability that an element is kept (TF 1.x's deprecated `keep_prob`); give rate or keepProb. */
  keepProb?: TensorInput;
  /** Shape of the keep/drop mask, broadcast against `x` (TF's `noise_shape`). */
  noiseShape?: ShapeInput;
  seed?: number | null;
}

/**
 * Zeroes each element of `x` with probability `rate` and scales the rest by 1 / (1 - rate), so the
 * expected value is unchanged (TF 1.15's `nn.dropout` with `rate`). A fresh mask each run.
 * @example const h = dropout(dense, { rate: 0.5, seed: 1 });
 */
export function dropout(x: TensorInput, opts: DropoutOptions = {}): Tensor {
  if ((opts.rate === undefined) === (opts.keepProb === undefined)) {
    throw new ValueError('dropout: give exactly one of rate and keepProb');
  }
  const t = toTensor(x);
  if (t.dtype !== 'float32') {
    throw new ValueError(
      `dropout: x has to be a floating point tensor since it's going to be scaled, got ${t.dtype} tensor '${t.name}'`,
    );
  }
  const rateArg = opts.rate ?? (typeof opts.keepProb === 'number' ? 1 - opts.keepProb : undefined);
  if (typeof rateArg === 'number') {
    if (!(rateArg >= 0 && rateArg < 1)) {
      throw new ValueError(
        `dropout: rate must be a scalar tensor or a float in the range [0, 1), got ${rateArg}`,
      );
    }
    if (rateArg === 0) return t;
  }
  checkOptions('dropout', opts, {
    name: 'string',
    rate: 'any',
    keepProb: 'any',
    noiseShape: 'any',
    seed: 'any',
  });
  return opScope(opts.name, 'dropout', [t, opts.rate, opts.keepProb, opts.noiseShape], () => {
    const rate =
      rateArg !== undefined
        ? toTensor(rateArg, 'float32', 'rate')
        : sub(1, toTensor(opts.keepProb!, 'float32', 'keep_prob'), { name: 'rate' });
    requireRank(rate, 0, 'rate');
    const noise = opts.noiseShape ?? shapeOf(t);
    const random = randomUniform(noise, { seed: opts.seed ?? null });
    const scale = realDiv(1, sub(1, rate, { name: 'sub' }), { name: 'truediv' });
    const keep = cast(greaterEqual(random, rate, { name: 'GreaterEqual' }), 'float32', { name: 'Cast' });
    const ret = mul(mul(t, scale, { name: 'mul' }), keep, { name: 'mul_1' });
    ret.setShape(t.shape);
    return ret;
  });
}
