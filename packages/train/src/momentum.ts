// Momentum (optionally Nesterov): accum = accum * momentum + grad; var -= lr * accum, or with
// Nesterov var -= lr * (grad + momentum * accum) using the new accumulator. One slot, 'momentum'.
import { type IndexedSlices, notDifferentiable } from '@graphmode/autodiff';
import type { Operation, Tensor, Variable } from '@graphmode/graph';
import { checked } from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { applyOp, NESTEROV_ATTRS, type NesterovAttrs, sparseApplyOp } from './apply_op_def.js';
import { type Hyperparameter, OPTIMIZER_SPEC, Optimizer, type OptimizerOptions } from './optimizer.js';

// accum = accum * momentum + grad
// var -= nesterov ? grad * lr + accum * momentum * lr : accum * lr
type MomentumIn = 'var' | 'accum' | 'lr' | 'grad' | 'momentum';
const momentumUpdate = (v: Record<MomentumIn, tfc.Tensor>, a: NesterovAttrs) => {
  const accum = tfc.add(tfc.mul(v.accum, v.momentum), v.grad);
  const step = a.useNesterov
    ? tfc.add(tfc.mul(v.grad, v.lr), tfc.mul(tfc.mul(accum, v.momentum), v.lr))
    : tfc.mul(accum, v.lr);
  return { var: tfc.sub(v.var, step), accum };
};
export const ApplyMomentum = applyOp<MomentumIn, NesterovAttrs>(
  'ApplyMomentum',
  ['var', 'accum', 'lr', 'grad', 'momentum'],
  ['var', 'accum'],
  momentumUpdate,
  'grad',
  NESTEROV_ATTRS,
);
export const SparseApplyMomentum = sparseApplyOp<MomentumIn, NesterovAttrs>(
  'SparseApplyMomentum',
  ['var', 'accum', 'lr', 'grad', 'indices', 'momentum'],
  ['var', 'accum'],
  momentumUpdate,
  NESTEROV_ATTRS,
);

notDifferentiable(ApplyMomentum, SparseApplyMomentum);

export interface MomentumOptions extends OptimizerOptions {
  /** Nesterov: var -= lr * (grad + momentum * accum), using the new accumulator. */
  useNesterov?: boolean;
}

interface MomentumHyper {
  lr: Tensor;
  momentum: Tensor;
}

/**
 * TF's MomentumOptimizer; one slot 'momentum' per variable ('w/Momentum').
 * @example const step = new MomentumOptimizer(0.1, 0.9, { useNesterov: true }).minimize(loss);
 */
export class MomentumOptimizer extends Optimizer<MomentumHyper> {
  readonly useNesterov: boolean;
  constructor(
    readonly learningRate: Hyperparameter,
    readonly momentum: Hyperparameter,
    opts: MomentumOptions = {},
  ) {
    super(
      checked('MomentumOptimizer', opts, { ...OPTIMIZER_SPEC, useNesterov: 'boolean' }).useLocking ?? false,
      opts.name ?? 'Momentum',
    );
    this.useNesterov = opts.useNesterov ?? false;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.makeSlot(v, 'momentum', 0);
  }
  protected prepare(): MomentumHyper {
    return {
      lr: this.hyper(this.learningRate, 'learning_rate'),
      momentum: this.hyper(this.momentum, 'momentum'),
    };
  }
  protected applyDense(grad: Tensor, v: Variable, hyper: MomentumHyper): Operation {
    return ApplyMomentum.applyOp({ ...this.state(v), ...hyper, grad }, this.attrs());
  }
  protected applySparse(grad: IndexedSlices, v: Variable, hyper: MomentumHyper): Operation {
    return SparseApplyMomentum.applyOp(
      { ...this.state(v), ...hyper, grad: grad.values, indices: grad.indices },
      this.attrs(),
    );
  }
  private state(v: Variable) {
    return { var: v.ref(), accum: this.slot(v, 'momentum').ref() };
  }
  private attrs(): NesterovAttrs {
    return { useLocking: this.useLocking, useNesterov: this.useNesterov };
  }
}
