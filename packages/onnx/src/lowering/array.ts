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
// the two shapes are equal (TF's BCast). Needs the lengths of the two shape vectors.
defineLowering(
  BroadcastGradientArgs,
  (cx) => {
    const [n0, n1] = [0, 1].map((k) => cx.op.inputs[k]!.shape![0]!) as [number, number];
    const rank = Math.max(n0, n1);
    const ones = (n: number) => cx.n1('Cast', [cx.int64s(Array(n).fill(1))], { to: ONNX_DTYPE.int32 });
    const padded = (k: number, n: number) =>
      n === rank ? cx.input(k) : cx.n1('Concat', [ones(rank - n), cx.input(k)], { axis: 0 });
    const [s0, s1] = [padded(0, n0), padded(1, n1)];
    const one = cx.scalar(1, 'int32');
    const axes = cx.n1('Range', [cx.scalar(0, 'int32'), cx.scalar(rank, 'int32'), one]);
    const equalInt = cx.n1('Cast', [cx.n1('Equal', [s0, s1])], { to: ONNX_DTYPE.int32 });
    const same =
      n0 === n1
        ? cx.n1(
            'Cast',
            [cx.n1('ReduceMin', [cx.n1('Concat', [equalInt, ones(1)], { axis: 0 })], { keepdims: 0 })],
            { to: ONNX_DTYPE.bool },
          )
        : null;
    const pick = (s: string) => {
      const isOne = cx.n1('Equal', [s, one]);
      return cx.n1('Compress', [axes, same ? cx.n1('And', [isOne, cx.n1('Not', [same])]) : isOne], {
        axis: 0,
      });
    };
    return [pick(s0), pick(s1)];
  },
  (op) => rankOf(op, 0) === 1 && rankOf(op, 1) === 1 && op.inputs.every((t) => t.shape![0] !== null),
);
