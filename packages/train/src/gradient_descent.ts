// Plain gradient descent: var -= lr * grad (ApplyGradientDescent; ScatterSub for sparse grads).
import type { IndexedSlices } from '@graphmode/autodiff';
import { mul, type Operation, type Tensor, type Variable } from '@graphmode/graph';
import { type Hyperparameter, Optimizer } from './optimizer.js';
import { ApplyGradientDescent, ScatterSub } from './training_ops.js';

export interface OptimizerOptions {
  useLocking?: boolean;
  name?: string;
}

/**
 * TF's GradientDescentOptimizer.
 * @example const step = new GradientDescentOptimizer(0.1).minimize(loss);
 */
export class GradientDescentOptimizer extends Optimizer {
  private lr: Tensor | null = null;
  constructor(
    readonly learningRate: Hyperparameter,
    opts: OptimizerOptions = {},
  ) {
    super(opts.useLocking ?? false, opts.name ?? 'GradientDescent');
  }
  protected override prepare(): void {
    this.lr = this.hyper(this.learningRate, 'learning_rate');
  }
  protected applyDense(grad: Tensor, v: Variable): Operation {
    return ApplyGradientDescent.applyOp(
      { var: v.ref(), alpha: this.lr!, delta: grad },
      { useLocking: this.useLocking },
    );
  }
  // The kernel sums duplicate indices, so no deduplication is needed first.
  protected applySparse(grad: IndexedSlices, v: Variable): Operation {
    return ScatterSub.applyOp(
      { ref: v.ref(), indices: grad.indices, updates: mul(grad.values, this.lr!) },
      { useLocking: this.useLocking },
    );
  }
}
