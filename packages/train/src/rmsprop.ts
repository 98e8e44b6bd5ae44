// RMSProp: ms += (grad^2 - ms)(1 - decay); mom = momentum * mom + lr * grad / sqrt(ms + eps);
// var -= mom. The mean square starts at 1.0 (TF's ones initializer); `centered` also tracks the
// mean gradient and divides by sqrt(ms - mg^2 + eps).
import type { IndexedSlices } from '@graphmode/autodiff';
import type { Operation, Tensor, Variable } from '@graphmode/graph';
import type { OptimizerOptions } from './gradient_descent.js';
import { type Hyperparameter, Optimizer } from './optimizer.js';
import {
  ApplyCenteredRMSProp,
  ApplyRMSProp,
  SparseApplyCenteredRMSProp,
  SparseApplyRMSProp,
} from './training_ops.js';

export interface RMSPropOptions extends OptimizerOptions {
  decay?: Hyperparameter;
  momentum?: Hyperparameter;
  epsilon?: Hyperparameter;
  centered?: boolean;
}

/**
 * TF's RMSPropOptimizer; slots 'rms' ('w/RMSProp'), 'mg' when centered, and 'momentum'.
 * @example const step = new RMSPropOptimizer(0.01, { momentum: 0.9, centered: true }).minimize(loss);
 */
export class RMSPropOptimizer extends Optimizer {
  readonly decay: Hyperparameter;
  readonly momentum: Hyperparameter;
  readonly epsilon: Hyperparameter;
  readonly centered: boolean;
  private t: { lr: Tensor; rho: Tensor; momentum: Tensor; epsilon: Tensor } | null = null;
  constructor(
    readonly learningRate: Hyperparameter,
    opts: RMSPropOptions = {},
  ) {
    super(opts.useLocking ?? false, opts.name ?? 'RMSProp');
    this.decay = opts.decay ?? 0.9;
    this.momentum = opts.momentum ?? 0;
    this.epsilon = opts.epsilon ?? 1e-10;
    this.centered = opts.centered ?? false;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) {
      this.makeSlot(v, 'rms', 1);
      if (this.centered) this.makeSlot(v, 'mg', 0);
      this.makeSlot(v, 'momentum', 0);
    }
  }
  protected override prepare(): void {
    this.t = {
      lr: this.hyper(this.learningRate, 'learning_rate'),
      rho: this.hyper(this.decay, 'decay'),
      momentum: this.hyper(this.momentum, 'momentum'),
      epsilon: this.hyper(this.epsilon, 'epsilon'),
    };
  }
  private refs(v: Variable) {
    return { var: v.ref(), ms: this.slot(v, 'rms').ref(), mom: this.slot(v, 'momentum').ref(), ...this.t! };
  }
  protected applyDense(grad: Tensor, v: Variable): Operation {
    const attrs = { useLocking: this.useLocking };
    return this.centered
      ? ApplyCenteredRMSProp.applyOp({ ...this.refs(v), mg: this.slot(v, 'mg').ref(), grad }, attrs)
      : ApplyRMSProp.applyOp({ ...this.refs(v), grad }, attrs);
  }
  protected applySparse(grad: IndexedSlices, v: Variable): Operation {
    const attrs = { useLocking: this.useLocking };
    const ins = { ...this.refs(v), grad: grad.values, indices: grad.indices };
    return this.centered
      ? SparseApplyCenteredRMSProp.applyOp({ ...ins, mg: this.slot(v, 'mg').ref() }, attrs)
      : SparseApplyRMSProp.applyOp(ins, attrs);
  }
}
