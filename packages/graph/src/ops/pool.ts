// Max and average pooling over NHWC windows (TF's 4-element ksize/strides), and the gradient
// ops their rules emit.

import * as tfc from '@tensorflow/tfjs-core';
import { typeOf } from '../attr_schema.js';
import { constantShape } from '../constant_value.js';
import { inGraphOf, type NameOpt, opScope, readInts, type TensorInput, toTensor } from '../convert.js';
import type { Shape } from '../dtype.js';
import { formatShape } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, FLOAT, requireDtype, requireRank, sameDtype } from '../op_def.js';
import { checkOptions, type OptionSpec } from '../options.js';
import { transpose } from './array.js';
import {
  type DataFormat,
  type Padding,
  POOL_ATTRS,
  type PoolAttrs,
  padding,
  tfPad,
  type Window,
  window4,
  windowedShape,
  withOp,
} from './conv.js';
import { maxPoolGradByArgmax, maxPoolGradGradByArgmax } from './pool_argmax.js';

const poolShape = (input: Tensor, a: PoolAttrs): Shape | null => {
  requireRank(input, 4, 'input');
  return pooledShape(input.shape, a);
};
const pooledShape = (x: Shape | null, a: PoolAttrs): Shape | null =>
  windowedShape(
    x ?? [null, null, null, null],
    [a.ksize[1]!, a.ksize[2]!],
    a.strides,
    [1, 1, 1, 1],
    a.padding,
    'NHWC',
    undefined,
  );
const poolArgs = (a: PoolAttrs) => ({
  filterSize: [a.ksize[1]!, a.ksize[2]!] as [number, number],
  strides: [a.strides[1]!, a.strides[2]!] as [number, number],
  pad: tfPad(a.padding),
});

export const MaxPool = defineOp<'input', PoolAttrs>({
  type: 'MaxPool',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { T: typeOf('input', 'float32'), ...POOL_ATTRS },
  shape: ({ input }, a) => poolShape(input, a),
  dtype: ({ input }) => requireDtype(input, FLOAT, 'input'),
  kernel: ({ input }, a) => {
    const p = poolArgs(a);
    return tfc.maxPool(input as tfc.Tensor4D, p.filterSize, p.strides, p.pad);
  },
});

export const AvgPool = defineOp<'input', PoolAttrs>({
  type: 'AvgPool',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { T: typeOf('input'), ...POOL_ATTRS },
  shape: ({ input }, a) => poolShape(input, a),
  dtype: ({ input }) => requireDtype(input, FLOAT, 'input'),
  kernel: ({ input }, a) => {
    const p = poolArgs(a);
    return tfc.avgPool(input as tfc.Tensor4D, p.filterSize, p.strides, p.pad);
  },
});

const sameShapeAs = (what: string, t: Tensor, expected: Shape | null): void => {
  if (
    t.shape !== null &&
    expected !== null &&
    t.shape.some((d, i) => d !== null && expected[i] !== null && d !== expected[i])
  ) {
    throw new ValueError(
      `${what} has shape ${formatShape(t.shape)} but the pooled output has ${formatShape(expected)}`,
    );
  }
};

export const MaxPoolGrad = defineOp<'origInput' | 'origOutput' | 'grad', PoolAttrs>({
  type: 'MaxPoolGrad',
  outputArgs: ['output'],
  inputs: ['origInput', 'origOutput', 'grad'],
  attrs: { T: typeOf('origInput', 'float32'), ...POOL_ATTRS },
  shape: ({ origInput, origOutput, grad }, a) => {
    const out = poolShape(origInput, a);
    sameShapeAs('orig_output', origOutput, out);
    sameShapeAs('grad', grad, out);
    return origInput.shape;
  },
  dtype: ({ origInput, origOutput, grad }) => (
    requireDtype(origInput, FLOAT), sameDtype(origInput, origOutput, grad)
  ),
  // wasm's MaxPoolGrad kernel is wrong on many shapes and cpu's takes ~1 s on a 50x28x28x32
  // input: one argmax pass and a scatter are right and fast on both.
  kernel: ({ origInput, grad }, a) => maxPoolGradByArgmax(origInput as tfc.Tensor4D, grad, a),
});

/** The gradient of MaxPoolGrad w.r.t. its `grad`: `grad` read at each window's argmax. */
export const MaxPoolGradGrad = defineOp<'origInput' | 'origOutput' | 'grad', PoolAttrs>({
  type: 'MaxPoolGradGrad',
  outputArgs: ['output'],
  inputs: ['origInput', 'origOutput', 'grad'],
  attrs: { T: typeOf('origInput'), ...POOL_ATTRS },
  shape: ({ origInput, origOutput, grad }, a) => {
    const out = poolShape(origInput, a);
    sameShapeAs('orig_output', origOutput, out);
    if (origInput.shape && grad.shape) sameShapeAs('grad', grad, origInput.shape);
    return out;
  },
  dtype: ({ origInput, origOutput, grad }) => (
    requireDtype(origInput, FLOAT), sameDtype(origInput, origOutput, grad)
  ),
  kernel: ({ origInput, grad }, a, ctx) =>
    tfc.tidy(() => {
      if (ctx.backend === 'wasm') return maxPoolGradGradByArgmax(origInput as tfc.Tensor4D, grad, a);
      const p = poolArgs(a);
      const { indexes } = tfc.maxPoolWithArgmax(
        origInput as tfc.Tensor4D,
        p.filterSize,
        p.strides,
        p.pad,
        true,
      );
      return tfc.gather(tfc.reshape(grad, [-1]), indexes!);
    }),
});

export const AvgPoolGrad = defineOp<'origInputShape' | 'grad', PoolAttrs>({
  type: 'AvgPoolGrad',
  outputArgs: ['output'],
  inputs: ['origInputShape', 'grad'],
  attrs: { T: typeOf('grad'), ...POOL_ATTRS },
  shape: ({ origInputShape, grad }, a) => {
    requireDtype(origInputShape, ['int32'], 'orig_input_shape');
    requireRank(grad, 4, 'grad');
    const s = constantShape(origInputShape) ?? [null, null, null, grad.shape?.[3] ?? null];
    if (s.length !== 4) throw new ValueError(`orig_input_shape must have 4 elements, got ${s.length}`);
    sameShapeAs('grad', grad, pooledShape(s, a));
    return s;
  },
  dtype: ({ grad }) => requireDtype(grad, FLOAT, 'grad'),
  kernel: ({ origInputShape, grad }, a) =>
    tfc.tidy(() => {
      const shape = readInts(origInputShape) as [number, number, number, number];
      const p = poolArgs(a);
      // tfjs's AvgPoolGrad kernel divides every window by kh*kw, but with SAME padding TF's (and
      // tfjs's forward) average counts only the in-bounds cells; rescale `grad` by kh*kw / count.
      const scaled = a.padding === 'SAME' ? tfc.mul(grad, windowScale(shape, a)) : grad;
      // The kernel reads only the shape of `input`.
      return tfc.engine().runKernel('AvgPoolGrad', { dy: scaled, input: tfc.zeros(shape) }, p) as tfc.Tensor;
    }),
});

// Per output cell kh*kw / (in-bounds cells of its SAME-padded window), shaped [1, oh, ow, 1].
function windowScale(shape: readonly number[], a: PoolAttrs): tfc.Tensor {
  const axis = (n: number, k: number, s: number) => {
    const out = Math.ceil(n / s);
    const before = Math.floor(Math.max((out - 1) * s + k - n, 0) / 2);
    return Array.from({ length: out }, (_, i) => {
      const start = i * s - before;
      return Math.min(n, start + k) - Math.max(0, start);
    });
  };
  const rows = axis(shape[1]!, a.ksize[1]!, a.strides[1]!);
  const cols = axis(shape[2]!, a.ksize[2]!, a.strides[2]!);
  const k = a.ksize[1]! * a.ksize[2]!;
  const data = Float32Array.from(rows.flatMap((r) => cols.map((c) => k / (r * c))));
  return tfc.tensor4d(data, [1, rows.length, cols.length, 1]);
}

// ---- builders -------------------------------------------------------------------------------

export interface PoolOptions extends NameOpt {
  ksize: Window;
  strides: Window;
  padding?: Padding | Lowercase<Padding>;
  /** maxPool/avgPool only: 'NCHW' runs the NHWC op between transposes (TF's CPU pools are NHWC only). */
  dataFormat?: DataFormat;
}
// The ops' attrs are always NHWC; NCHW windows are permuted to match.
const poolAttrs = (o: PoolOptions, f: DataFormat = 'NHWC'): PoolAttrs => {
  const toNhwc = (w: number[]) => (f === 'NHWC' ? w : [0, 2, 3, 1].map((i) => w[i]!));
  return {
    ksize: toNhwc(window4(o.ksize, 'ksize', f)),
    strides: toNhwc(window4(o.strides, 'strides', f)),
    padding: padding(o.padding),
  };
};
const POOL_SPEC: OptionSpec<PoolOptions> = {
  name: 'string',
  ksize: 'any',
  strides: 'any',
  padding: 'any',
  dataFormat: 'any',
};
function pool(def: typeof MaxPool, type: string, x: TensorInput, opts: PoolOptions): Tensor {
  checkOptions(type === 'MaxPool' ? 'maxPool' : 'avgPool', opts, POOL_SPEC);
  const f = opts.dataFormat ?? 'NHWC';
  const attrs = withOp(type, () => {
    if (f !== 'NHWC' && f !== 'NCHW') throw new ValueError(`dataFormat must be 'NHWC' or 'NCHW', got '${f}'`);
    return poolAttrs(opts, f);
  });
  if (f === 'NHWC')
    return opScope(opts.name, type, [x], (name) =>
      def.apply({ input: toTensor(x, undefined, 'input') }, attrs, { name }),
    );
  return inGraphOf([x], () => {
    const y = def.apply({ input: transpose(toTensor(x), [0, 2, 3, 1]) }, attrs, { name: type });
    return transpose(y, [0, 3, 1, 2], { name: opts.name ?? 'transpose' });
  });
}

/**
 * Max pooling over NHWC (or NCHW) windows.
 * @example const y = maxPool(x, { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'VALID' });
 */
export const maxPool = (x: TensorInput, opts: PoolOptions): Tensor => pool(MaxPool, 'MaxPool', x, opts);

/**
 * Average pooling over NHWC (or NCHW) windows; SAME windows average only their in-bounds cells.
 * @example const y = avgPool(x, { ksize: 3, strides: 2, padding: 'SAME' });
 */
export const avgPool = (x: TensorInput, opts: PoolOptions): Tensor => pool(AvgPool, 'AvgPool', x, opts);

export function maxPoolGrad(
  origInput: TensorInput,
  origOutput: TensorInput,
  grad: TensorInput,
  opts: PoolOptions,
): Tensor {
  checkOptions('maxPoolGrad', opts, POOL_SPEC);
  const attrs = withOp('MaxPoolGrad', () => poolAttrs(opts));
  return opScope(opts.name, 'MaxPoolGrad', [origInput, origOutput, grad], (name) =>
    MaxPoolGrad.apply(
      {
        origInput: toTensor(origInput, undefined, 'orig_input'),
        origOutput: toTensor(origOutput, undefined, 'orig_output'),
        grad: toTensor(grad, undefined, 'grad'),
      },
      attrs,
      { name },
    ),
  );
}

export function maxPoolGradGrad(
  origInput: TensorInput,
  origOutput: TensorInput,
  grad: TensorInput,
  opts: PoolOptions,
): Tensor {
  checkOptions('maxPoolGradGrad', opts, POOL_SPEC);
  const attrs = withOp('MaxPoolGradGrad', () => poolAttrs(opts));
  return opScope(opts.name, 'MaxPoolGradGrad', [origInput, origOutput, grad], (name) =>
    MaxPoolGradGrad.apply(
      {
        origInput: toTensor(origInput, undefined, 'orig_input'),
        origOutput: toTensor(origOutput, undefined, 'orig_output'),
        grad: toTensor(grad, undefined, 'grad'),
      },
      attrs,
      { name },
    ),
  );
}

export function avgPoolGrad(origInputShape: TensorInput, grad: TensorInput, opts: PoolOptions): Tensor {
  checkOptions('avgPoolGrad', opts, POOL_SPEC);
  const attrs = withOp('AvgPoolGrad', () => poolAttrs(opts));
  return opScope(opts.name, 'AvgPoolGrad', [origInputShape, grad], (name) =>
    AvgPoolGrad.apply(
      {
        origInputShape: toTensor(origInputShape, 'int32', 'orig_input_shape'),
        grad: toTensor(grad, undefined, 'grad'),
      },
      attrs,
      { name },
    ),
  );
}
