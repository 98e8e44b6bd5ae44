// Neural-network ops: bias, activations, L2 loss, and the activation-gradient ops TF's gradients
// emit (ReluGrad, ...), so gradient graphs stay one kernel per step. Softmax and the fused
// cross-entropies live in ./softmax.ts, convolution in ./conv.ts, pooling in ./pool.ts.

import * as tfc from '@tensorflow/tfjs-core';
import { type AttrSchema, attrOf, typeOf } from '../attr_schema.js';
import { type NameOpt, opScope, type TensorInput, toTensor } from '../convert.js';
import type { DType } from '../dtype.js';
import { formatShape, mergeShapes, shapesCompatible } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, FLOAT, NUMERIC, requireDtype, requireRank, sameDtype } from '../op_def.js';
import { named } from '../options.js';
import type { DataFormat } from './conv.js';
import { matMul } from './linalg.js';
import { unary, unaryOp } from './math.js';

// ---- bias ------------------------------------------------------------------------------------

const channelAxis = (rank: number, f: DataFormat): number => (f === 'NHWC' ? rank - 1 : 1);

export const BiasAdd = defineOp<'value' | 'bias', { dataFormat: DataFormat }>({
  type: 'BiasAdd',
  outputArgs: ['output'],
  inputs: ['value', 'bias'],
  attrs: { T: typeOf('value'), data_format: attrOf('string', 'dataFormat', 'NHWC') },
  shape: ({ value, bias }, { dataFormat }) => {
    requireRank(bias, 1, 'bias');
    if (value.shape === null) return null;
    if (value.shape.length < 2) {
      throw new ValueError(`value must be at least rank 2, but has shape ${formatShape(value.shape)}`);
    }
    const c = value.shape[channelAxis(value.shape.length, dataFormat)]!;
    const b = bias.shape?.[0] ?? null;
    if (c !== null && b !== null && c !== b) {
      throw new ValueError(
        `bias size ${b} must equal the ${dataFormat} channel dimension of value, which is ${c}`,
      );
    }
    return value.shape;
  },
  dtype: ({ value, bias }) => (requireDtype(value, NUMERIC, 'value'), sameDtype(value, bias)),
  kernel: ({ value, bias }, { dataFormat }) =>
    dataFormat === 'NHWC'
      ? tfc.add(value, bias)
      : tfc.tidy(() => tfc.add(value, tfc.reshape(bias, [-1, ...Array<number>(value.rank - 2).fill(1)]))),
});

export const BiasAddGrad = defineOp<'outBackprop', { dataFormat: DataFormat }>({
  type: 'BiasAddGrad',
  outputArgs: ['output'],
  inputs: ['outBackprop'],
  attrs: { T: typeOf('outBackprop'), data_format: attrOf('string', 'dataFormat', 'NHWC') },
  shape: ({ outBackprop }, { dataFormat }) => {
    const s = outBackprop.shape;
    if (s === null) return [null];
    if (s.length < 2) throw new ValueError(`out_backprop must be at least rank 2, got ${formatShape(s)}`);
    return [s[channelAxis(s.length, dataFormat)]!];
  },
  dtype: ({ outBackprop }) => requireDtype(outBackprop, NUMERIC, 'out_backprop'),
  kernel: ({ outBackprop }, { dataFormat }) => {
    const c = channelAxis(outBackprop.rank, dataFormat);
    return tfc.sum(
      outBackprop,
      outBackprop.shape.map((_, i) => i).filter((i) => i !== c),
    );
  },
});

export interface BiasAddOptions extends NameOpt {
  dataFormat?: DataFormat;
}
/**
 * Adds a 1-D `bias` along the channel dimension of `value` (the last one for NHWC).
 * @example const y = biasAdd(matMul(x, w), b);
 */
export function biasAdd(value: TensorInput, bias: TensorInput, opts: BiasAddOptions = {}): Tensor {
  return opScope(
    named('biasAdd', opts, { name: 'string', dataFormat: 'any' }),
    'BiasAdd',
    [value, bias],
    (name) => {
      const v = toTensor(value, undefined, 'value');
      return BiasAdd.apply(
        { value: v, bias: toTensor(bias, v.dtype, 'bias') },
        { dataFormat: opts.dataFormat ?? 'NHWC' },
        { name },
      );
    },
  );
}
/** The bias gradient of biasAdd: `outBackprop` summed over every non-channel dimension. */
export function biasAddGrad(outBackprop: TensorInput, opts: BiasAddOptions = {}): Tensor {
  return opScope(
    named('biasAddGrad', opts, { name: 'string', dataFormat: 'any' }),
    'BiasAddGrad',
    [outBackprop],
    (name) =>
      BiasAddGrad.apply(
        { outBackprop: toTensor(outBackprop, undefined, 'out_backprop') },
        { dataFormat: opts.dataFormat ?? 'NHWC' },
        { name },
      ),
  );
}

/**
 * matMul(x, weights) + biases, in a `xw_plus_b` name scope (TF's `nn.xw_plus_b`).
 * @example const logits = xwPlusB(h, w, b);
 */
export function xwPlusB(
  x: TensorInput,
  weights: TensorInput,
  biases: TensorInput,
  opts: NameOpt = {},
): Tensor {
  return opScope(named('xwPlusB', opts), 'xw_plus_b', [x, weights, biases], (scope) =>
    biasAdd(matMul(x, weights), biases, { name: scope }),
  );
}

/** relu(matMul(x, weights) + biases) (TF's `nn.relu_layer`). @example const h = reluLayer(x, w, b); */
export function reluLayer(
  x: TensorInput,
  weights: TensorInput,
  biases: TensorInput,
  opts: NameOpt = {},
): Tensor {
  return opScope(named('reluLayer', opts), 'relu_layer', [x, weights, biases], (scope) =>
    relu(biasAdd(matMul(x, weights), biases), { name: scope }),
  );
}

// ---- activations -----------------------------------------------------------------------------

export const Relu = unaryOp('Relu', tfc.relu, NUMERIC, undefined, 'activations');
export const Relu6 = unaryOp('Relu6', tfc.relu6, NUMERIC, undefined, 'activations');
export const Elu = unaryOp('Elu', tfc.elu, FLOAT, undefined, 'activations');
export const Selu = unaryOp('Selu', tfc.selu, FLOAT, undefined, 'activations');
export const Softplus = unaryOp('Softplus', tfc.softplus, FLOAT, undefined, 'activations');
// tfjs has no softsign op.
export const Softsign = unaryOp(
  'Softsign',
  (x) => tfc.tidy(() => tfc.div(x, tfc.add(tfc.abs(x), 1))),
  FLOAT,
  undefined,
  'activations',
);
export const LeakyRelu = defineOp<'features', { alpha: number }>({
  type: 'LeakyRelu',
  outputArgs: ['activations'],
  inputs: ['features'],
  attrs: { alpha: attrOf('float', 'alpha', 0.2), T: typeOf('features', 'float32') },
  shape: ({ features }) => features.shape,
  dtype: ({ features }) => requireDtype(features, FLOAT, 'features'),
  kernel: ({ features }, { alpha }) => tfc.leakyRelu(features, alpha),
});

const activation = (def: typeof Relu, name: string, builder: string) => unary(def, name, builder, 'features');

/** max(x, 0). @example const h = relu(biasAdd(matMul(x, w), b)); */
export const relu = activation(Relu, 'Relu', 'relu');
/** min(max(x, 0), 6). */
export const relu6 = activation(Relu6, 'Relu6', 'relu6');
/** x for x > 0, exp(x) - 1 otherwise. */
export const elu = activation(Elu, 'Elu', 'elu');
/** scale * (x > 0 ? x : alpha * (exp(x) - 1)), with TF's self-normalising alpha and scale. */
export const selu = activation(Selu, 'Selu', 'selu');
/** log(1 + exp(x)), computed without overflow. */
export const softplus = activation(Softplus, 'Softplus', 'softplus');
/** x / (1 + |x|). */
export const softsign = activation(Softsign, 'Softsign', 'softsign');
/** x for x > 0, alpha * x otherwise. @example leakyRelu(x, { alpha: 0.1 }) */
export function leakyRelu(x: TensorInput, opts: NameOpt & { alpha?: number } = {}): Tensor {
  return opScope(named('leakyRelu', opts, { name: 'string', alpha: 'number' }), 'LeakyRelu', [x], (name) =>
    LeakyRelu.apply({ features: toTensor(x, undefined, 'features') }, { alpha: opts.alpha ?? 0.2 }, { name }),
  );
}

// Gradient ops of the activations: `(gradients, features or outputs) -> backprops`.
type GradKernel<A> = (dy: tfc.Tensor, x: tfc.Tensor, attrs: A) => tfc.Tensor;
const activationGrad = <A extends object = Record<never, never>>(
  type: string,
  kernel: GradKernel<A>,
  allowed: readonly DType[] = FLOAT,
  attrs: AttrSchema<'gradients' | 'features', keyof A & string> = {},
) =>
  defineOp<'gradients' | 'features', A>({
    type,
    outputArgs: ['backprops'],
    inputs: ['gradients', 'features'],
    attrs: { T: typeOf('gradients'), ...attrs },
    shape: ({ gradients, features }) => {
      if (!shapesCompatible(gradients.shape, features.shape)) {
        throw new ValueError(
          `gradients and features must have the same shape, got ${formatShape(gradients.shape)} and ${formatShape(features.shape)}`,
        );
      }
      return mergeShapes(gradients.shape, features.shape);
    },
    dtype: ({ gradients, features }) => (
      requireDtype(gradients, allowed, 'gradients'), sameDtype(gradients, features)
    ),
    kernel: ({ gradients, features }, attrs) => kernel(gradients, features, attrs),
  });

// tfjs has no ReluGrad/Relu6Grad/SoftplusGrad/LeakyReluGrad kernels; these are its own gradients' formulas.
// dy * (x > 0)
export const ReluGrad = activationGrad(
  'ReluGrad',
  (dy, x) => tfc.tidy(() => tfc.mul(dy, tfc.step(x))),
  NUMERIC,
);
// dy * (0 < x < 6)
export const Relu6Grad = activationGrad(
  'Relu6Grad',
  (dy, x) =>
    tfc.tidy(() => tfc.where(tfc.logicalAnd(tfc.greater(x, 0), tfc.less(x, 6)), dy, tfc.zerosLike(dy))),
  NUMERIC,
);
// `features` holds Elu's outputs y: dy * (y < 0 ? y + 1 : 1). tfjs-core exports no eluGrad op.
export const EluGrad = activationGrad(
  'EluGrad',
  (dy, y) => tfc.engine().runKernel('EluGrad', { dy, y }, {}) as tfc.Tensor,
);
// TF's SELU constants; SeluGrad reads Selu's outputs y: dy * (y < 0 ? y + scale * alpha : scale).
export const SELU_SCALE = 1.0507009873554805;
export const SELU_SCALE_ALPHA = 1.7580993408473768;
export const SeluGrad = activationGrad('SeluGrad', (dy, y) =>
  tfc.tidy(() =>
    tfc.mul(dy, tfc.where(tfc.less(y, 0), tfc.add(y, SELU_SCALE_ALPHA), tfc.fill(y.shape, SELU_SCALE))),
  ),
);
// dy / (1 + |x|)^2
export const SoftsignGrad = activationGrad('SoftsignGrad', (dy, x) =>
  tfc.tidy(() => tfc.div(dy, tfc.square(tfc.add(tfc.abs(x), 1)))),
);
// dy * sigmoid(x)
export const SoftplusGrad = activationGrad('SoftplusGrad', (dy, x) =>
  tfc.tidy(() => tfc.mul(dy, tfc.sigmoid(x))),
);
// dy * (x > 0 ? 1 : alpha)
export const LeakyReluGrad = activationGrad<{ alpha: number }>(
  'LeakyReluGrad',
  (dy, x, { alpha }) => tfc.tidy(() => tfc.where(tfc.greater(x, 0), dy, tfc.mul(dy, alpha))),
  FLOAT,
  { alpha: attrOf('float', 'alpha', 0.2), T: typeOf('gradients', 'float32') },
);

type GradBuilder = (gradients: TensorInput, features: TensorInput, opts?: NameOpt) => Tensor;
const gradBuilder =
  (def: typeof ReluGrad, name: string): GradBuilder =>
  (gradients, features, opts = {}) =>
    opScope(opts.name, name, [gradients, features], (scope) =>
      def.apply(
        {
          gradients: toTensor(gradients, undefined, 'gradients'),
          features: toTensor(features, undefined, 'features'),
        },
        {},
        { name: scope },
      ),
    );
export const reluGrad = gradBuilder(ReluGrad, 'ReluGrad');
export const relu6Grad = gradBuilder(Relu6Grad, 'Relu6Grad');
/** Elu's gradient from its *outputs* (as TF's EluGrad). */
export const eluGrad = gradBuilder(EluGrad, 'EluGrad');
export const softplusGrad = gradBuilder(SoftplusGrad, 'SoftplusGrad');
/** Selu's gradient from its *outputs* (as TF's SeluGrad). */
export const seluGrad = gradBuilder(SeluGrad, 'SeluGrad');
export const softsignGrad = gradBuilder(SoftsignGrad, 'SoftsignGrad');
export function leakyReluGrad(
  gradients: TensorInput,
  features: TensorInput,
  opts: NameOpt & { alpha?: number } = {},
): Tensor {
  return opScope(
    named('leakyReluGrad', opts, { name: 'string', alpha: 'number' }),
    'LeakyReluGrad',
    [gradients, features],
    (name) =>
      LeakyReluGrad.apply(
        {
          gradients: toTensor(gradients, undefined, 'gradients'),
          features: toTensor(features, undefined, 'features'),
        },
        { alpha: opts.alpha ?? 0.2 },
        { name },
      ),
  );
}

// ---- losses ----------------------------------------------------------------------------------

export const L2Loss = defineOp<'t'>({
  type: 'L2Loss',
  outputArgs: ['output'],
  inputs: ['t'],
  attrs: { T: typeOf('t') },
  shape: () => [],
  dtype: ({ t }) => requireDtype(t, FLOAT, 't'),
  kernel: ({ t }) => tfc.tidy(() => tfc.div(tfc.sum(tfc.square(t)), 2)),
});
/** sum(t ** 2) / 2, a scalar (weight decay). @example const decay = mul(1e-4, l2Loss(w)); */
export const l2Loss = (t: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('l2Loss', opts), 'L2Loss', [t], (name) =>
    L2Loss.apply({ t: toTensor(t, undefined, 't') }, {}, { name }),
  );
