// Momentum (optionally Nesterov): accum = accum * momentum + grad; var -= lr * accum.
import type { IndexedSlices } from '@graphmode/autodiff';
import type { Operation, Tensor, Variable } from '@graphmode/graph';
import type { OptimizerOptions } from './gradient_descent.js';
import { type Hyperparameter, Optimizer } from './optimizer.js';
import { ApplyMomentum, SparseApplyMomentum } from './training_ops.js';

export interface MomentumOptions extends OptimizerOptions {
  /** Nesterov: var -= lr * (grad + momentum * accum), using the new accumulator. */
  useNesterov?: boolean;
}

/**
 * TF's MomentumOptimizer; one slot 'momentum' per variable ('w/Momentum').
 * @example const step = new MomentumOptimizer(0.1, 0.9, { useNesterov: true }).minimize(loss);
 */
export class MomentumOptimizer extends Optimizer {
  readonly useNesterov: boolean;
  private t: { lr: Tensor; momentum: Tensor } | null = null;
  constructor(
    readonly learningRate: Hyperparameter,
    readonly momentum: Hyperparameter,
    opts: MomentumOptions = {},
  ) {
    super(opts.useLocking ?? false, opts.name ?? 'Momentum');
    this.useNesterov = opts.useNesterov ?? false;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.makeSlot(v, 'momentum', 0);
  }
  protected override prepare(): void {
    this.t = {
      lr: this.hyper(this.learningRate, 'learning_rate'),
      momentum: this.hyper(this.momentum, 'momentum'),
    };
  }
  protected applyDense(grad: Tensor, v: Variable): Operation {
    const { lr, momentum } = this.t!;
    return ApplyMomentum.applyOp(
      { var: v.ref(), accum: this.slot(v, 'momentum').ref(), lr, grad, momentum },
      { useLocking: this.useLocking, useNesterov: this.useNesterov },
    );
  }
  protected applySparse(grad: IndexedSlices, v: Variable): Operation {
    const { lr, momentum } = this.t!;
    return SparseApplyMomentum.applyOp(
      {
        var: v.ref(),
        accum: this.slot(v, 'momentum').ref(),
        lr,
        grad: grad.values,
        indices: grad.indices,
        momentum,
      },
      { useLocking: this.useLocking, useNesterov: this.useNesterov },
    );
  }
}
