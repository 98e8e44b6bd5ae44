// Adam with TF's exact update (ApplyAdam): the bias correction is folded into the step size,
// lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), and epsilon sits outside the square root.
// beta1^t and beta2^t live in two non-slot variables advanced after all updates of a step.
// AdamW adds decoupled weight decay (var -= weightDecay * var) before each Adam update.
import type { IndexedSlices } from '@graphmode/autodiff';
import { type Graph, mul, type Operation, type Tensor, type Variable } from '@graphmode/graph';
import type { OptimizerOptions } from './gradient_descent.js';
import { groupOps, type Hyperparameter, Optimizer } from './optimizer.js';
import { ApplyAdam, ScatterDecay, SparseApplyAdam } from './training_ops.js';

export interface AdamOptions extends OptimizerOptions {
  learningRate?: Hyperparameter;
  beta1?: number | Tensor;
  beta2?: number | Tensor;
  epsilon?: Hyperparameter;
}

/**
 * TF's AdamOptimizer; slots 'm' ('w/Adam') and 'v' ('w/Adam_1'), non-slots 'beta1_power' and
 * 'beta2_power'.
 * @example const step = new AdamOptimizer({ learningRate: 1e-3 }).minimize(loss);
 */
export class AdamOptimizer extends Optimizer {
  readonly learningRate: Hyperparameter;
  readonly beta1: number | Tensor;
  readonly beta2: number | Tensor;
  readonly epsilon: Hyperparameter;
  private t: { lr: Tensor; beta1: Tensor; beta2: Tensor; epsilon: Tensor } | null = null;
  constructor(opts: AdamOptions = {}) {
    super(opts.useLocking ?? false, opts.name ?? 'Adam');
    this.learningRate = opts.learningRate ?? 0.001;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    const first = [...vars].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0]!;
    this.makeNonSlot(this.beta1, 'beta1_power', first);
    this.makeNonSlot(this.beta2, 'beta2_power', first);
    for (const v of vars) {
      this.makeSlot(v, 'm', 0);
      this.makeSlot(v, 'v', 0);
    }
  }
  protected override prepare(): void {
    this.t = {
      lr: this.hyper(this.learningRate, 'learning_rate'),
      beta1: this.hyper(this.beta1, 'beta1'),
      beta2: this.hyper(this.beta2, 'beta2'),
      epsilon: this.hyper(this.epsilon, 'epsilon'),
    };
  }
  private powers(graph: Graph): [Variable, Variable] {
    return [this.getNonSlot('beta1_power', graph), this.getNonSlot('beta2_power', graph)];
  }
  private inputs(v: Variable) {
    const [b1p, b2p] = this.powers(v.graph);
    return {
      var: v.ref(),
      m: this.slot(v, 'm').ref(),
      v: this.slot(v, 'v').ref(),
      beta1Power: b1p.value(),
      beta2Power: b2p.value(),
      ...this.t!,
    };
  }
  protected applyDense(grad: Tensor, v: Variable): Operation {
    return ApplyAdam.applyOp(
      { ...this.inputs(v), grad },
      { useLocking: this.useLocking, useNesterov: false },
    );
  }
  protected applySparse(grad: IndexedSlices, v: Variable): Operation {
    return SparseApplyAdam.applyOp(
      { ...this.inputs(v), grad: grad.values, indices: grad.indices },
      { useLocking: this.useLocking },
    );
  }
  protected override finish(updates: readonly Operation[], name: string): Operation {
    const graph = updates[0]!.graph;
    const [b1p, b2p] = this.powers(graph);
    const { beta1, beta2 } = this.t!;
    const advance = graph.controlDependencies(updates, () =>
      graph.colocateWith(b1p.op, () => [
        b1p.assign(mul(b1p, beta1), { name: 'Assign' }).op,
        b2p.assign(mul(b2p, beta2), { name: 'Assign_1' }).op,
      ]),
    );
    return groupOps([...updates, ...advance], name);
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
export class AdamWOptimizer extends AdamOptimizer {
  readonly weightDecay: Hyperparameter;
  private wd: Tensor | null = null;
  constructor(opts: AdamWOptions) {
    super({ ...opts, name: opts.name ?? 'AdamW' });
    this.weightDecay = opts.weightDecay;
  }
  protected override prepare(): void {
    super.prepare();
    this.wd = this.hyper(this.weightDecay, 'weight_decay');
  }
  protected override applyDense(grad: Tensor, v: Variable): Operation {
    const decay = v.assignSub(mul(this.wd!, v), { name: 'AssignSub' });
    return v.graph.controlDependencies([decay], () => super.applyDense(grad, v));
  }
  protected override applySparse(grad: IndexedSlices, v: Variable): Operation {
    const decay = ScatterDecay.applyOp(
      { ref: v.ref(), decay: this.wd!, indices: grad.indices },
      { useLocking: this.useLocking },
    );
    return v.graph.controlDependencies([decay], () => super.applySparse(grad, v));
  }
}
