// The main job's learning-rate schedule: a linear warmup from 0, then a cosine decay to
// `alpha × learningRate` at `totalSteps` (the "warmup + cosine" schedule of Goyal et al. 2017 and
// Loshchilov & Hutter 2017, built from TF's `cosine_decay`). Ending near 0 lets the last steps
// settle into a minimum instead of bouncing at a finite rate, which is what makes the held-out
// accuracy steady across seeds.
import { cast, div, less, mul, nameScope, sub, type Tensor, ValueError, where } from '@graphmode/graph';
import { cosineDecay } from '@graphmode/train';

/** The closed form: lr × s/w while s < w, then lr × ((1 − α)·½(1 + cos(π·(s − w)/(T − w))) + α). */
export function warmupCosineValue(
  learningRate: number,
  step: number,
  warmupSteps: number,
  totalSteps: number,
  alpha = 0,
): number {
  if (step < warmupSteps) return (learningRate * step) / warmupSteps;
  const t = Math.min(step - warmupSteps, totalSteps - warmupSteps) / (totalSteps - warmupSteps);
  return learningRate * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
}

/** The schedule as a float32 scalar of `globalStep` (see warmupCosineValue). */
export function warmupCosineDecay(
  learningRate: number,
  globalStep: Tensor,
  warmupSteps: number,
  totalSteps: number,
  alpha = 0,
): Tensor {
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps))
    throw new ValueError(
      `warmupCosineDecay: warmupSteps must be an integer in [0, totalSteps = ${totalSteps}), got ${warmupSteps}`,
    );
  return nameScope('WarmupCosineDecay', () => {
    const step = cast(globalStep, 'float32');
    const decayed = cosineDecay(learningRate, sub(step, warmupSteps), totalSteps - warmupSteps, { alpha });
    if (warmupSteps === 0) return decayed;
    const ramp = mul(learningRate, div(step, warmupSteps));
    return where(less(step, warmupSteps), ramp, decayed);
  });
}
