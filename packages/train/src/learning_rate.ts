// Learning-rate schedules as graph ops driven by the global step (TF's learning_rate_decay).
// Each returns a float32 scalar Tensor, accepted wherever an optimizer takes a learning rate.
import {
  add,
  addN,
  cast,
  constant,
  cos,
  div,
  floor,
  greater,
  lessEqual,
  logicalAnd,
  minimum,
  mul,
  named,
  nameScope,
  pow,
  type Tensor,
  type TensorInput,
  ValueError,
} from '@graphmode/graph';

export interface DecayOptions {
  name?: string;
}
const f32 = (x: TensorInput): Tensor =>
  typeof x === 'number' ? constant(x, { dtype: 'float32' }) : cast(x as Tensor, 'float32');

/**
 * learningRate * decayRate ^ (globalStep / decaySteps), the exponent floored with `staircase`.
 * @example const lr = exponentialDecay(0.1, getOrCreateGlobalStep(), 1000, 0.96, { staircase: true });
 */
export function exponentialDecay(
  learningRate: number | Tensor,
  globalStep: TensorInput,
  decaySteps: number,
  decayRate: number,
  opts: DecayOptions & { staircase?: boolean } = {},
): Tensor {
  if (!(decaySteps > 0))
    throw new ValueError(`exponentialDecay: decaySteps must be positive, got ${decaySteps}`);
  return nameScope(
    named('exponentialDecay', opts, { name: 'string', staircase: 'boolean' }) ?? 'ExponentialDecay',
    () => {
      const p = div(f32(globalStep), f32(decaySteps));
      const exponent = opts.staircase ? floor(p) : p;
      return mul(f32(learningRate), pow(f32(decayRate), exponent));
    },
  );
}

/**
 * values[0] while x <= boundaries[0], values[i] while boundaries[i-1] < x <= boundaries[i], and
 * the last value beyond the last boundary.
 * @example const lr = piecewiseConstant(step, [1000, 2000], [0.1, 0.01, 0.001]);
 */
export function piecewiseConstant(
  x: TensorInput,
  boundaries: readonly number[],
  values: readonly number[],
  opts: DecayOptions = {},
): Tensor {
  if (values.length !== boundaries.length + 1)
    throw new ValueError(
      `piecewiseConstant: the length of values (${values.length}) must be one more than the length of boundaries (${boundaries.length})`,
    );
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i]! > boundaries[i - 1]!))
      throw new ValueError('piecewiseConstant: boundaries must be increasing');
  }
  return nameScope(named('piecewiseConstant', opts) ?? 'PiecewiseConstant', () => {
    const xf = f32(x);
    // Exactly one interval indicator is 1, so the sum is that interval's value with no rounding.
    const terms = values.map((v, i) => {
      const lo = i === 0 ? null : greater(xf, boundaries[i - 1]!);
      const hi = i === boundaries.length ? null : lessEqual(xf, boundaries[i]!);
      const inside = lo && hi ? logicalAnd(lo, hi) : (lo ?? hi!);
      return mul(cast(inside, 'float32'), v);
    });
    return addN(terms);
  });
}

/**
 * learningRate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) + alpha).
 * @example const lr = cosineDecay(0.1, getOrCreateGlobalStep(), 10000);
 */
export function cosineDecay(
  learningRate: number | Tensor,
  globalStep: TensorInput,
  decaySteps: number,
  opts: DecayOptions & { alpha?: number } = {},
): Tensor {
  if (!(decaySteps > 0)) throw new ValueError(`cosineDecay: decaySteps must be positive, got ${decaySteps}`);
  const alpha = opts.alpha ?? 0;
  return nameScope(named('cosineDecay', opts, { name: 'string', alpha: 'number' }) ?? 'CosineDecay', () => {
    const step = minimum(f32(globalStep), decaySteps);
    const cosine = mul(0.5, add(1, cos(mul(Math.PI, div(step, decaySteps)))));
    const decayed = add(mul(1 - alpha, cosine), alpha);
    return mul(f32(learningRate), decayed);
  });
}
