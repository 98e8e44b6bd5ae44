// Adagrad: accum += grad^2; var -= lr * grad / sqrt(accum). The accumulator starts at
// initialAccumulatorValue (0.1), which is why TF's kernel needs no epsilon.
import { type IndexedSlices, notDifferentiable } from '@graphmode/autodiff';
import { checked, fixedAttr, type Operation, type Tensor, ValueError, type Variable } from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { type ApplyAttrs, applyOp, sparseApplyOp } from './apply_op_def.js';
import { type Hyperparameter, OPTIMIZER_SPEC, Optimizer, type OptimizerOptions } from './optimizer.js';

// accum += grad^2;  var -= grad * lr * rsqrt(accum)
type AdagradIn = 'var' | 'accum' | 'lr' | 'grad';
const adagradUpdate = (v: Record<AdagradIn, tfc.Tensor>) => {
  const accum = tfc.add(v.accum, tfc.square(v.grad));
  return { var: tfc.sub(v.var, tfc.mul(tfc.mul(v.grad, v.lr), tfc.rsqrt(accum))), accum };
};
// TF's Adagrad may skip the accumulator update (update_slots=false); graphmode always updates it.
const UPDATE_SLOTS = { update_slots: fixedAttr('bool', true) };
export const ApplyAdagrad = applyOp<AdagradIn, ApplyAttrs>(
  'ApplyAdagrad',
  ['var', 'accum', 'lr', 'grad'],
  ['var', 'accum'],
  adagradUpdate,
  'grad',
  UPDATE_SLOTS,
);
export const SparseApplyAdagrad = sparseApplyOp<AdagradIn, ApplyAttrs>(
  'SparseApplyAdagrad',
  ['var', 'accum', 'lr', 'grad', 'indices'],
  ['var', 'accum'],
  adagradUpdate,
  UPDATE_SLOTS,
);

notDifferentiable(ApplyAdagrad, SparseApplyAdagrad);

export interface AdagradOptions extends OptimizerOptions {
  initialAccumulatorValue?: number;
}

interface AdagradHyper {
  lr: Tensor;
}

/**
 * TF's AdagradOptimizer; one slot 'accumulator' per variable ('w/Adagrad').
 * @example const step = new AdagradOptimizer(0.1).minimize(loss);
 */
export class AdagradOptimizer extends Optimizer<AdagradHyper> {
  readonly initialAccumulatorValue: number;
  constructor(
    readonly learningRate: Hyperparameter,
    opts: AdagradOptions = {},
  ) {
    super(
      checked('AdagradOptimizer', opts, { ...OPTIMIZER_SPEC, initialAccumulatorValue: 'number' })
        .useLocking ?? false,
      opts.name ?? 'Adagrad',
    );
    this.initialAccumulatorValue = opts.initialAccumulatorValue ?? 0.1;
    if (!(this.initialAccumulatorValue > 0))
      throw new ValueError(`initial_accumulator_value must be positive: ${this.initialAccumulatorValue}`);
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.makeSlot(v, 'accumulator', this.initialAccumulatorValue);
  }
  protected prepare(): AdagradHyper {
    return { lr: this.hyper(this.learningRate, 'learning_rate') };
  }
  protected applyDense(grad: Tensor, v: Variable, { lr }: AdagradHyper): Operation {
    return ApplyAdagrad.applyOp({ ...this.state(v), lr, grad }, { useLocking: this.useLocking });
  }
  protected applySparse(grad: IndexedSlices, v: Variable, { lr }: AdagradHyper): Operation {
    return SparseApplyAdagrad.applyOp(
      { ...this.state(v), lr, grad: grad.values, indices: grad.indices },
      { useLocking: this.useLocking },
    );
  }
  private state(v: Variable) {
    return { var: v.ref(), accum: this.slot(v, 'accumulator').ref() };
  }
}
