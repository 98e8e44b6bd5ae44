// Joins, splits, pads, slices, gathers, selects (ops/joins.ts, slicing.ts, select.ts). Axes that
// ONNX takes as attributes must be constants in the graph; other instances run on tfjs.
import {
  ConcatV2,
  constantValue,
  GatherV2,
  OneHot,
  type Operation,
  Pack,
  Pad,
  PadV2,
  ReverseV2,
  Select,
  Slice,
  Split,
  SplitV,
  StridedSlice,
  StridedSliceGrad,
  stridedSliceSpec,
  Tile,
  Unpack,
  UnsortedSegmentSum,
} from '@graphmode/graph';
import { castInt64, defineLowering, type LowerContext, rankOf } from './registry.js';

const constantAt = (k: number) => (op: Operation) => constantValue(op.inputs[k]!) !== null;
const constantOf = (cx: LowerContext, k: number) => constantValue(cx.op.inputs[k]!)!;
// Past any real dim (2 ** 63 - 1 is not a double; it would round to 2 ** 63 and wrap).
const INT64_MAX = 2 ** 62;
const INT64_MIN = -(2 ** 63);

defineLowering(
  ConcatV2,
  (cx) => {
    const n = cx.op.inputs.length - 1;
    const parts = Array.from({ length: n }, (_, k) => cx.input(k));
    return cx.n1('Concat', parts, { axis: constantOf(cx, n)[0]! });
  },
  (op) => constantAt(op.inputs.length - 1)(op),
);
// Unsqueeze's negative axis counts in the output rank, as stack's does.
defineLowering(Pack, (cx, { axis }) => {
  const parts = cx.op.inputs.map((_, k) => cx.n1('Unsqueeze', [cx.input(k), cx.int64s([axis])]));
  return cx.n1('Concat', parts, { axis });
});
defineLowering(Unpack, (cx, { num, axis }) =>
  cx
    .node('Split', [cx.input(0)], { axis, num_outputs: num }, num)
    .map((p) => cx.n1('Squeeze', [p, cx.int64s([axis])])),
);
defineLowering(
  Split,
  (cx, { numSplit }) =>
    cx.node('Split', [cx.input(1)], { axis: constantOf(cx, 0)[0]!, num_outputs: numSplit }, numSplit),
  constantAt(0),
);
defineLowering(
  SplitV,
  (cx, { numSplit }) =>
    cx.node('Split', [cx.input(0), cx.int64s(constantOf(cx, 1))], { axis: constantOf(cx, 2)[0]! }, numSplit),
  // A -1 size is inferred by TF; ONNX wants every size.
  (op) => constantAt(2)(op) && constantAt(1)(op) && !constantValue(op.inputs[1]!)!.includes(-1),
);
defineLowering(Tile, (cx) => cx.n1('Tile', [cx.input(0), castInt64(cx, cx.input(1))]));

// TF's [rank, 2] paddings are ONNX's [begins..., ends...].
const pads = (cx: LowerContext) =>
  cx.n1('Reshape', [cx.n1('Transpose', [castInt64(cx, cx.input(1))], { perm: [1, 0] }), cx.int64s([-1])]);
defineLowering(Pad, (cx) => cx.n1('Pad', [cx.input(0), pads(cx)]));
defineLowering(PadV2, (cx) => cx.n1('Pad', [cx.input(0), pads(cx), cx.input(2)]));

// ends = size == -1 ? (to the end) : begin + size
defineLowering(Slice, (cx) => {
  const begin = castInt64(cx, cx.input(1));
  const size = castInt64(cx, cx.input(2));
  const toEnd = cx.n1('Equal', [size, cx.int64s([-1])]);
  const ends = cx.n1('Where', [toEnd, cx.int64s([INT64_MAX]), cx.n1('Add', [begin, size])]);
  return cx.n1('Slice', [cx.input(0), begin, ends]);
});
defineLowering(
  ReverseV2,
  (cx) => {
    const axes = constantOf(cx, 1);
    const k = axes.length;
    if (k === 0) return cx.n1('Identity', [cx.input(0)]);
    const minus = cx.int64s(Array(k).fill(-1));
    return cx.n1('Slice', [cx.input(0), minus, cx.int64s(Array(k).fill(INT64_MIN)), cx.int64s(axes), minus]);
  },
  constantAt(1),
);
// onnxruntime would read a negative index from the back; TF (and tfjs) fail, naming the first
// index outside [0, n): a check flags it after the segment.
defineLowering(
  GatherV2,
  (cx) => {
    const axis = constantOf(cx, 2)[0]!;
    const [params, indices] = [cx.input(0), cx.input(1)];
    const i32 = (v: string) => cx.n1('Cast', [v], { to: 6 });
    const flat = cx.n1('Reshape', [indices, cx.int64s([-1])]);
    const n = i32(cx.n1('Gather', [cx.n1('Shape', [params]), cx.int64s([axis])], { axis: 0 }));
    const bad = cx.n1('Or', [
      cx.n1('Less', [flat, cx.scalar(0, 'int32')]),
      cx.n1('GreaterOrEqual', [flat, n]),
    ]);
    // argmax over bad + [true]: the first bad position, or the length when there is none
    const sentinel = cx.n1('Cast', [cx.int64s([1])], { to: 9 });
    const first = cx.n1('ArgMax', [i32(cx.n1('Concat', [bad, sentinel], { axis: 0 }))], {
      axis: 0,
      keepdims: 1,
    });
    const value = cx.n1('Gather', [cx.n1('Concat', [flat, i32(cx.int64s([0]))], { axis: 0 }), first], {
      axis: 0,
    });
    cx.check([i32(first), value, n, i32(cx.n1('Size', [flat]))], ([at, v, size, len]) =>
      at! < len! ? `indices[${at}] = ${v} is not in [0, ${size})` : null,
    );
    return cx.n1('Gather', [params, indices], { axis });
  },
  constantAt(2),
);
// out[i] = sum of data rows whose id is i: ScatterND-add into zeros of [numSegments, ...rows].
// TF drops rows with a negative id (ScatterND would count it from the back): they add zeros to row 0.
defineLowering(
  UnsortedSegmentSum,
  (cx) => {
    const raw = cx.input(1);
    const dropped = cx.n1('Less', [raw, cx.scalar(0, 'int32')]);
    const rank = rankOf(cx.op, 0)!;
    const rowMask = cx.n1('Unsqueeze', [dropped, cx.int64s([...Array(rank - 1).keys()].map((i) => i + 1))]);
    const data = cx.n1('Where', [rowMask, cx.scalar(0, cx.op.inputs[0]!.dtype), cx.input(0)]);
    const rows = cx.n1('Slice', [cx.n1('Shape', [data]), cx.int64s([1]), cx.int64s([INT64_MAX])]);
    const shape = cx.n1('Concat', [cx.n1('Reshape', [castInt64(cx, cx.input(2)), cx.int64s([1])]), rows], {
      axis: 0,
    });
    const zeros = cx.n1('Expand', [cx.scalar(0, cx.op.inputs[0]!.dtype), shape]);
    const kept = cx.n1('Where', [dropped, cx.scalar(0, 'int32'), raw]);
    const ids = cx.n1('Unsqueeze', [castInt64(cx, kept), cx.int64s([-1])]);
    return cx.n1('ScatterND', [zeros, ids, data], { reduction: 'add' });
  },
  (op) => rankOf(op, 1) === 1 && rankOf(op, 0) !== null,
);
// TF's masks resolved by the graph's own stridedSliceSpec (a static input shape and constant
// begin/end/strides), then one Slice with steps and a Reshape that drops shrunk axes and adds new ones.
defineLowering(
  StridedSlice,
  (cx, masks) => {
    const [b, e, st] = [1, 2, 3].map((k) => constantOf(cx, k));
    const spec = stridedSliceSpec(cx.op.inputs[0]!.shape!, b!, e!, st!, masks);
    const starts: number[] = [];
    const ends: number[] = [];
    spec.dims.forEach((d) => {
      const [begin, size, stride] = [d.begin!, d.size!, d.stride];
      const last = begin + (size - 1) * stride;
      starts.push(size === 0 ? 0 : begin);
      // An end before index 0 would count from the back in ONNX: INT64_MIN means "past the front".
      ends.push(size === 0 ? 0 : stride > 0 ? last + 1 : last - 1 < 0 ? INT64_MIN : last - 1);
    });
    const axes = spec.dims.map((_, i) => i);
    const steps = spec.dims.map((d) => d.stride);
    const sliced = cx.n1('Slice', [
      cx.input(0),
      cx.int64s(starts),
      cx.int64s(ends),
      cx.int64s(axes),
      cx.int64s(steps),
    ]);
    return cx.n1('Reshape', [sliced, cx.int64s(spec.shape as number[])], { allowzero: 1 });
  },
  (op) =>
    op.inputs[0]!.shape !== null &&
    op.inputs[0]!.shape.every((d) => d !== null) &&
    [1, 2, 3].every((k) => constantAt(k)(op)),
);
// The gradient of a unit-stride slice: dy (as the sliced block) padded with zeros to the input.
defineLowering(
  StridedSliceGrad,
  (cx, masks) => {
    const shape = cx.op.outputs[0]!.shape as number[];
    const [b, e, st] = [1, 2, 3].map((k) => constantOf(cx, k));
    const spec = stridedSliceSpec(shape, b!, e!, st!, masks);
    const sizes = spec.dims.map((d) => d.size!);
    const block = cx.n1('Reshape', [cx.input(4), cx.int64s(sizes)], { allowzero: 1 });
    const before = spec.dims.map((d) => (d.size === 0 ? 0 : d.begin!));
    const after = shape.map((n, i) => n - before[i]! - sizes[i]!);
    return cx.n1('Pad', [block, cx.int64s([...before, ...after])]);
  },
  (op) => {
    const shape = op.outputs[0]!.shape;
    if (shape === null || shape.some((d) => d === null) || ![1, 2, 3].every((k) => constantAt(k)(op)))
      return false;
    const m = op.attrs as Parameters<typeof stridedSliceSpec>[4];
    const [b, e, st] = [1, 2, 3].map((k) => constantValue(op.inputs[k]!)!);
    return stridedSliceSpec(shape, b!, e!, st!, m).dims.every((d) => d.stride === 1);
  },
);
// indices[..., None] == range(depth) picks on/off values (out-of-range indices give all off, as TF).
defineLowering(
  OneHot,
  (cx) => {
    const ids = cx.n1('Range', [cx.scalar(0, 'int32'), cx.input(1), cx.scalar(1, 'int32')]);
    const hit = cx.n1('Equal', [cx.n1('Unsqueeze', [cx.input(0), cx.int64s([-1])]), ids]);
    return cx.n1('Where', [hit, cx.input(2), cx.input(3)]);
  },
  (op) => {
    const { axis } = op.attrs as { axis: number };
    return axis === -1 || axis === rankOf(op, 0);
  },
);
// A vector condition picks rows: it broadcasts as [n, 1, ..., 1].
defineLowering(
  Select,
  (cx) => {
    const [rc, rt] = [rankOf(cx.op, 0)!, rankOf(cx.op, 1)!];
    const c =
      rc === 1 && rt > 1
        ? cx.n1('Unsqueeze', [cx.input(0), cx.int64s([...Array(rt - 1).keys()].map((i) => i + 1))])
        : cx.input(0);
    return cx.n1('Where', [c, cx.input(1), cx.input(2)]);
  },
  (op) => rankOf(op, 0) !== null && rankOf(op, 1) !== null,
);
