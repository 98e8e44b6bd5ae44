// Gradient rules for ops/math.ts (TF's math_grad.py). See registry.ts for the rule contract:
// `dy` is the dense incoming gradient, `y` the op's saved output, and binary ops register with
// `{ broadcasts: true }` so their rules return output-shaped gradients that the driver sums down
// to each input's shape. Every rule is built from differentiable builders, so second-order works.
// Fused helper ops (TF's SigmoidGrad, TanhGrad, ...) are deliberately absent: tfjs has no fused
// kernel for them, so a helper op launches the same kernels as the composite and measured no
// faster (bench/fused_grad_ops.ts), while needing rules of its own.
import {
  Abs,
  AccumulateNV2,
  AddN,
  AddV2,
  add,
  Cast,
  Ceil,
  Cos,
  Cumprod,
  Cumsum,
  cast,
  cos,
  cumprod,
  cumsum,
  DivNoNan,
  div,
  divNoNan,
  Equal,
  Exp,
  Floor,
  FloorDiv,
  FloorMod,
  floorDiv,
  Greater,
  GreaterEqual,
  greater,
  greaterEqual,
  IsFinite,
  IsNan,
  isFloat,
  Less,
  LessEqual,
  Log,
  Log1p,
  LogicalAnd,
  LogicalNot,
  LogicalOr,
  lessEqual,
  log,
  Maximum,
  Minimum,
  Mul,
  mul,
  Neg,
  NotEqual,
  neg,
  onesLike,
  Pow,
  pow,
  RealDiv,
  Reciprocal,
  Round,
  Rsqrt,
  reciprocal,
  Sigmoid,
  Sign,
  Sin,
  Sqrt,
  Square,
  SquaredDifference,
  Sub,
  sign,
  sin,
  square,
  sub,
  Tanh,
  type Tensor,
  where,
  zerosLike,
} from '@graphmode/graph';
import { defineGradient, notDifferentiable } from '../registry.js';

const B = { broadcasts: true } as const;

// dy routed to x where `xWins`, else to y (TF's _MaximumMinimumGrad: ties go to x).
const select = (xWins: Tensor, dy: Tensor) => ({
  x: where(xWins, dy, zerosLike(dy)),
  y: where(xWins, zerosLike(dy), dy),
});

function registerBinary(): void {
  defineGradient(AddV2, (_, dy) => ({ x: dy, y: dy }), B);
  defineGradient(Sub, (_, dy) => ({ x: dy, y: neg(dy) }), B);
  defineGradient(Mul, ({ ins: { x, y } }, dy) => ({ x: mul(dy, y), y: mul(x, dy) }), B);
  // dx = dy / y, dy = dy * (-x / y / y)
  defineGradient(
    RealDiv,
    ({ ins: { x, y } }, dy) => ({ x: div(dy, y), y: mul(dy, div(div(neg(x), y), y)) }),
    B,
  );
  defineGradient(
    DivNoNan,
    ({ ins: { x, y } }, dy) => ({ x: divNoNan(dy, y), y: mul(dy, divNoNan(divNoNan(neg(x), y), y)) }),
    B,
  );
  // x mod y = x - floor(x / y) * y: dx = dy, dy = -dy * floor(x / y)
  defineGradient(FloorMod, ({ ins: { x, y } }, dy) => ({ x: dy, y: mul(dy, neg(floorDiv(x, y))) }), B);
  // dx = dy * y * x^(y-1); dy = dy * x^y * log(x), with log(x) taken as 0 where x <= 0.
  // NOTE: log reads a masked copy of x so no NaN reaches second-order gradients through `where`.
  defineGradient(
    Pow,
    ({ ins: { x, y }, y: z }, dy) => {
      const positive = greater(x, zerosLike(x));
      const logX = where(positive, log(where(positive, x, onesLike(x))), zerosLike(x));
      return { x: mul(dy, mul(y, pow(x, sub(y, onesLike(y))))), y: mul(dy, mul(z, logX)) };
    },
    B,
  );
  defineGradient(Maximum, ({ ins: { x, y } }, dy) => select(greaterEqual(x, y), dy), B);
  defineGradient(Minimum, ({ ins: { x, y } }, dy) => select(lessEqual(x, y), dy), B);
  // d/dx (x - y)^2 = 2 (x - y)
  defineGradient(
    SquaredDifference,
    ({ ins: { x, y } }, dy) => {
      const dx = mul(mul(dy, 2), sub(x, y));
      return { x: dx, y: neg(dx) };
    },
    B,
  );
  notDifferentiable(FloorDiv);
}

function registerUnary(): void {
  defineGradient(Neg, (_, dy) => ({ x: neg(dy) }));
  defineGradient(Abs, ({ ins: { x } }, dy) => ({ x: mul(dy, sign(x)) }));
  // Piecewise constant: TF returns zeros for Sign and no gradient (None) for Floor/Ceil/Round.
  defineGradient(Sign, ({ ins: { x } }) => ({ x: zerosLike(x) }));
  notDifferentiable(Floor, Ceil, Round);
  defineGradient(Square, ({ ins: { x } }, dy) => ({ x: mul(dy, mul(x, 2)) }));
  // dy * 0.5 / y
  defineGradient(Sqrt, ({ y }, dy) => ({ x: div(mul(dy, 0.5), y) }));
  // dy * -0.5 * y^3
  defineGradient(Rsqrt, ({ y }, dy) => ({ x: mul(dy, mul(mul(square(y), y), -0.5)) }));
  defineGradient(Exp, ({ y }, dy) => ({ x: mul(dy, y) }));
  defineGradient(Log, ({ ins: { x } }, dy) => ({ x: mul(dy, reciprocal(x)) }));
  defineGradient(Log1p, ({ ins: { x } }, dy) => ({ x: mul(dy, reciprocal(add(x, 1))) }));
  defineGradient(Sin, ({ ins: { x } }, dy) => ({ x: mul(dy, cos(x)) }));
  defineGradient(Cos, ({ ins: { x } }, dy) => ({ x: neg(mul(dy, sin(x))) }));
  // -dy * y^2
  defineGradient(Reciprocal, ({ y }, dy) => ({ x: mul(neg(dy), square(y)) }));
  // dy * (1 - y^2)
  defineGradient(Tanh, ({ y }, dy) => ({ x: mul(dy, sub(1, square(y))) }));
  // dy * y * (1 - y)
  defineGradient(Sigmoid, ({ y }, dy) => ({ x: mul(dy, mul(y, sub(1, y))) }));
}

function registerOthers(): void {
  defineGradient(AddN, ({ ins: { inputs } }, dy) => ({ inputs: inputs.map(() => dy) }));
  defineGradient(AccumulateNV2, ({ ins: { inputs } }, dy) => ({ inputs: inputs.map(() => dy) }));
  // Only float-to-float casts pass a gradient (TF's _CastGrad).
  defineGradient(Cast, ({ ins: { x }, attrs }, dy) => ({
    x: isFloat(x.dtype) && isFloat(attrs.dtype) ? cast(dy, x.dtype) : null,
  }));
  // A scan's adjoint is the same scan run the other way.
  defineGradient(Cumsum, ({ ins: { axis }, attrs: { exclusive, reverse } }, dy) => ({
    x: cumsum(dy, axis, { exclusive, reverse: !reverse }),
  }));
  // NOTE: divides by x, so (as in TF) the gradient is NaN/Inf where x == 0.
  defineGradient(Cumprod, ({ ins: { x, axis }, attrs: { exclusive, reverse } }, dy) => {
    const prod = cumprod(x, axis, { exclusive, reverse });
    return { x: div(cumsum(mul(prod, dy), axis, { exclusive, reverse: !reverse }), x) };
  });
  notDifferentiable(
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    LogicalAnd,
    LogicalOr,
    LogicalNot,
    IsFinite,
    IsNan,
  );
}

export function registerMathGradients(): void {
  registerBinary();
  registerUnary();
  registerOthers();
}
