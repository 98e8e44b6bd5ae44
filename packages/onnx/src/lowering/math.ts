// Elementwise math (ops/math.ts). ONNX's binary operators broadcast like NumPy, as TF's do.
import {
  Abs,
  AccumulateNV2,
  AddN,
  AddV2,
  Cast,
  Ceil,
  Cos,
  Cumsum,
  DivNoNan,
  Equal,
  Exp,
  Floor,
  FloorDiv,
  FloorMod,
  Greater,
  GreaterEqual,
  IsFinite,
  IsNan,
  Less,
  LessEqual,
  Log,
  Log1p,
  LogicalAnd,
  LogicalNot,
  LogicalOr,
  Maximum,
  Minimum,
  Mul,
  Neg,
  NotEqual,
  type OpDef,
  Pow,
  RealDiv,
  Reciprocal,
  Round,
  Rsqrt,
  Sigmoid,
  Sign,
  Sin,
  Sqrt,
  Square,
  SquaredDifference,
  Sub,
  Tanh,
} from '@graphmode/graph';
import { ONNX_DTYPE } from '../onnx_proto.js';
import { defineLowering, defineLowerings, isFloat, type LowerContext } from './registry.js';

const direct = (def: OpDef, onnx: string, accepts?: typeof isFloat) =>
  defineLowering(
    def,
    (cx) =>
      cx.n1(
        onnx,
        cx.op.inputs.map((_, k) => cx.input(k)),
      ),
    accepts,
  );

direct(AddV2, 'Add');
direct(Sub, 'Sub');
direct(Mul, 'Mul');
direct(RealDiv, 'Div');
direct(Maximum, 'Max');
direct(Minimum, 'Min');
direct(Pow, 'Pow', isFloat);
direct(Neg, 'Neg');
direct(Abs, 'Abs');
direct(Sign, 'Sign');
direct(Sqrt, 'Sqrt');
direct(Exp, 'Exp');
direct(Log, 'Log');
direct(Sin, 'Sin');
direct(Cos, 'Cos');
direct(Reciprocal, 'Reciprocal');
direct(Floor, 'Floor');
direct(Ceil, 'Ceil');
direct(Round, 'Round'); // both round half to even
direct(Tanh, 'Tanh');
direct(Sigmoid, 'Sigmoid');
direct(Equal, 'Equal');
direct(Less, 'Less');
direct(LessEqual, 'LessOrEqual');
direct(Greater, 'Greater');
direct(GreaterEqual, 'GreaterOrEqual');
direct(LogicalAnd, 'And');
direct(LogicalOr, 'Or');
direct(LogicalNot, 'Not');
direct(IsNan, 'IsNaN');

const xy = (cx: LowerContext): [string, string] => [cx.input(0), cx.input(1)];
const zeroLike = (cx: LowerContext) => cx.scalar(0, cx.op.inputs[0]!.dtype);

// x * x
defineLowering(Square, (cx) => cx.n1('Mul', [cx.input(0), cx.input(0)]));
// 1 / sqrt(x)
defineLowering(Rsqrt, (cx) => cx.n1('Reciprocal', [cx.n1('Sqrt', [cx.input(0)])]));
// log(1 + x)  NOTE: loses precision for |x| < 1e-7, where log1p(x) ≈ x
defineLowering(Log1p, (cx) => cx.n1('Log', [cx.n1('Add', [cx.input(0), cx.scalar(1, 'float32')])]));
// (x - y)^2
defineLowering(SquaredDifference, (cx) => {
  const d = cx.n1('Sub', xy(cx));
  return cx.n1('Mul', [d, d]);
});
// y == 0 ? 0 : x / y
defineLowering(DivNoNan, (cx) => {
  const [x, y] = xy(cx);
  const zero = zeroLike(cx);
  return cx.n1('Where', [cx.n1('Equal', [y, zero]), zero, cx.n1('Div', [x, y])]);
});
defineLowering(NotEqual, (cx) => cx.n1('Not', [cx.n1('Equal', xy(cx))]));
// !(isinf(x) || isnan(x))
defineLowering(IsFinite, (cx) => {
  const x = cx.input(0);
  return cx.n1('Not', [cx.n1('Or', [cx.n1('IsInf', [x]), cx.n1('IsNaN', [x])])]);
});
defineLowering(Cast, (cx, { dtype }) => cx.n1('Cast', [cx.input(0)], { to: ONNX_DTYPE[dtype] }));

// Integers: ONNX's Div truncates and its Mod fails on a zero divisor (as TF does) where tfjs
// gives 0; a zero divisor is replaced and its result set to 0, so every backend agrees.
// Shape arithmetic in gradient graphs (reduceMean's) needs these inside ONNX.
const intDivision = (cx: LowerContext, op: (x: string, y: string, mod: string) => string) => {
  const [x, y] = xy(cx);
  const zero = zeroLike(cx);
  const isZero = cx.n1('Equal', [y, zero]);
  const safe = cx.n1('Where', [isZero, cx.scalar(1, 'int32'), y]);
  return cx.n1('Where', [isZero, zero, op(x, safe, cx.n1('Mod', [x, safe], { fmod: 0 }))]);
};
const isInt = (cx: LowerContext) => cx.op.inputs[0]!.dtype === 'int32';
// floor(x / y); integers: (x - floormod(x, y)) / y, exact
defineLowering(FloorDiv, (cx) =>
  isInt(cx)
    ? intDivision(cx, (x, y, mod) => cx.n1('Div', [cx.n1('Sub', [x, mod]), y]))
    : cx.n1('Floor', [cx.n1('Div', xy(cx))]),
);
// x - floor(x / y) * y, with the sign of y (ONNX's float Mod needs fmod=1: C's sign rule)
defineLowering(FloorMod, (cx) => {
  if (isInt(cx)) return intDivision(cx, (_x, _y, mod) => mod);
  const [x, y] = xy(cx);
  return cx.n1('Sub', [x, cx.n1('Mul', [cx.n1('Floor', [cx.n1('Div', [x, y])]), y])]);
});
// onnxruntime's Sum is float-only: integers add pairwise.
defineLowerings([AddN, AccumulateNV2], (cx) => {
  const xs = cx.op.inputs.map((_, k) => cx.input(k));
  if (cx.op.inputs[0]!.dtype === 'float32') return cx.n1('Sum', xs);
  return xs.slice(1).reduce((acc, x) => cx.n1('Add', [acc, x]), xs[0]!);
});

defineLowering(Cumsum, (cx, { exclusive, reverse }) =>
  cx.n1('CumSum', [cx.input(0), cx.input(1)], { exclusive: exclusive ? 1 : 0, reverse: reverse ? 1 : 0 }),
);
