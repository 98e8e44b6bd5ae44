// Plain gradient descent: var -= lr * grad. Dense gradients update through ApplyGradientDescent,
// IndexedSlices through ScatterSub of the scaled rows (TF's _apply_sparse_duplicate_indices is
// not needed: the kernel sums duplicate indices).
import { type IndexedSlices, notDifferentiable } from '@graphmode/autodiff';
import {
  checked,
  defineOp,
  mul,
  type Operation,
  requireDtype,
  requireRef,
  type Tensor,
  type Variable,
} from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { type ApplyAttrs, applyOp, rewriteRows, SCATTER_ATTRS, summedRows } from './apply_op_def.js';
import { fusedGradientDescent } from './fused_gradient_descent.js';
import { type Hyperparameter, OPTIMIZER_SPEC, Optimizer, type OptimizerOptions } from './optimizer.js';

// var -= alpha * delta
export const ApplyGradientDescent = applyOp<'var' | 'alpha' | 'delta', ApplyAttrs>(
  'ApplyGradientDescent',
  ['var', 'alpha', 'delta'],
  ['var'],
  (v) => fusedGradientDescent(v),
  'delta',
);

/** ref[indices[i]] -= updates[i] (duplicates accumulate). */
export const ScatterSub = defineOp<'ref' | 'indices' | 'updates', ApplyAttrs>({
  type: 'ScatterSub',
  outputArgs: ['output_ref'],
  inputs: ['ref', 'indices', 'updates'],
  attrs: SCATTER_ATTRS,
  refInputs: ['ref'],
  stateful: true,
  shape: ({ ref, indices, updates }) => {
    requireRef(ref);
    requireDtype(indices, ['int32'], 'indices');
    requireDtype(updates, [ref.dtype], 'updates');
    return ref.shape;
  },
  dtype: ({ ref }) => ref.dtype,
  kernel: ({ indices, updates }, _, ctx) =>
    rewriteRows(
      ctx,
      (rows) => summedRows(updates, indices, rows, 'ScatterSub'),
      (old, summed) => tfc.sub(old, summed),
    ),
});

notDifferentiable(ApplyGradientDescent, ScatterSub);

interface GradientDescentHyper {
  lr: Tensor;
}

/**
 * TF's GradientDescentOptimizer.
 * @example const step = new GradientDescentOptimizer(0.1).minimize(loss);
 */
export class GradientDescentOptimizer extends Optimizer<GradientDescentHyper> {
  constructor(
    readonly learningRate: Hyperparameter,
    opts: OptimizerOptions = {},
  ) {
    super(
      checked('GradientDescentOptimizer', opts, OPTIMIZER_SPEC).useLocking ?? false,
      opts.name ?? 'GradientDescent',
    );
  }
  protected prepare(): GradientDescentHyper {
    return { lr: this.hyper(this.learningRate, 'learning_rate') };
  }
  protected applyDense(grad: Tensor, v: Variable, { lr }: GradientDescentHyper): Operation {
    return ApplyGradientDescent.applyOp(
      { var: v.ref(), alpha: lr, delta: grad },
      { useLocking: this.useLocking },
    );
  }
  protected applySparse(grad: IndexedSlices, v: Variable, { lr }: GradientDescentHyper): Operation {
    return ScatterSub.applyOp(
      { ref: v.ref(), indices: grad.indices, updates: mul(grad.values, lr) },
      { useLocking: this.useLocking },
    );
  }
}
