// Reductions (ops/reduce.ts). Opset 18 takes axes as an int64 input; an empty axes list reduces
// nothing (noop_with_empty_axes), as TF does.

import type { OpDef } from '@graphmode/graph';
import { All, Any, ArgMax, ArgMin, constantValue, Max, Mean, Min, Prod, Sum } from '@graphmode/graph';
import { ONNX_DTYPE } from '../onnx_proto.js';
import { castInt64, defineLowering, type LowerContext } from './registry.js';

const axesOf = (cx: LowerContext) => cx.n1('Reshape', [castInt64(cx, cx.input(1)), cx.int64s([-1])]);
const reduce = (def: OpDef<{ keepDims: boolean }>, onnx: string, floatOnly = false) =>
  defineLowering(
    def,
    (cx, { keepDims }) =>
      cx.n1(onnx, [cx.input(0), axesOf(cx)], { keepdims: keepDims ? 1 : 0, noop_with_empty_axes: 1 }),
    (op) => !floatOnly || op.inputs[0]!.dtype === 'float32',
  );
reduce(Sum, 'ReduceSum');
// TF's integer mean divides with truncation; ONNX Runtime's does not say, so only floats lower.
reduce(Mean, 'ReduceMean', true);
reduce(Max, 'ReduceMax');
reduce(Min, 'ReduceMin');
reduce(Prod, 'ReduceProd');
// All/Any: min/max over the booleans as int32.
const logical = (def: OpDef<{ keepDims: boolean }>, onnx: string) =>
  defineLowering(def, (cx, { keepDims }) => {
    const ints = cx.n1('Cast', [cx.input(0)], { to: ONNX_DTYPE.int32 });
    const r = cx.n1(onnx, [ints, axesOf(cx)], { keepdims: keepDims ? 1 : 0, noop_with_empty_axes: 1 });
    return cx.n1('Cast', [r], { to: ONNX_DTYPE.bool });
  });
logical(All, 'ReduceMin');
logical(Any, 'ReduceMax');

// ONNX's axis is an attribute: only a constant dimension lowers. Ties pick the first index, as TF.
const arg = (def: OpDef, onnx: string) =>
  defineLowering(
    def,
    (cx) => {
      const axis = constantValue(cx.op.inputs[1]!)![0]!;
      const r = cx.n1(onnx, [cx.input(0)], { axis, keepdims: 0, select_last_index: 0 });
      return cx.n1('Cast', [r], { to: ONNX_DTYPE.int32 });
    },
    (op) => constantValue(op.inputs[1]!) !== null,
  );
arg(ArgMax, 'ArgMax');
arg(ArgMin, 'ArgMin');
