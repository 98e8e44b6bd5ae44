// Elementwise math: unary and broadcasting binary ops, AddN, casts and comparisons.

import * as tfc from '@tensorflow/tfjs-core';
import { type AttrSchema, attrOf, fixedAttr, lengthOf, outputShape, typeOf } from '../attr_schema.js';
import { constantValue, foldBinary, foldUnary, partialValue } from '../constant_value.js';
import { type NameOpt, opScope, optionalArg, type TensorInput, toTensor, toTensorPair } from '../convert.js';
import type { DType } from '../dtype.js';
import { broadcastShapes, formatShape, normalizeAxis, shapesCompatible } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, FLOAT, NUMERIC, type OpSpec, requireDtype, sameDtype } from '../op_def.js';
import { named } from '../options.js';
import { float32Kernel } from './typed_kernel.js';

const BOOL: readonly DType[] = ['bool'];
type Unary = (x: tfc.Tensor) => tfc.Tensor;
type Binary = (a: tfc.Tensor, b: tfc.Tensor) => tfc.Tensor;

// Elementwise kernels call the tfjs kernel by name rather than the public op: the public op's
// wrapper repeats dtype and broadcast checks our rules made at build time and opens a scope per
// call, which costs more than the Session's whole per-op overhead (bench/overhead.ts: 2,000
// chained adds at 0.8x eager through runKernel, 1.2x through tfc.add).
const kernel1 =
  (name: string): Unary =>
  (x) =>
    tfc.engine().runKernel(name, { x }) as tfc.Tensor;
const kernel2 =
  (name: string): Binary =>
  (a, b) => {
    // NOTE: tfjs-cpu broadcasts a size-1 operand of rank > 0 ([1,1] from keepDims reductions)
    // element by element, ~4x slower than a rank-0 one; the result shape is the same as long as
    // the other operand has at least its rank.
    const sa = isSqueezable(a, b) ? tfc.reshape(a, []) : a;
    const sb = sa === a && isSqueezable(b, a) ? tfc.reshape(b, []) : b;
    try {
      return tfc.engine().runKernel(name, { a: sa, b: sb }) as tfc.Tensor;
    } finally {
      if (sa !== a) sa.dispose();
      if (sb !== b) sb.dispose();
    }
  };
const isSqueezable = (t: tfc.Tensor, other: tfc.Tensor): boolean =>
  t.rank > 0 && t.size === 1 && t.rank <= other.rank && other.size > 1;

type Fold = NonNullable<OpSpec<'x' | 'y', never, object>['fold']>;
// Logical ops take bool only, so TF declares no type attr `T` for them.
const typeAttrs = (allowed: readonly DType[]): AttrSchema<'x', never> =>
  allowed === BOOL ? {} : { T: typeOf('x') };

/** An elementwise op of one input whose dtype is one of `allowed`. */
export const unaryOp = (
  type: string,
  kernel: Unary,
  allowed: readonly DType[] = NUMERIC,
  fold?: Fold,
  outputArg = 'y',
) =>
  defineOp<'x'>({
    type,
    outputArgs: [outputArg],
    inputs: ['x'],
    attrs: typeAttrs(allowed),
    ...(fold ? { fold } : {}),
    shape: ({ x }) => x.shape,
    dtype: ({ x }) => requireDtype(x, allowed, 'x'),
    kernel: ({ x }) => kernel(x),
  });

/** A broadcasting op of two same-dtype inputs; `out` gives the result dtype (comparisons: bool). */
export const binaryOp = (
  type: string,
  kernel: Binary,
  allowed: readonly DType[] = NUMERIC,
  out?: DType,
  fold?: Fold,
) =>
  defineOp<'x' | 'y'>({
    type,
    outputArgs: ['z'],
    inputs: ['x', 'y'],
    attrs: typeAttrs(allowed),
    ...(fold ? { fold } : {}),
    shape: ({ x, y }) => broadcastShapes(x.shape, y.shape),
    dtype: ({ x, y }) => (requireDtype(x, allowed, 'x'), sameDtype(x, y), out ?? x.dtype),
    kernel: ({ x, y }) => kernel(x, y),
  });

type UnaryDef = ReturnType<typeof unaryOp>;
type BinaryDef = ReturnType<typeof binaryOp>;
/** The builder of a `unaryOp`; `argName` names a constant made from a plain `x` (TF's arg name). */
export const unary =
  (def: UnaryDef, defaultName: string, builder: string, argName = 'x') =>
  (x: TensorInput, opts: NameOpt = {}): Tensor =>
    opScope(named(builder, opts), defaultName, [x], (name) =>
      def.apply({ x: toTensor(x, undefined, argName) }, {}, { name }),
    );
const binary =
  (def: BinaryDef, defaultName: string, builder: string) =>
  (x: TensorInput, y: TensorInput, opts: NameOpt = {}): Tensor =>
    opScope(named(builder, opts), defaultName, [x, y], (name) => {
      const [tx, ty] = toTensorPair(x, y);
      return def.apply({ x: tx, y: ty }, {}, { name });
    });

const ALL: readonly DType[] = ['float32', 'int32', 'bool', 'string'];

// ---- binary arithmetic ----------------------------------------------------------------------
export const AddV2 = binaryOp(
  'AddV2',
  kernel2('Add'),
  NUMERIC,
  undefined,
  foldBinary((a, b) => a + b),
);
export const Sub = binaryOp(
  'Sub',
  kernel2('Sub'),
  NUMERIC,
  undefined,
  foldBinary((a, b) => a - b),
);
export const Mul = binaryOp(
  'Mul',
  kernel2('Multiply'),
  NUMERIC,
  undefined,
  foldBinary((a, b) => a * b),
);
export const RealDiv = binaryOp('RealDiv', kernel2('RealDiv'), FLOAT);
// tfjs's floorDiv always yields int32; TF keeps the input dtype.
const floorDivKernel: Binary = (a, b) =>
  a.dtype === 'int32' ? tfc.floorDiv(a, b) : tfc.tidy(() => tfc.floor(tfc.div(a, b)));
export const FloorDiv = binaryOp('FloorDiv', floorDivKernel);
const floorMod = (a: number, b: number): number => a - Math.floor(a / b) * b;
export const FloorMod = binaryOp('FloorMod', kernel2('Mod'), NUMERIC, undefined, foldBinary(floorMod));
export const Pow = binaryOp('Pow', kernel2('Pow'));
export const Maximum = binaryOp('Maximum', kernel2('Maximum'), NUMERIC, undefined, foldBinary(Math.max));
export const Minimum = binaryOp('Minimum', kernel2('Minimum'), NUMERIC, undefined, foldBinary(Math.min));
export const SquaredDifference = binaryOp('SquaredDifference', kernel2('SquaredDifference'));
// tfjs's divNoNan is four kernels (equal, div, zerosLike, where), each with tfjs's per-call cost;
// a loss's scalar divisions (mean of the weighted losses and its gradient) take one small loop.
// JS divides in double, and rounding that to float32 is float32's own correctly rounded quotient.
const SMALL = 4096;
const divNoNanKernel: Binary = (x, y) => {
  const scalar = (t: tfc.Tensor) => t.size === 1 && t.rank === 0;
  const elementwise = tfc.util.arraysEqual(x.shape, y.shape) || scalar(x) || scalar(y);
  if (x.dtype !== 'float32' || !elementwise || Math.max(x.size, y.size) > SMALL) return tfc.divNoNan(x, y);
  const shape = scalar(x) ? y.shape : x.shape;
  return float32Kernel([x, y], [shape], ([a, b], [z]) => {
    for (let i = 0; i < z!.length; i++) {
      const d = b![b!.length === 1 ? 0 : i]!;
      z![i] = d === 0 ? 0 : a![a!.length === 1 ? 0 : i]! / d;
    }
  })[0]!;
};
export const DivNoNan = binaryOp('DivNoNan', divNoNanKernel, FLOAT);

// Default names follow TF 1.15's functions: tf.add/subtract/multiply are the generated Add/Sub/Mul
// wrappers (named after the op), while div/truediv/floordiv open a lower-case name scope.
/** x + y with NumPy broadcasting. @example add(x, 1) // a JS number takes x's dtype */
export const add = binary(AddV2, 'Add', 'add');
/** x - y with broadcasting. @example sub(1, y) */
export const sub = binary(Sub, 'Sub', 'sub');
/** x * y with broadcasting. @example mul(dy, y) */
export const mul = binary(Mul, 'Mul', 'mul');
/** x / y; integers divide with floor (TF's `tf.div` on ints), floats exactly. @example div(x, 2) */
export const div = (x: TensorInput, y: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('div', opts), 'div', [x, y], (name) => {
    const [tx, ty] = toTensorPair(x, y);
    const def = tx.dtype === 'int32' ? FloorDiv : RealDiv;
    return def.apply({ x: tx, y: ty }, {}, { name });
  });
export const realDiv = binary(RealDiv, 'truediv', 'realDiv');
export const floorDiv = binary(FloorDiv, 'floordiv', 'floorDiv');
/** Remainder of floor division: the result has the sign of `y` (TF's `tf.mod` / floormod). */
export const mod = binary(FloorMod, 'FloorMod', 'mod');
/** x ** y elementwise. @example pow(x, 3) */
export const pow = binary(Pow, 'Pow', 'pow');
export const maximum = binary(Maximum, 'Maximum', 'maximum');
export const minimum = binary(Minimum, 'Minimum', 'minimum');
export const squaredDifference = binary(SquaredDifference, 'SquaredDifference', 'squaredDifference');
export const divNoNan = binary(DivNoNan, 'div_no_nan', 'divNoNan');

// ---- unary math -----------------------------------------------------------------------------
export const Neg = unaryOp(
  'Neg',
  kernel1('Neg'),
  NUMERIC,
  foldUnary((x) => -x),
);
export const Abs = unaryOp('Abs', kernel1('Abs'));
export const Sign = unaryOp('Sign', kernel1('Sign'));
export const Square = unaryOp('Square', kernel1('Square'));
export const Sqrt = unaryOp('Sqrt', kernel1('Sqrt'), FLOAT);
export const Rsqrt = unaryOp('Rsqrt', kernel1('Rsqrt'), FLOAT);
export const Exp = unaryOp('Exp', kernel1('Exp'), FLOAT);
export const Log = unaryOp('Log', kernel1('Log'), FLOAT);
export const Log1p = unaryOp('Log1p', kernel1('Log1p'), FLOAT);
export const Sin = unaryOp('Sin', kernel1('Sin'), FLOAT);
export const Cos = unaryOp('Cos', kernel1('Cos'), FLOAT);
export const Reciprocal = unaryOp('Reciprocal', kernel1('Reciprocal'), FLOAT);
export const Floor = unaryOp('Floor', kernel1('Floor'), FLOAT);
export const Ceil = unaryOp('Ceil', kernel1('Ceil'), FLOAT);
export const Round = unaryOp('Round', kernel1('Round'), FLOAT);
export const Tanh = unaryOp('Tanh', kernel1('Tanh'), FLOAT);
export const Sigmoid = unaryOp('Sigmoid', kernel1('Sigmoid'), FLOAT);

export const neg = unary(Neg, 'Neg', 'neg');
export const abs = unary(Abs, 'Abs', 'abs');
export const sign = unary(Sign, 'Sign', 'sign');
export const square = unary(Square, 'Square', 'square');
export const sqrt = unary(Sqrt, 'Sqrt', 'sqrt');
export const rsqrt = unary(Rsqrt, 'Rsqrt', 'rsqrt');
export const exp = unary(Exp, 'Exp', 'exp');
export const log = unary(Log, 'Log', 'log');
export const log1p = unary(Log1p, 'Log1p', 'log1p');
export const sin = unary(Sin, 'Sin', 'sin');
export const cos = unary(Cos, 'Cos', 'cos');
export const reciprocal = unary(Reciprocal, 'Reciprocal', 'reciprocal');
export const floor = unary(Floor, 'Floor', 'floor');
export const ceil = unary(Ceil, 'Ceil', 'ceil');
export const round = unary(Round, 'Round', 'round');
export const tanh = unary(Tanh, 'Tanh', 'tanh');
export const sigmoid = unary(Sigmoid, 'Sigmoid', 'sigmoid');

// ---- n-ary ----------------------------------------------------------------------------------
const sumShapes = (type: string, inputs: readonly Tensor[]) => {
  if (inputs.length === 0) throw new ValueError(`${type} needs at least one input`);
  let shape = inputs[0]!.shape;
  for (const t of inputs) {
    if (!shapesCompatible(shape, t.shape))
      throw new ValueError('all inputs must have the same shape (no broadcasting)');
    shape = shape === null ? t.shape : shape.map((d, i) => d ?? t.shape?.[i] ?? null);
  }
  return shape;
};
// AddN and AccumulateNV2 compute the same sum (TF's AccumulateNV2 need not wait for all inputs
// at once); they differ in type name and in AccumulateNV2's `shape` attr.
const sumOp = (type: string, attrs: AttrSchema<'inputs', never>) =>
  defineOp<never, Record<never, never>, 'inputs'>({
    type,
    outputArgs: ['sum'],
    inputs: [],
    list: 'inputs',
    attrs: { N: lengthOf('inputs'), T: typeOf('inputs'), ...attrs },
    shape: ({ inputs }) => sumShapes(type, inputs),
    dtype: ({ inputs }) => (requireDtype(inputs[0]!, NUMERIC), sameDtype(...inputs)),
    kernel: ({ inputs }) => (inputs.length === 1 ? tfc.clone(inputs[0]!) : tfc.addN(inputs as tfc.Tensor[])),
  });
export const AddN = sumOp('AddN', {});
export const AccumulateNV2 = sumOp('AccumulateNV2', { shape: outputShape() });

/** Elementwise sum of tensors of one shape and dtype. @example addN([a, b, c]) */
export function addN(inputs: readonly TensorInput[], opts: NameOpt = {}): Tensor {
  if (inputs.length === 1) return toTensor(inputs[0]!);
  return opScope(named('addN', opts), 'AddN', inputs, (name) =>
    AddN.apply({ inputs: inputs.map((x, i) => toTensor(x, undefined, `inputs_${i}`)) }, {}, { name }),
  );
}
export function accumulateN(inputs: readonly TensorInput[], opts: NameOpt = {}): Tensor {
  return opScope(named('accumulateN', opts), 'AccumulateNV2', inputs, (name) =>
    AccumulateNV2.apply(
      { inputs: inputs.map((x, i) => toTensor(x, undefined, `inputs_${i}`)) },
      {},
      { name },
    ),
  );
}

// ---- casts, comparisons, logic -------------------------------------------------------------
export const Cast = defineOp<'x', { dtype: DType }>({
  type: 'Cast',
  outputArgs: ['y'],
  inputs: ['x'],
  attrs: { SrcT: typeOf('x'), DstT: attrOf('type', 'dtype'), Truncate: fixedAttr('bool', false) },
  fold: ({ x }, { dtype }) => {
    const f = dtype === 'int32' ? Math.trunc : dtype === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : null;
    const v = partialValue(x);
    return v === null || f === null ? v : v.map((e) => (e === null ? null : f(e)));
  },
  shape: ({ x }) => x.shape,
  dtype: ({ x }, { dtype }) => (requireDtype(x, ['float32', 'int32', 'bool'], 'x'), dtype),
  kernel: ({ x }, { dtype }) => tfc.cast(x, dtype as tfc.DataType),
});
/** Converts to `dtype` (float → int truncates toward zero). Identity when already of that dtype. */
export function cast(x: TensorInput, dtype: DType, opts: NameOpt = {}): Tensor {
  return opScope(named('cast', opts), 'Cast', [x], (name) => {
    const t = toTensor(x, undefined, 'x');
    return t.dtype === dtype ? t : Cast.apply({ x: t }, { dtype }, { name });
  });
}

export const Equal = binaryOp('Equal', kernel2('Equal'), ALL, 'bool');
export const NotEqual = binaryOp('NotEqual', kernel2('NotEqual'), ALL, 'bool');
export const Less = binaryOp('Less', kernel2('Less'), NUMERIC, 'bool');
export const LessEqual = binaryOp('LessEqual', kernel2('LessEqual'), NUMERIC, 'bool');
export const Greater = binaryOp('Greater', kernel2('Greater'), NUMERIC, 'bool');
export const GreaterEqual = binaryOp('GreaterEqual', kernel2('GreaterEqual'), NUMERIC, 'bool');
export const LogicalAnd = binaryOp('LogicalAnd', kernel2('LogicalAnd'), BOOL);
export const LogicalOr = binaryOp('LogicalOr', kernel2('LogicalOr'), BOOL);
export const LogicalNot = unaryOp('LogicalNot', kernel1('LogicalNot'), BOOL);
export const IsFinite = defineOp<'x'>({
  type: 'IsFinite',
  outputArgs: ['y'],
  inputs: ['x'],
  attrs: { T: typeOf('x') },
  shape: ({ x }) => x.shape,
  dtype: ({ x }) => (requireDtype(x, FLOAT, 'x'), 'bool'),
  kernel: ({ x }) => tfc.isFinite(x),
});
export const IsNan = defineOp<'x'>({
  type: 'IsNan',
  outputArgs: ['y'],
  inputs: ['x'],
  attrs: { T: typeOf('x') },
  shape: ({ x }) => x.shape,
  dtype: ({ x }) => (requireDtype(x, FLOAT, 'x'), 'bool'),
  kernel: ({ x }) => tfc.isNaN(x),
});

export const equal = binary(Equal, 'Equal', 'equal');
export const notEqual = binary(NotEqual, 'NotEqual', 'notEqual');
export const less = binary(Less, 'Less', 'less');
export const lessEqual = binary(LessEqual, 'LessEqual', 'lessEqual');
export const greater = binary(Greater, 'Greater', 'greater');
export const greaterEqual = binary(GreaterEqual, 'GreaterEqual', 'greaterEqual');
export const logicalAnd = binary(LogicalAnd, 'LogicalAnd', 'logicalAnd');
export const logicalOr = binary(LogicalOr, 'LogicalOr', 'logicalOr');
export const logicalNot = unary(LogicalNot, 'LogicalNot', 'logicalNot');
export const isFinite = unary(IsFinite, 'IsFinite', 'isFinite');
export const isNan = unary(IsNan, 'IsNan', 'isNan');

// ---- scans ------------------------------------------------------------------------------------
export interface ScanAttrs {
  exclusive: boolean;
  reverse: boolean;
}
const scanOp = (type: string, kernel: (x: tfc.Tensor, axis: number, e: boolean, r: boolean) => tfc.Tensor) =>
  defineOp<'x' | 'axis', ScanAttrs>({
    type,
    outputArgs: ['out'],
    inputs: ['x', 'axis'],
    attrs: {
      exclusive: attrOf('bool', 'exclusive', false),
      reverse: attrOf('bool', 'reverse', false),
      T: typeOf('x'),
      Tidx: typeOf('axis', 'int32'),
    },
    shape: ({ x, axis }) => {
      requireDtype(axis, ['int32'], 'axis');
      if (axis.shape !== null && axis.shape.length !== 0)
        throw new ValueError(`axis must be a scalar, but has shape ${formatShape(axis.shape)}`);
      const a = constantValue(axis);
      if (a !== null && x.shape !== null) normalizeAxis(a[0]!, x.shape.length);
      return x.shape;
    },
    dtype: ({ x }) => requireDtype(x, NUMERIC, 'x'),
    // tfjs's scans mishandle negative axes, so normalise first.
    kernel: ({ x, axis }, { exclusive, reverse }) =>
      kernel(x, normalizeAxis((axis.dataSync() as Int32Array)[0]!, x.rank), exclusive, reverse),
  });
export const Cumsum = scanOp('Cumsum', tfc.cumsum);
export const Cumprod = scanOp('Cumprod', tfc.cumprod);

export interface ScanOptions extends NameOpt {
  exclusive?: boolean;
  reverse?: boolean;
}
const scan =
  (def: ReturnType<typeof scanOp>, defaultName: string, builder: string) =>
  (x: TensorInput, axis: number | Tensor | ScanOptions = 0, options: ScanOptions = {}): Tensor => {
    // The options object may stand in for the omitted axis.
    const [a, opts] = optionalArg<number | Tensor, ScanOptions>(axis, options);
    const ax = a ?? 0;
    return opScope(
      named(builder, opts, { name: 'string', exclusive: 'boolean', reverse: 'boolean' }),
      defaultName,
      [x, ax],
      (name) =>
        def.apply(
          { x: toTensor(x, undefined, 'x'), axis: toTensor(ax, 'int32', 'axis') },
          { exclusive: opts.exclusive ?? false, reverse: opts.reverse ?? false },
          { name },
        ),
    );
  };
/** Running sum along `axis`. @example cumsum([1, 2, 3], 0, { exclusive: true }) // [0, 1, 3] */
export const cumsum = scan(Cumsum, 'Cumsum', 'cumsum');
/** Running product along `axis`. @example cumprod([1, 2, 3], 0, { reverse: true }) // [6, 6, 3] */
export const cumprod = scan(Cumprod, 'Cumprod', 'cumprod');
