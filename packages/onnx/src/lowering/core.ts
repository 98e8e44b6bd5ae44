// Constants, identities, checks, fills and variable updates (ops/core.ts, sources.ts, state.ts).
import {
  Assign,
  AssignAdd,
  AssignSub,
  CheckNumerics,
  Const,
  Fill,
  Identity,
  NoOp,
  OnesLike,
  PlaceholderWithDefault,
  PreventGradient,
  Range,
  StopGradient,
  ZerosLike,
} from '@graphmode/graph';
import { ONNX_DTYPE } from '../onnx_proto.js';
import { castInt64, defineLowering, defineLowerings, type LowerContext } from './registry.js';

defineLowering(Const, (cx, { value }) => cx.constant(value));

defineLowerings([Identity, StopGradient, PreventGradient, PlaceholderWithDefault], (cx) =>
  cx.n1('Identity', [cx.input(0)]),
);
defineLowering(NoOp, () => []);

// Identity, plus NaN/Inf counts the executor checks after the segment (TF's message).
defineLowering(CheckNumerics, (cx, { message }) => {
  const x = cx.input(0);
  const count = (flag: string) =>
    cx.n1('ReduceSum', [cx.n1('Cast', [flag], { to: ONNX_DTYPE.int32 })], { keepdims: 0 });
  cx.check([count(cx.n1('IsNaN', [x])), count(cx.n1('IsInf', [x]))], ([nan, inf]) =>
    nan! > 0 || inf! > 0
      ? `${message} : Tensor had ${nan && inf ? 'Inf and NaN' : nan ? 'NaN' : 'Inf'} values`
      : null,
  );
  return cx.n1('Identity', [x]);
});

const fillLike = (cx: LowerContext, value: number) => {
  const dtype = cx.op.outputs[0]!.dtype;
  return cx.n1('Expand', [cx.scalar(value, dtype), cx.n1('Shape', [cx.input(0)])]);
};
defineLowering(ZerosLike, (cx) => fillLike(cx, 0));
defineLowering(OnesLike, (cx) => fillLike(cx, 1));
defineLowering(Fill, (cx) => cx.n1('Expand', [cx.input(1), castInt64(cx, cx.input(0))]));
defineLowering(Range, (cx) => cx.n1('Range', [cx.input(0), cx.input(1), cx.input(2)]));

// Variable updates: the new value becomes the variable's value for later readers in the segment
// and a segment output the executor stores.
defineLowering(Assign, (cx) => {
  const v = cx.n1('Identity', [cx.input(1)]);
  cx.writeRef(0, v);
  return v;
});
const update = (onnx: string) => (cx: LowerContext) => {
  const v = cx.n1(onnx, [cx.readRef(0), cx.input(1)]);
  cx.writeRef(0, v);
  return v;
};
defineLowering(AssignAdd, update('Add'));
defineLowering(AssignSub, update('Sub'));
