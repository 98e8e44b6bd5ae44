// Adagrad: accum += grad^2; var -= lr * grad / sqrt(accum). The accumulator starts at
// initialAccumulatorValue (0.1), which is why TF's kernel needs no epsilon.
import type { IndexedSlices } from '@graphmode/autodiff';
import { type Operation, type Tensor, ValueError, type Variable } from '@graphmode/graph';
import type { OptimizerOptions } from './gradient_descent.js';
import { type Hyperparameter, Optimizer } from './optimizer.js';
import { ApplyAdagrad, SparseApplyAdagrad } from './training_ops.js';

export interface AdagradOptions extends OptimizerOptions {
  initialAccumulatorValue?: number;
}

/**
 * TF's AdagradOptimizer; one slot 'accumulator' per variable ('w/Adagrad').
 * @example const step = new AdagradOptimizer(0.1).minimize(loss);
 */
export class AdagradOptimizer extends Optimizer {
  readonly initialAccumulatorValue: number;
  private lr: Tensor | null = null;
  constructor(
    readonly learningRate: Hyperparameter,
    opts: AdagradOptions = {},
  ) {
    super(opts.useLocking ?? false, opts.name ?? 'Adagrad');
    this.initialAccumulatorValue = opts.initialAccumulatorValue ?? 0.1;
    if (!(this.initialAccumulatorValue > 0))
      throw new ValueError(`initial_accumulator_value must be positive: ${this.initialAccumulatorValue}`);
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.makeSlot(v, 'accumulator', this.initialAccumulatorValue);
  }
  protected override prepare(): void {
    this.lr = this.hyper(this.learningRate, 'learning_rate');
  }
  protected applyDense(grad: Tensor, v: Variable): Operation {
    return ApplyAdagrad.applyOp(
      { var: v.ref(), accum: this.slot(v, 'accumulator').ref(), lr: this.lr!, grad },
      { useLocking: this.useLocking },
    );
  }
  protected applySparse(grad: IndexedSlices, v: Variable): Operation {
    return SparseApplyAdagrad.applyOp(
      {
        var: v.ref(),
        accum: this.slot(v, 'accumulator').ref(),
        lr: this.lr!,
        grad: grad.values,
        indices: grad.indices,
      },
      { useLocking: this.useLocking },
    );
  }
}
