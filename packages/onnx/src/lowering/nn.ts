// Activations, their gradient ops, bias, L2 loss, matmul and the softmax family (ops/nn.ts,
// linalg.ts, softmax.ts).
import {
  BatchMatMulV2,
  BiasAdd,
  BiasAddGrad,
  Elu,
  EluGrad,
  L2Loss,
  LeakyRelu,
  LeakyReluGrad,
  LogSoftmax,
  MatMul,
  Relu,
  Relu6,
  Relu6Grad,
  ReluGrad,
  SELU_SCALE,
  SELU_SCALE_ALPHA,
  Selu,
  SeluGrad,
  Softmax,
  SoftmaxCrossEntropyWithLogits,
  Softplus,
  SoftplusGrad,
  Softsign,
  SoftsignGrad,
  SparseSoftmaxCrossEntropyWithLogits,
} from '@graphmode/graph';
import { Float } from '../model.js';
import { ONNX_DTYPE } from '../onnx_proto.js';
import { defineLowering, hasRank, isFloat, type LowerContext, rankOf } from './registry.js';

const f32 = (cx: LowerContext, v: number) => cx.scalar(v, 'float32');
const unary =
  (onnx: string, attrs = {}) =>
  (cx: LowerContext) =>
    cx.n1(onnx, [cx.input(0)], attrs);

defineLowering(Relu, unary('Relu'), isFloat);
defineLowering(Relu6, (cx) => cx.n1('Clip', [cx.input(0), f32(cx, 0), f32(cx, 6)]), isFloat);
defineLowering(Elu, unary('Elu', { alpha: new Float(1) }));
// ONNX's Selu defaults are TF's constants (alpha 1.6732632, gamma 1.0507010).
defineLowering(Selu, unary('Selu'));
defineLowering(Softsign, unary('Softsign'));
defineLowering(LeakyRelu, (cx, { alpha }) => cx.n1('LeakyRelu', [cx.input(0)], { alpha: new Float(alpha) }));
// max(x, 0) + log(1 + exp(-|x|)): stable for large |x|
defineLowering(Softplus, (cx) => {
  const x = cx.input(0);
  const tail = cx.n1('Log', [cx.n1('Add', [cx.n1('Exp', [cx.n1('Neg', [cx.n1('Abs', [x])])]), f32(cx, 1)])]);
  return cx.n1('Add', [cx.n1('Relu', [x]), tail]);
});

// Gradient ops take (gradients dy, features x or outputs y).
const dyx = (cx: LowerContext): [string, string] => [cx.input(0), cx.input(1)];
const zero = (cx: LowerContext) => cx.scalar(0, cx.op.inputs[0]!.dtype);
// x > 0 ? dy : 0
defineLowering(ReluGrad, (cx) => {
  const [dy, x] = dyx(cx);
  return cx.n1('Where', [cx.n1('Greater', [x, zero(cx)]), dy, zero(cx)]);
});
// 0 < x < 6 ? dy : 0
defineLowering(
  Relu6Grad,
  (cx) => {
    const [dy, x] = dyx(cx);
    const inside = cx.n1('And', [cx.n1('Greater', [x, zero(cx)]), cx.n1('Less', [x, f32(cx, 6)])]);
    return cx.n1('Where', [inside, dy, zero(cx)]);
  },
  isFloat,
);
// y < 0 ? dy * (y + 1) : dy
defineLowering(EluGrad, (cx) => {
  const [dy, y] = dyx(cx);
  return cx.n1('Where', [
    cx.n1('Less', [y, f32(cx, 0)]),
    cx.n1('Mul', [dy, cx.n1('Add', [y, f32(cx, 1)])]),
    dy,
  ]);
});
// dy * (y < 0 ? y + scale * alpha : scale)
defineLowering(SeluGrad, (cx) => {
  const [dy, y] = dyx(cx);
  const slope = cx.n1('Where', [
    cx.n1('Less', [y, f32(cx, 0)]),
    cx.n1('Add', [y, f32(cx, SELU_SCALE_ALPHA)]),
    f32(cx, SELU_SCALE),
  ]);
  return cx.n1('Mul', [dy, slope]);
});
// dy / (1 + |x|)^2
defineLowering(SoftsignGrad, (cx) => {
  const [dy, x] = dyx(cx);
  const d = cx.n1('Add', [cx.n1('Abs', [x]), f32(cx, 1)]);
  return cx.n1('Div', [dy, cx.n1('Mul', [d, d])]);
});
// dy * sigmoid(x)
defineLowering(SoftplusGrad, (cx) => {
  const [dy, x] = dyx(cx);
  return cx.n1('Mul', [dy, cx.n1('Sigmoid', [x])]);
});
// x > 0 ? dy : alpha * dy
defineLowering(LeakyReluGrad, (cx, { alpha }) => {
  const [dy, x] = dyx(cx);
  return cx.n1('Where', [cx.n1('Greater', [x, f32(cx, 0)]), dy, cx.n1('Mul', [dy, f32(cx, alpha)])]);
});

// NCHW: the bias broadcasts as [C, 1, ..., 1].
defineLowering(
  BiasAdd,
  (cx, { dataFormat }) => {
    const rank = rankOf(cx.op, 0)!;
    const bias =
      dataFormat === 'NHWC'
        ? cx.input(1)
        : cx.n1('Reshape', [cx.input(1), cx.int64s([-1, ...Array<number>(rank - 2).fill(1)])]);
    return cx.n1('Add', [cx.input(0), bias]);
  },
  hasRank(0),
);
// Sum over every axis but the channel one.
defineLowering(
  BiasAddGrad,
  (cx, { dataFormat }) => {
    const rank = rankOf(cx.op, 0)!;
    const c = dataFormat === 'NHWC' ? rank - 1 : 1;
    const axes = [...Array(rank).keys()].filter((i) => i !== c);
    return cx.n1('ReduceSum', [cx.input(0), cx.int64s(axes)], { keepdims: 0 });
  },
  hasRank(0),
);
// sum(t^2) / 2
defineLowering(L2Loss, (cx) => {
  const t = cx.input(0);
  return cx.n1('Div', [cx.n1('ReduceSum', [cx.n1('Mul', [t, t])], { keepdims: 0 }), f32(cx, 2)]);
});

// A transposed float MatMul is a Gemm (the transposes folded in; Gemm is float only in ONNX
// Runtime). A plain one stays MatMul: onnxruntime fuses MatMul + Add (BiasAdd) into one Gemm that
// adds the bias as C, which it does not do for a Gemm (the MLP's SGD step: 4% less model time).
defineLowering(MatMul, (cx, { transposeA, transposeB }) => {
  const [a, b] = [cx.input(0), cx.input(1)];
  if (cx.op.inputs[0]!.dtype === 'float32' && (transposeA || transposeB))
    return cx.n1('Gemm', [a, b], { transA: transposeA ? 1 : 0, transB: transposeB ? 1 : 0 });
  const t = (v: string, on: boolean) => (on ? cx.n1('Transpose', [v], { perm: [1, 0] }) : v);
  return cx.n1('MatMul', [t(a, transposeA), t(b, transposeB)]);
});
const swapLast = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];
defineLowering(
  BatchMatMulV2,
  (cx, { adjX, adjY }) => {
    const t = (k: number, on: boolean) =>
      on ? cx.n1('Transpose', [cx.input(k)], { perm: swapLast(rankOf(cx.op, k)!) }) : cx.input(k);
    return cx.n1('MatMul', [t(0, adjX), t(1, adjY)]);
  },
  (op) => hasRank(0)(op) && hasRank(1)(op),
);

defineLowering(Softmax, unary('Softmax', { axis: -1 }));
defineLowering(LogSoftmax, unary('LogSoftmax', { axis: -1 }));

// loss = -sum(labels * logsoftmax(logits), -1);  backprop = softmax(logits) - labels
const crossEntropy = (cx: LowerContext, labels: string): string[] => {
  const logp = cx.n1('LogSoftmax', [cx.input(0)], { axis: -1 });
  const loss = cx.n1('Neg', [
    cx.n1('ReduceSum', [cx.n1('Mul', [labels, logp]), cx.int64s([-1])], { keepdims: 0 }),
  ]);
  return [loss, cx.n1('Sub', [cx.n1('Exp', [logp]), labels])];
};
defineLowering(SoftmaxCrossEntropyWithLogits, (cx) => crossEntropy(cx, cx.input(1)));
// The one-hot labels are labels[:, None] == range(classes). A label outside [0, classes) fails
// the run with TF's message.
defineLowering(SparseSoftmaxCrossEntropyWithLogits, (cx) => {
  const labels = cx.input(1);
  const classes64 = cx.n1('Gather', [cx.n1('Shape', [cx.input(0)]), cx.int64s([1])], { axis: 0 });
  const classes = cx.n1('Cast', [classes64], { to: ONNX_DTYPE.int32 });
  // range(classes) as cumsum(ones) - 1 (onnxruntime's Range loses the type of a computed limit).
  const one = cx.scalar(1, 'int32');
  const ids = cx.n1('Sub', [
    cx.n1('CumSum', [cx.n1('Expand', [one, classes64]), cx.scalar(0, 'int32')]),
    one,
  ]);
  const hit = cx.n1('Equal', [cx.n1('Unsqueeze', [labels, cx.int64s([-1])]), ids]);
  // Extremes of labels + [0] (so an empty batch passes): TF names the first bad label, this the extreme one.
  const padded = cx.n1('Concat', [labels, cx.n1('Cast', [cx.int64s([0])], { to: ONNX_DTYPE.int32 })], {
    axis: 0,
  });
  const lo = cx.n1('ReduceMin', [padded], { keepdims: 0 });
  const hi = cx.n1('ReduceMax', [padded], { keepdims: 0 });
  cx.check([lo, hi, classes], ([min, max, n]) => {
    const bad = min! < 0 ? min : max! >= n! ? max : null;
    return bad === null
      ? null
      : `Received a label value of ${bad} which is outside the valid range of [0, ${n}).`;
  });
  return crossEntropy(cx, cx.n1('Cast', [hit], { to: ONNX_DTYPE.float32 }));
});
