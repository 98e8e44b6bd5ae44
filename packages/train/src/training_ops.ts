// TF's Apply* update ops with the kernels' exact formulas (core/kernels/training_ops.cc), their
// sparse twins, and the few scatter ops the optimizers' sparse paths need. None has a gradient.
import { notDifferentiable } from '@graphmode/autodiff';
import {
  defineOp,
  FLOAT,
  formatShape,
  readRef,
  requireDtype,
  requireRef,
  type Shape,
  type Tensor,
  ValueError,
  writeRef,
} from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import {
  type ApplyAttrs,
  applyOp,
  dedupIndices,
  type NesterovAttrs,
  sparseApplyOp,
  summedRows,
} from './apply_op_def.js';
import { fusedAdamCpu } from './fused_adam.js';

const one = (t: tfc.Tensor) => tfc.onesLike(t);
const oneMinus = (t: tfc.Tensor) => tfc.sub(one(t), t);

// var -= alpha * delta
export const ApplyGradientDescent = applyOp<'var' | 'alpha' | 'delta', ApplyAttrs>(
  'ApplyGradientDescent',
  ['var', 'alpha', 'delta'],
  ['var'],
  (v) => ({ var: tfc.sub(v.var, tfc.mul(v.delta, v.alpha)) }),
  'delta',
);

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
);
export const SparseApplyMomentum = sparseApplyOp<MomentumIn, NesterovAttrs>(
  'SparseApplyMomentum',
  ['var', 'accum', 'lr', 'grad', 'indices', 'momentum'],
  ['var', 'accum'],
  momentumUpdate,
);

// accum += grad^2;  var -= grad * lr * rsqrt(accum)   (no epsilon: accum starts positive)
type AdagradIn = 'var' | 'accum' | 'lr' | 'grad';
const adagradUpdate = (v: Record<AdagradIn, tfc.Tensor>) => {
  const accum = tfc.add(v.accum, tfc.square(v.grad));
  return { var: tfc.sub(v.var, tfc.mul(tfc.mul(v.grad, v.lr), tfc.rsqrt(accum))), accum };
};
export const ApplyAdagrad = applyOp<AdagradIn, ApplyAttrs>(
  'ApplyAdagrad',
  ['var', 'accum', 'lr', 'grad'],
  ['var', 'accum'],
  adagradUpdate,
);
export const SparseApplyAdagrad = sparseApplyOp<AdagradIn, ApplyAttrs>(
  'SparseApplyAdagrad',
  ['var', 'accum', 'lr', 'grad', 'indices'],
  ['var', 'accum'],
  adagradUpdate,
);

// NOTE: the bias correction is folded into the step size and epsilon sits outside the square
// root, exactly as TF's kernel: alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t).
type AdamIn = 'var' | 'm' | 'v' | 'beta1Power' | 'beta2Power' | 'lr' | 'beta1' | 'beta2' | 'epsilon' | 'grad';
const adamAlpha = (v: Record<AdamIn, tfc.Tensor>) =>
  tfc.div(tfc.mul(v.lr, tfc.sqrt(oneMinus(v.beta2Power))), oneMinus(v.beta1Power));
export const ApplyAdam = applyOp<AdamIn, NesterovAttrs>(
  'ApplyAdam',
  ['var', 'm', 'v', 'beta1Power', 'beta2Power', 'lr', 'beta1', 'beta2', 'epsilon', 'grad'],
  ['var', 'm', 'v'],
  (v, a) => {
    if (tfc.getBackend() === 'cpu') return fusedAdamCpu(v, a.useNesterov);
    const alpha = adamAlpha(v);
    const m = tfc.add(v.m, tfc.mul(tfc.sub(v.grad, v.m), oneMinus(v.beta1)));
    const vv = tfc.add(v.v, tfc.mul(tfc.sub(tfc.square(v.grad), v.v), oneMinus(v.beta2)));
    const denom = tfc.add(tfc.sqrt(vv), v.epsilon);
    const step = a.useNesterov
      ? tfc.div(tfc.mul(tfc.add(tfc.mul(v.grad, oneMinus(v.beta1)), tfc.mul(m, v.beta1)), alpha), denom)
      : tfc.div(tfc.mul(m, alpha), denom);
    return { var: tfc.sub(v.var, step), m, v: vv };
  },
);

// TF has no sparse Adam kernel; its optimizer decays every row of m and v, adds the scaled
// gradient rows, then updates the whole variable. This op does the same in one kernel.
export const SparseApplyAdam = defineOp<AdamIn | 'indices', ApplyAttrs>({
  type: 'SparseApplyAdam',
  inputs: ['var', 'm', 'v', 'beta1Power', 'beta2Power', 'lr', 'beta1', 'beta2', 'epsilon', 'grad', 'indices'],
  refInputs: ['var', 'm', 'v'],
  stateful: true,
  shape: (ins) => sparseAdamShape(ins.var, ins.m, ins.v, ins.grad, ins.indices),
  dtype: () => 'float32',
  kernel: (ins, _, ctx) => {
    const [where, grad] = summedRows(ins.grad, ins.indices, ctx.op.inputs[0]!.shape![0]!, 'SparseApplyAdam');
    const [vr, m0, v0] = [readRef(ctx, 0), readRef(ctx, 1), readRef(ctx, 2)];
    try {
      const [m, v, next] = tfc.tidy(() => {
        const shape = vr.shape;
        const alpha = adamAlpha({ ...ins, var: vr, m: m0, v: v0, grad });
        const m1 = tfc.add(
          tfc.mul(m0, ins.beta1),
          tfc.scatterND(where, tfc.mul(grad, oneMinus(ins.beta1)), shape),
        );
        const g2 = tfc.mul(tfc.mul(grad, grad), oneMinus(ins.beta2));
        const v1 = tfc.add(tfc.mul(v0, ins.beta2), tfc.scatterND(where, g2, shape));
        const step = tfc.div(tfc.mul(alpha, m1), tfc.add(tfc.sqrt(v1), ins.epsilon));
        return [m1, v1, tfc.sub(vr, step)];
      });
      writeRef(ctx, m, 1).dispose();
      writeRef(ctx, v, 2).dispose();
      return writeRef(ctx, next, 0);
    } finally {
      for (const t of [where, grad, vr, m0, v0]) t.dispose();
    }
  },
});
function sparseAdamShape(v: Tensor, m: Tensor, vv: Tensor, grad: Tensor, indices: Tensor): Shape | null {
  requireRef(v, 'var');
  requireRef(m, 'm');
  requireRef(vv, 'v');
  requireDtype(indices, ['int32'], 'indices');
  requireDtype(grad, FLOAT, 'grad');
  if (grad.shape !== null && v.shape !== null && grad.shape.length !== v.shape.length)
    throw new ValueError(`grad rows ${formatShape(grad.shape)} do not match var ${formatShape(v.shape)}`);
  return v.shape;
}

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

/** ref[indices[i]] -= updates[i] (duplicates accumulate). Gradient descent's sparse update. */
export const ScatterSub = defineOp<'ref' | 'indices' | 'updates', ApplyAttrs>({
  type: 'ScatterSub',
  inputs: ['ref', 'indices', 'updates'],
  refInputs: ['ref'],
  stateful: true,
  shape: ({ ref, indices, updates }) => {
    requireRef(ref);
    requireDtype(indices, ['int32'], 'indices');
    requireDtype(updates, [ref.dtype], 'updates');
    return ref.shape;
  },
  dtype: ({ ref }) => ref.dtype,
  kernel: ({ indices, updates }, _, ctx) => {
    const old = readRef(ctx);
    const [where, rows] = summedRows(updates, indices, old.shape[0]!, 'ScatterSub');
    try {
      const next = tfc.tidy(() =>
        tfc.tensorScatterUpdate(old, where, tfc.sub(tfc.gatherND(old, where), rows)),
      );
      return writeRef(ctx, next);
    } finally {
      for (const t of [old, where, rows]) t.dispose();
    }
  },
});

/** ref[i] -= decay * ref[i] for each distinct i in `indices`: AdamW's decay for sparse gradients. */
export const ScatterDecay = defineOp<'ref' | 'decay' | 'indices', ApplyAttrs>({
  type: 'ScatterDecay',
  inputs: ['ref', 'decay', 'indices'],
  refInputs: ['ref'],
  stateful: true,
  shape: ({ ref, decay, indices }) => {
    requireRef(ref);
    requireDtype(decay, FLOAT, 'decay');
    requireDtype(indices, ['int32'], 'indices');
    return ref.shape;
  },
  dtype: ({ ref }) => ref.dtype,
  kernel: ({ decay, indices }, _, ctx) => {
    const old = readRef(ctx);
    const { uniq } = dedupIndices(indices.dataSync() as Int32Array, old.shape[0]!, 'ScatterDecay');
    const where = tfc.tensor2d(uniq, [uniq.length, 1], 'int32');
    try {
      const next = tfc.tidy(() => {
        const picked = tfc.gatherND(old, where);
        return tfc.tensorScatterUpdate(old, where, tfc.sub(picked, tfc.mul(decay, picked)));
      });
      return writeRef(ctx, next);
    } finally {
      old.dispose();
      where.dispose();
    }
  },
});

notDifferentiable(
  'ApplyGradientDescent',
  'ApplyMomentum',
  'SparseApplyMomentum',
  'ApplyAdagrad',
  'SparseApplyAdagrad',
  'ApplyAdam',
  'SparseApplyAdam',
  'ApplyRMSProp',
  'SparseApplyRMSProp',
  'ApplyCenteredRMSProp',
  'SparseApplyCenteredRMSProp',
  'ScatterSub',
  'ScatterDecay',
);
