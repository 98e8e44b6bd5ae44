// RMSProp: ms += (grad^2 - ms)(1 - decay); mom = momentum * mom + lr * grad / sqrt(ms + eps);
// var -= mom. The mean square starts at 1.0 (TF's ones initializer); `centered` also tracks the
// mean gradient and divides by sqrt(ms - mg^2 + eps).
import { type IndexedSlices, notDifferentiable } from '@graphmode/autodiff';
import type { Operation, Tensor, Variable } from '@graphmode/graph';
import { checked, type OptionSpec } from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { type ApplyAttrs, applyOp, oneMinus, sparseApplyOp } from './apply_op_def.js';
import { type Hyperparameter, OPTIMIZER_SPEC, Optimizer, type OptimizerOptions } from './optimizer.js';

// ms += (grad^2 - ms) * (1 - rho);  mom = mom * momentum + grad * lr / sqrt(ms + epsilon);  var -= mom
type RmsIn = 'var' | 'ms' | 'mom' | 'lr' | 'rho' | 'momentum' | 'epsilon' | 'grad';
const rmsUpdate = (v: Record<RmsIn, tfc.Tensor>) => {
  const ms = tfc.add(v.ms, tfc.mul(tfc.sub(tfc.square(v.grad), v.ms), oneMinus(v.rho)));
  const mom = tfc.add(
    tfc.mul(v.mom, v.momentum),
    tfc.div(tfc.mul(v.grad, v.lr), tfc.sqrt(tfc.add(ms, v.epsilon))),
  );
  return { var: tfc.sub(v.var, mom), ms, mom };
};
const RMS_INPUTS = ['var', 'ms', 'mom', 'lr', 'rho', 'momentum', 'epsilon', 'grad'] as const;
export const ApplyRMSProp = applyOp<RmsIn, ApplyAttrs>(
  'ApplyRMSProp',
  RMS_INPUTS,
  ['var', 'ms', 'mom'],
  rmsUpdate,
);
export const SparseApplyRMSProp = sparseApplyOp<RmsIn, ApplyAttrs>(
  'SparseApplyRMSProp',
  [...RMS_INPUTS, 'indices'],
  ['var', 'ms', 'mom'],
  rmsUpdate,
);

// Centered: mg += (grad - mg) * (1 - rho), and the denominator is sqrt(ms - mg^2 + epsilon).
type CrmsIn = RmsIn | 'mg';
const centeredUpdate = (v: Record<CrmsIn, tfc.Tensor>) => {
  const ms = tfc.add(v.ms, tfc.mul(tfc.sub(tfc.square(v.grad), v.ms), oneMinus(v.rho)));
  const mg = tfc.add(v.mg, tfc.mul(tfc.sub(v.grad, v.mg), oneMinus(v.rho)));
  const denom = tfc.add(tfc.sub(ms, tfc.square(mg)), v.epsilon);
  const mom = tfc.add(tfc.mul(v.mom, v.momentum), tfc.div(tfc.mul(v.grad, v.lr), tfc.sqrt(denom)));
  return { var: tfc.sub(v.var, mom), mg, ms, mom };
};
const CRMS_INPUTS = ['var', 'mg', 'ms', 'mom', 'lr', 'rho', 'momentum', 'epsilon', 'grad'] as const;
export const ApplyCenteredRMSProp = applyOp<CrmsIn, ApplyAttrs>(
  'ApplyCenteredRMSProp',
  CRMS_INPUTS,
  ['var', 'mg', 'ms', 'mom'],
  centeredUpdate,
);
export const SparseApplyCenteredRMSProp = sparseApplyOp<CrmsIn, ApplyAttrs>(
  'SparseApplyCenteredRMSProp',
  [...CRMS_INPUTS, 'indices'],
  ['var', 'mg', 'ms', 'mom'],
  centeredUpdate,
);

notDifferentiable(ApplyRMSProp, SparseApplyRMSProp, ApplyCenteredRMSProp, SparseApplyCenteredRMSProp);

export interface RMSPropOptions extends OptimizerOptions {
  decay?: Hyperparameter;
  momentum?: Hyperparameter;
  epsilon?: Hyperparameter;
  centered?: boolean;
}

const RMSPROP_SPEC: OptionSpec<RMSPropOptions> = {
  ...OPTIMIZER_SPEC,
  decay: 'any',
  momentum: 'any',
  epsilon: 'any',
  centered: 'boolean',
};
interface RMSPropHyper {
  lr: Tensor;
  rho: Tensor;
  momentum: Tensor;
  epsilon: Tensor;
}

/**
 * TF's RMSPropOptimizer; slots 'rms' ('w/RMSProp'), 'mg' when centered, and 'momentum'.
 * @example const step = new RMSPropOptimizer(0.01, { momentum: 0.9, centered: true }).minimize(loss);
 */
export class RMSPropOptimizer extends Optimizer<RMSPropHyper> {
  readonly decay: Hyperparameter;
  readonly momentum: Hyperparameter;
  readonly epsilon: Hyperparameter;
  readonly centered: boolean;
  constructor(
    readonly learningRate: Hyperparameter,
    opts: RMSPropOptions = {},
  ) {
    super(checked('RMSPropOptimizer', opts, RMSPROP_SPEC).useLocking ?? false, opts.name ?? 'RMSProp');
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
  protected prepare(): RMSPropHyper {
    return {
      lr: this.hyper(this.learningRate, 'learning_rate'),
      rho: this.hyper(this.decay, 'decay'),
      momentum: this.hyper(this.momentum, 'momentum'),
      epsilon: this.hyper(this.epsilon, 'epsilon'),
    };
  }
  protected applyDense(grad: Tensor, v: Variable, hyper: RMSPropHyper): Operation {
    const ins = { ...this.state(v), ...hyper, grad };
    const attrs = { useLocking: this.useLocking };
    return this.centered
      ? ApplyCenteredRMSProp.applyOp({ ...ins, mg: this.slot(v, 'mg').ref() }, attrs)
      : ApplyRMSProp.applyOp(ins, attrs);
  }
  protected applySparse(grad: IndexedSlices, v: Variable, hyper: RMSPropHyper): Operation {
    const ins = { ...this.state(v), ...hyper, grad: grad.values, indices: grad.indices };
    const attrs = { useLocking: this.useLocking };
    return this.centered
      ? SparseApplyCenteredRMSProp.applyOp({ ...ins, mg: this.slot(v, 'mg').ref() }, attrs)
      : SparseApplyRMSProp.applyOp(ins, attrs);
  }
  private state(v: Variable) {
    return { var: v.ref(), ms: this.slot(v, 'rms').ref(), mom: this.slot(v, 'momentum').ref() };
  }
}
