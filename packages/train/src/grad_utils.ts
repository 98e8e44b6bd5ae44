// Gradient transforms for createTrainOp's transformGradsFn (TF contrib training's
// clip_gradient_norms, multiply_gradients, add_gradients_summaries).
import { type Gradient, IndexedSlices } from '@graphmode/autodiff';
import {
  clipByNorm,
  globalNorm,
  mul,
  type Operation,
  type Tensor,
  toTensor,
  ValueError,
  Variable,
} from '@graphmode/graph';
import { logger } from './logging.js';
import type { GradAndVar } from './optimizer.js';
import { histogram, scalar } from './summary.js';

const mapValues = (g: Gradient, fn: (t: Tensor) => Tensor): Gradient =>
  g instanceof IndexedSlices ? new IndexedSlices(fn(g.values), g.indices, g.denseShape) : fn(g);

/**
 * Clips each gradient to L2 norm `maxNorm`: t * maxNorm / max(‖t‖, maxNorm). IndexedSlices keep
 * their indices; null gradients stay null.
 * @example const clipped = clipGradientNorms(opt.computeGradients(loss), 5);
 */
export function clipGradientNorms(gradsAndVars: readonly GradAndVar[], maxNorm: number): GradAndVar[] {
  return gradsAndVars.map(
    ([g, v]): GradAndVar => [g === null ? null : mapValues(g, (t) => clipByNorm(t, maxNorm)), v],
  );
}

/** A transformGradsFn clipping every gradient to `maxNorm`. @example createTrainOp(loss, opt, { transformGradsFn: clipGradientNormsFn(5) }) */
export const clipGradientNormsFn =
  (maxNorm: number) =>
  (gradsAndVars: readonly GradAndVar[]): GradAndVar[] =>
    clipGradientNorms(gradsAndVars, maxNorm);

const isEmpty = (x: unknown): boolean =>
  x === null ||
  x === undefined ||
  (x instanceof Map && x.size === 0) ||
  (typeof x === 'object' && !(x instanceof Map) && Object.keys(x).length === 0);

/**
 * Scales the gradients of the variables (or variable op names) in `multipliers`.
 * @example multiplyGradients(gv, new Map([[w, 10], ['bias', 0.5]]))
 */
export function multiplyGradients(
  gradsAndVars: readonly GradAndVar[],
  multipliers: ReadonlyMap<Variable | string, number | Tensor>,
): GradAndVar[] {
  // A lone [grad, var] pair is an array too: require a list of pairs.
  if (!Array.isArray(gradsAndVars) || !gradsAndVars.every((p) => Array.isArray(p)))
    throw new ValueError('`grads_and_vars` must be a list.');
  // TF tests emptiness (Python falsiness: None or {}) before the type.
  if (isEmpty(multipliers)) throw new ValueError('`gradient_multipliers` is empty.');
  if (!(multipliers instanceof Map)) throw new ValueError('`gradient_multipliers` must be a dict.');
  return gradsAndVars.map(([g, v]): GradAndVar => {
    // TF keys by the variable or its op name ('w'); the tensor name ('w:0', our Variable.name) also works.
    const key = [v, v.op.name, v.name].find((k) => multipliers.has(k)) ?? null;
    if (key === null) return [g, v];
    if (g === null) throw new ValueError('Requested multiple of `None` gradient.');
    const m = multipliers.get(key)!;
    return [mapValues(g, (t) => mul(t, toTensor(m, t.dtype))), v];
  });
}

/**
 * A histogram ('<var>_gradient') and a norm scalar ('<var>_gradient_norm') per gradient.
 * @example nameScope('summarize_grads', () => addGradientsSummaries(gv));
 */
export function addGradientsSummaries(gradsAndVars: readonly GradAndVar[]): Operation[] {
  const out: Operation[] = [];
  for (const [g, v] of gradsAndVars) {
    if (!(v instanceof Variable))
      throw new ValueError(`addGradientsSummaries: ${String(v)} is not a Variable`);
    if (g === null) {
      logger().info(`Var ${v.op.name} has no gradient`);
      continue;
    }
    const values = g instanceof IndexedSlices ? g.values : g;
    out.push(histogram(`${v.op.name}_gradient`, values).op);
    out.push(scalar(`${v.op.name}_gradient_norm`, globalNorm([values])).op);
  }
  return out;
}
