// Gradient rules of the nn family (ops/nn.ts, ops/conv.ts, ops/pool.ts), after TF's nn_grad.py.
// Contract: see registry.ts. `dy` is the dense gradient of the first output and `y` that output.
// The activation/conv/pool rules emit the fused backprop ops (ReluGrad, Conv2DBackpropInput, ...),
// and those ops have rules too, so every rule here can be differentiated again.
import {
  AvgPool,
  AvgPoolGrad,
  abs,
  add,
  avgPool,
  avgPoolGrad,
  BiasAdd,
  BiasAddGrad,
  biasAdd,
  biasAddGrad,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  type ConvAttrs,
  cast,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  div,
  Elu,
  EluGrad,
  eluGrad,
  exp,
  expandDims,
  L2Loss,
  LeakyRelu,
  LeakyReluGrad,
  LogSoftmax,
  leakyReluGrad,
  less,
  logSoftmax,
  MaxPool,
  MaxPoolGrad,
  MaxPoolGradGrad,
  maxPoolGrad,
  maxPoolGradGrad,
  mul,
  neg,
  type PoolAttrs,
  Relu,
  Relu6,
  Relu6Grad,
  ReluGrad,
  reduceSum,
  relu6Grad,
  reluGrad,
  Selu,
  SeluGrad,
  Softmax,
  SoftmaxCrossEntropyWithLogits,
  Softplus,
  SoftplusGrad,
  Softsign,
  SoftsignGrad,
  SparseSoftmaxCrossEntropyWithLogits,
  seluGrad,
  shape,
  sign,
  softmax,
  softplusGrad,
  softsignGrad,
  square,
  sub,
  type Tensor,
  ZerosLike,
  zerosLike,
} from '@graphmode/graph';
import { defineGradient } from '../registry.js';

const convOpts = (a: ConvAttrs) => ({
  strides: a.strides,
  padding: a.padding,
  dataFormat: a.dataFormat,
  dilations: a.dilations,
});
const poolOpts = (a: PoolAttrs) => ({ ksize: a.ksize, strides: a.strides, padding: a.padding });

// The softmax Jacobian applied to `v`: (v - sum(v * p, -1)) * p.
const softmaxVjp = (v: Tensor, p: Tensor): Tensor =>
  mul(sub(v, reduceSum(mul(v, p), -1, { keepDims: true })), p);

// TF's `_is_zeros_tensor`: an output nobody differentiated arrives as the driver's ZerosLike.
const isZeros = (t: Tensor | null | undefined): boolean => !t || t.op.def === ZerosLike;

// The xent rules: dLoss[:, None] * backprop, plus the second-order term when backprop itself
// (output 1) received a gradient: d(backprop)/d(logits) is the softmax Jacobian.
function xentLogitsGrad(
  logits: Tensor,
  backprop: Tensor,
  dLoss: Tensor,
  dBackprop: Tensor | null | undefined,
) {
  const grad = mul(expandDims(dLoss, -1), backprop);
  return isZeros(dBackprop) ? grad : add(grad, softmaxVjp(dBackprop!, softmax(logits)));
}

export function registerNnGradients(): void {
  // ---- activations: the fused gradient ops, as TF (Relu/Relu6/Elu read the output) ------------
  defineGradient(Relu, ({ y }, dy) => ({ x: reluGrad(dy, y) }));
  defineGradient(Relu6, ({ y }, dy) => ({ x: relu6Grad(dy, y) }));
  defineGradient(Elu, ({ y }, dy) => ({ x: eluGrad(dy, y) }));
  defineGradient(Selu, ({ y }, dy) => ({ x: seluGrad(dy, y) }));
  // dy / (1 + |x|)^2
  defineGradient(Softsign, ({ ins: { x } }, dy) => ({ x: softsignGrad(dy, x) }));
  // dy * sigmoid(x)
  defineGradient(Softplus, ({ ins: { x } }, dy) => ({ x: softplusGrad(dy, x) }));
  defineGradient(LeakyRelu, ({ ins: { features }, attrs }, dy) => ({
    features: leakyReluGrad(dy, features, { alpha: attrs.alpha }),
  }));

  // ---- second order: the gradient ops are linear in `gradients`, piecewise constant in x -------
  defineGradient(ReluGrad, ({ ins: { features } }, dy) => ({
    gradients: reluGrad(dy, features),
    features: zerosLike(features),
  }));
  defineGradient(Relu6Grad, ({ ins: { features } }, dy) => ({
    gradients: relu6Grad(dy, features),
    features: zerosLike(features),
  }));
  defineGradient(LeakyReluGrad, ({ ins: { features }, attrs }, dy) => ({
    gradients: leakyReluGrad(dy, features, { alpha: attrs.alpha }),
    features: zerosLike(features),
  }));
  // EluGrad(g, y) = g * (y < 0 ? y + 1 : 1), so d/dy = g where y < 0.
  defineGradient(EluGrad, ({ ins: { gradients, features: y } }, dy) => ({
    gradients: eluGrad(dy, y),
    features: mul(mul(dy, gradients), cast(less(y, 0), 'float32')),
  }));
  // SeluGrad(g, y) = g * (y < 0 ? y + scale * alpha : scale), so d/dy = g where y < 0.
  defineGradient(SeluGrad, ({ ins: { gradients, features: y } }, dy) => ({
    gradients: seluGrad(dy, y),
    features: mul(mul(dy, gradients), cast(less(y, 0), 'float32')),
  }));
  // SoftsignGrad(g, x) = g / (1 + |x|)^2: d/dx = -2 g sign(x) / (1 + |x|)^3
  defineGradient(SoftsignGrad, ({ ins: { gradients, features: x } }, dy) => {
    const d = add(abs(x), 1);
    return {
      gradients: softsignGrad(dy, x),
      features: div(mul(mul(-2, mul(dy, gradients)), sign(x)), mul(square(d), d)),
    };
  });
  // SoftplusGrad(g, x) = g * sigmoid(x): d/dg = sigmoid(x), d/dx = g * sigmoid'(x) = g / (e^-x + 2 + e^x)
  defineGradient(SoftplusGrad, ({ ins: { gradients, features: x } }, dy) => ({
    gradients: softplusGrad(dy, x),
    features: div(mul(dy, gradients), add(add(exp(neg(x)), 2), exp(x))),
  }));

  // ---- softmax family --------------------------------------------------------------------------
  // (dy - sum(dy * y, -1)) * y
  defineGradient(Softmax, ({ y }, dy) => ({ logits: softmaxVjp(dy, y) }));
  // dy - sum(dy, -1) * exp(y)
  defineGradient(LogSoftmax, ({ y }, dy) => ({
    logits: sub(dy, mul(reduceSum(dy, -1, { keepDims: true }), exp(y))),
  }));
  // t * dy
  defineGradient(L2Loss, ({ ins: { t } }, dy) => ({ t: mul(t, dy) }));
  defineGradient(SoftmaxCrossEntropyWithLogits, ({ ins: { logits }, op, dys }, dLoss) => ({
    logits: xentLogitsGrad(logits, op.outputs[1]!, dLoss, dys[1]),
    // dLoss[:, None] * -logSoftmax(logits)
    labels: mul(expandDims(dLoss, -1), neg(logSoftmax(logits))),
  }));
  // Class ids get no gradient (TF's None).
  defineGradient(SparseSoftmaxCrossEntropyWithLogits, ({ ins: { logits }, op, dys }, dLoss) => ({
    logits: xentLogitsGrad(logits, op.outputs[1]!, dLoss, dys[1]),
  }));

  // ---- bias ------------------------------------------------------------------------------------
  defineGradient(BiasAdd, ({ attrs }, dy) => ({ value: dy, bias: biasAddGrad(dy, attrs) }));
  // dy broadcast along out_backprop's channel axis (TF reshapes and tiles; BiasAdd onto zeros is the same).
  defineGradient(BiasAddGrad, ({ ins: { outBackprop }, attrs }, dy) => ({
    outBackprop: biasAdd(zerosLike(outBackprop), dy, attrs),
  }));

  // ---- convolution: each of the three ops' gradients are the other two -------------------------
  defineGradient(Conv2D, ({ ins: { input, filter }, attrs }, dy) => ({
    input: conv2dBackpropInput(shape(input), filter, dy, convOpts(attrs)),
    filter: conv2dBackpropFilter(input, shape(filter), dy, convOpts(attrs)),
  }));
  defineGradient(Conv2DBackpropInput, ({ ins: { filter, outBackprop }, attrs }, dy) => ({
    filter: conv2dBackpropFilter(dy, shape(filter), outBackprop, convOpts(attrs)),
    outBackprop: conv2d(dy, filter, convOpts(attrs)),
  }));
  defineGradient(Conv2DBackpropFilter, ({ ins: { input, outBackprop }, attrs }, dy) => ({
    input: conv2dBackpropInput(shape(input), dy, outBackprop, convOpts(attrs)),
    outBackprop: conv2d(input, dy, convOpts(attrs)),
  }));

  // ---- pooling ---------------------------------------------------------------------------------
  defineGradient(MaxPool, ({ ins: { input }, y, attrs }, dy) => ({
    input: maxPoolGrad(input, y, dy, poolOpts(attrs)),
  }));
  defineGradient(MaxPoolGrad, ({ ins: { origInput, origOutput }, attrs }, dy) => ({
    origInput: zerosLike(origInput),
    origOutput: zerosLike(origOutput),
    grad: maxPoolGradGrad(origInput, origOutput, dy, poolOpts(attrs)),
  }));
  defineGradient(MaxPoolGradGrad, ({ ins: { origInput, origOutput }, attrs }, dy) => ({
    origInput: zerosLike(origInput),
    origOutput: zerosLike(origOutput),
    grad: maxPoolGrad(origInput, origOutput, dy, poolOpts(attrs)),
  }));
  defineGradient(AvgPool, ({ ins: { input }, attrs }, dy) => ({
    input: avgPoolGrad(shape(input), dy, poolOpts(attrs)),
  }));
  // AvgPoolGrad is linear in grad with adjoint AvgPool; the int shape input gets none.
  defineGradient(AvgPoolGrad, ({ attrs }, dy) => ({ grad: avgPool(dy, poolOpts(attrs)) }));
}
