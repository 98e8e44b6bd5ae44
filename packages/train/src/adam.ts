// Adam with TF's exact update (ApplyAdam): the bias correction is folded into the step size,
// lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), and epsilon sits outside the square root.
// beta1^t and beta2^t live in two non-slot variables advanced after all updates of a step.
// AdamW adds decoupled weight decay (var -= weightDecay * var) before each Adam update.
import { type IndexedSlices, notDifferentiable } from '@graphmode/autodiff';
import {
  attrOf,
  checked,
  defineOp,
  FLOAT,
  type Graph,
  mul,
  type Operation,
  type OptionSpec,
  requireDtype,
  requireRef,
  type Tensor,
  typeOf,
  type Variable,
} from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import {
  type ApplyAttrs,
  applyOp,
  checkApplyInputs,
  NESTEROV_ATTRS,
  type NesterovAttrs,
  oneMinus,
  rewriteRows,
  SCATTER_ATTRS,
  summedRows,
  uniqueRows,
  updateRefs,
  type Values,
} from './apply_op_def.js';
import { fusedAdam } from './fused_adam.js';
import { type Hyperparameter, OPTIMIZER_SPEC, Optimizer, type OptimizerOptions } from './optimizer.js';

const ADAM_INPUTS = [
  'var',
  'm',
  'v',
  'beta1Power',
  'beta2Power',
  'lr',
  'beta1',
  'beta2',
  'epsilon',
  'grad',
] as const;
type AdamIn = (typeof ADAM_INPUTS)[number];
const ADAM_REFS = ['var', 'm', 'v'] as const;
// alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
const adamAlpha = (v: Values<AdamIn>) =>
  tfc.div(tfc.mul(v.lr, tfc.sqrt(oneMinus(v.beta2Power))), oneMinus(v.beta1Power));

// m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2)
// var -= alpha * (nesterov ? grad * (1 - beta1) + m * beta1 : m) / (sqrt(v) + epsilon)
export const ApplyAdam = applyOp<AdamIn, NesterovAttrs>(
  'ApplyAdam',
  ADAM_INPUTS,
  ADAM_REFS,
  (v, a) => fusedAdam(v, a.useNesterov),
  'grad',
  NESTEROV_ATTRS,
);

// TF has no sparse Adam kernel; its optimizer decays every row of m and v, adds the scaled
// gradient rows, then updates the whole variable. This op does the same in one kernel:
// m = m * beta1 + scatter(grad * (1 - beta1));  v = v * beta2 + scatter(grad^2 * (1 - beta2)).
const SPARSE_ADAM_INPUTS = [...ADAM_INPUTS, 'indices'] as const;
export const SparseApplyAdam = defineOp<AdamIn | 'indices', ApplyAttrs>({
  type: 'SparseApplyAdam',
  outputArgs: ['out'],
  inputs: SPARSE_ADAM_INPUTS,
  // graphmode's own op, with the attrs TF's SparseApply ops have.
  attrs: { T: typeOf('var'), Tindices: typeOf('indices'), use_locking: attrOf('bool', 'useLocking', false) },
  refInputs: ADAM_REFS,
  stateful: true,
  shape: (ins) => checkApplyInputs(ins, ADAM_REFS, 'grad', true),
  dtype: () => 'float32',
  kernel: (ins, _, ctx) => {
    const [where, grad] = summedRows(ins.grad, ins.indices, ctx.op.inputs[0]!.shape![0]!, 'SparseApplyAdam');
    try {
      return updateRefs(ins, SPARSE_ADAM_INPUTS, ADAM_REFS, ctx, (old) => {
        const shape = old.var.shape;
        const scattered = (rows: tfc.Tensor) => tfc.scatterND(where, rows, shape);
        const m = tfc.add(tfc.mul(old.m, old.beta1), scattered(tfc.mul(grad, oneMinus(old.beta1))));
        const g2 = tfc.mul(tfc.mul(grad, grad), oneMinus(old.beta2));
        const v = tfc.add(tfc.mul(old.v, old.beta2), scattered(g2));
        const step = tfc.div(tfc.mul(adamAlpha(old), m), tfc.add(tfc.sqrt(v), old.epsilon));
        return { var: tfc.sub(old.var, step), m, v };
      });
    } finally {
      where.dispose();
      grad.dispose();
    }
  },
});

/** ref[i] -= decay * ref[i] for each distinct i in `indices`: AdamW's decay for sparse gradients. */
export const ScatterDecay = defineOp<'ref' | 'decay' | 'indices', ApplyAttrs>({
  type: 'ScatterDecay',
  outputArgs: ['output_ref'],
  inputs: ['ref', 'decay', 'indices'],
  // graphmode's own op, with the attrs of TF's Scatter ops.
  attrs: SCATTER_ATTRS,
  refInputs: ['ref'],
  stateful: true,
  shape: ({ ref, decay, indices }) => {
    requireRef(ref);
    requireDtype(decay, FLOAT, 'decay');
    requireDtype(indices, ['int32'], 'indices');
    return ref.shape;
  },
  dtype: ({ ref }) => ref.dtype,
  kernel: ({ decay, indices }, _, ctx) =>
    rewriteRows(
      ctx,
      (rows) => [uniqueRows(indices, rows, 'ScatterDecay')],
      (old) => tfc.sub(old, tfc.mul(decay, old)),
    ),
});

notDifferentiable(ApplyAdam, SparseApplyAdam, ScatterDecay);

export interface AdamOptions extends OptimizerOptions {
  learningRate?: Hyperparameter;
  beta1?: number | Tensor;
  beta2?: number | Tensor;
  epsilon?: Hyperparameter;
}

const ADAM_SPEC: OptionSpec<AdamOptions> = {
  ...OPTIMIZER_SPEC,
  learningRate: 'any',
  beta1: 'any',
  beta2: 'any',
  epsilon: 'any',
};
interface AdamHyper {
  lr: Tensor;
  beta1: Tensor;
  beta2: Tensor;
  epsilon: Tensor;
  /** AdamW's decoupled decay; null for plain Adam. */
  weightDecay: Tensor | null;
}

/**
 * TF's AdamOptimizer; slots 'm' ('w/Adam') and 'v' ('w/Adam_1'), non-slots 'beta1_power' and
 * 'beta2_power'.
 * @example const step = new AdamOptimizer({ learningRate: 1e-3 }).minimize(loss);
 */
export class AdamOptimizer extends Optimizer<AdamHyper> {
  readonly learningRate: Hyperparameter;
  readonly beta1: number | Tensor;
  readonly beta2: number | Tensor;
  readonly epsilon: Hyperparameter;
  constructor(opts: AdamOptions = {}) {
    super(checked('AdamOptimizer', opts, ADAM_SPEC).useLocking ?? false, opts.name ?? 'Adam');
    this.learningRate = opts.learningRate ?? 0.001;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    // TF colocates the beta powers with the variable whose name sorts first.
    const first = vars.reduce((a, b) => (b.name < a.name ? b : a));
    this.makeNonSlot(this.beta1, 'beta1_power', first);
    this.makeNonSlot(this.beta2, 'beta2_power', first);
    for (const v of vars) {
      this.makeSlot(v, 'm', 0);
      this.makeSlot(v, 'v', 0);
    }
  }
  protected prepare(): AdamHyper {
    return {
      lr: this.hyper(this.learningRate, 'learning_rate'),
      beta1: this.hyper(this.beta1, 'beta1'),
      beta2: this.hyper(this.beta2, 'beta2'),
      epsilon: this.hyper(this.epsilon, 'epsilon'),
      weightDecay: null,
    };
  }
  protected applyDense(grad: Tensor, v: Variable, hyper: AdamHyper): Operation {
    const { weightDecay: wd, ...h } = hyper;
    const attrs = { useLocking: this.useLocking };
    const adam = () => ApplyAdam.applyOp({ ...this.state(v), ...h, grad }, { ...attrs, useNesterov: false });
    if (wd === null) return adam();
    // The decay reads var before Adam's update does (TF contrib's DecoupledWeightDecayExtension).
    const decay = v.assignSub(mul(wd, v), { name: 'AssignSub' });
    return v.graph.controlDependencies([decay], adam);
  }
  protected applySparse(grad: IndexedSlices, v: Variable, hyper: AdamHyper): Operation {
    const { weightDecay: wd, ...h } = hyper;
    const attrs = { useLocking: this.useLocking };
    const adam = () =>
      SparseApplyAdam.applyOp({ ...this.state(v), ...h, grad: grad.values, indices: grad.indices }, attrs);
    if (wd === null) return adam();
    const decay = ScatterDecay.applyOp({ ref: v.ref(), decay: wd, indices: grad.indices }, attrs);
    return v.graph.controlDependencies([decay], adam);
  }
  protected override finish(updates: readonly Operation[], name: string, hyper: AdamHyper): Operation {
    const { beta1, beta2 } = hyper;
    const graph = updates[0]!.graph;
    const [b1p, b2p] = this.powers(graph);
    const advance = graph.controlDependencies(updates, () =>
      graph.colocateWith(b1p.op, () => [
        b1p.assign(mul(b1p, beta1), { name: 'Assign' }).op,
        b2p.assign(mul(b2p, beta2), { name: 'Assign_1' }).op,
      ]),
    );
    return super.finish([...updates, ...advance], name, hyper);
  }
  private powers(graph: Graph): [Variable, Variable] {
    return [this.getNonSlot('beta1_power', graph), this.getNonSlot('beta2_power', graph)];
  }
  private state(v: Variable) {
    const [b1p, b2p] = this.powers(v.graph);
    return {
      var: v.ref(),
      m: this.slot(v, 'm').ref(),
      v: this.slot(v, 'v').ref(),
      beta1Power: b1p.value(),
      beta2Power: b2p.value(),
    };
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay: var -= weightDecay * var before each Adam step (not scaled by lr). */
  weightDecay: Hyperparameter;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter; TF contrib's AdamWOptimizer).
 * @example const step = new AdamWOptimizer({ weightDecay: 1e-4, learningRate: 1e-3 }).minimize(loss);
 */
// AdamW's options without its own key, for AdamOptimizer's (strict) constructor.
const adamOptions = ({ weightDecay: _, ...rest }: AdamWOptions): AdamOptions => ({
  ...rest,
  name: rest.name ?? 'AdamW',
});
export class AdamWOptimizer extends AdamOptimizer {
  readonly weightDecay: Hyperparameter;
  constructor(opts: AdamWOptions) {
    super(adamOptions(checked('AdamWOptimizer', opts, { ...ADAM_SPEC, weightDecay: 'any' })));
    this.weightDecay = opts.weightDecay;
  }
  protected override prepare(): AdamHyper {
    return { ...super.prepare(), weightDecay: this.hyper(this.weightDecay, 'weight_decay') };
  }
}
