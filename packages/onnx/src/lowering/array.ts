// Shapes, reshapes, transposes, broadcasts (ops/array.ts). Shape-valued inputs are int32 tensors
// in the graph; ONNX wants int64, so they are cast on the way in and results cast back.
import {
  BroadcastGradientArgs,
  BroadcastTo,
  constantValue,
  ExpandDims,
  type Operation,
  Rank,
  Reshape,
  ShapeOp,
  Size,
  Squeeze,
  Transpose,
} from '@graphmode/graph';
import { ONNX_DTYPE } from '../onnx_proto.js';
import { castInt32, castInt64, defineLowering, type LowerContext, rankOf } from './registry.js';

const constant = (k: number) => (op: Operation) => constantValue(op.inputs[k]!) !== null;

defineLowering(ShapeOp, (cx) => castInt32(cx, cx.n1('Shape', [cx.input(0)])));
defineLowering(Size, (cx) => castInt32(cx, cx.n1('Size', [cx.input(0)])));
defineLowering(Rank, (cx) => castInt32(cx, cx.n1('Size', [cx.n1('Shape', [cx.input(0)])])));
// allowzero: a 0 in the target shape is a zero-sized dim (TF), not "copy the input dim" (ONNX default).
defineLowering(Reshape, (cx) =>
  cx.n1('Reshape', [cx.input(0), castInt64(cx, cx.input(1))], { allowzero: 1 }),
);
const vector = (cx: LowerContext, k: number) =>
  cx.n1('Reshape', [castInt64(cx, cx.input(k)), cx.int64s([-1])]);
defineLowering(ExpandDims, (cx) => cx.n1('Unsqueeze', [cx.input(0), vector(cx, 1)]));
defineLowering(Squeeze, (cx, { squeezeDims }) =>
  squeezeDims.length === 0
    ? cx.n1('Squeeze', [cx.input(0)])
    : cx.n1('Squeeze', [cx.input(0), cx.int64s(squeezeDims)]),
);
// ONNX's perm is an attribute: a constant perm (or none, with a known rank) lowers.
defineLowering(
  Transpose,
  (cx) => cx.n1('Transpose', [cx.input(0)], { perm: constantValue(cx.op.inputs[1]!)! }),
  constant(1),
);
defineLowering(BroadcastTo, (cx) => cx.n1('Expand', [cx.input(0), castInt64(cx, cx.input(1))]));

// Per input: the axes (of the broadcast shape) where its left-padded dim is 1 — none at all when
// the two shapes are equal (TF's BCast). Shape vectors of any length, known or not.
defineLowering(
  BroadcastGradientArgs,
  (cx) => {
    const i32 = (v: string) => cx.n1('Cast', [v], { to: ONNX_DTYPE.int32 });
    const one = cx.scalar(1, 'int32');
    const [s0, s1] = [cx.input(0), cx.input(1)];
    const [n0, n1] = [cx.n1('Size', [s0]), cx.n1('Size', [s1])];
    const rank = cx.n1('Reshape', [cx.n1('Max', [n0, n1]), cx.int64s([1])]);
    const padded = (s: string, n: string) =>
      cx.n1('Concat', [cx.n1('Expand', [one, cx.n1('Sub', [rank, n])]), s], { axis: 0 });
    const [p0, p1] = [padded(s0, n0), padded(s1, n1)];
    // range(rank) as cumsum(ones) - 1 (onnxruntime's Range loses the type of a computed limit)
    const axes = cx.n1('Sub', [cx.n1('CumSum', [cx.n1('Expand', [one, rank]), cx.scalar(0, 'int32')]), one]);
    const allEqual = cx.n1(
      'ReduceMin',
      [cx.n1('Concat', [i32(cx.n1('Equal', [p0, p1])), i32(cx.int64s([1]))], { axis: 0 })],
      { keepdims: 0 },
    );
    const same = cx.n1('And', [cx.n1('Equal', [n0, n1]), cx.n1('Cast', [allEqual], { to: ONNX_DTYPE.bool })]);
    const pick = (p: string) =>
      cx.n1('Compress', [axes, cx.n1('And', [cx.n1('Equal', [p, one]), cx.n1('Not', [same])])], { axis: 0 });
    return [pick(p0), pick(p1)];
  },
  (op) => rankOf(op, 0) === 1 && rankOf(op, 1) === 1,
);
