// Convolution and pooling (NHWC input, HWIO filter, TF's 4-element strides/ksize/dilations), and
// the backprop ops their gradients emit, each bound to a tfjs-core kernel.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, fixedAttr, typeOf } from '../attr_schema.js';
import { constantShape } from '../constant_value.js';
import { type NameOpt, opScope, readInts, type TensorInput, toTensor } from '../convert.js';
import type { Shape } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, FLOAT, requireDtype, requireRank, sameDtype } from '../op_def.js';
import { checkOptions, type OptionSpec } from '../options.js';
import { backpropInputByConv, filterGradByConv, filterGradOneChannelWasm } from './conv_backprop.js';
import { oneChannelFilterGradFits } from './conv_filter_one_channel.js';

export type Padding = 'SAME' | 'VALID';
export type DataFormat = 'NHWC' | 'NCHW';
/** A window parameter: one number for both spatial dims, `[h, w]`, or TF's 4-element form. */
export type Window = number | readonly [number, number] | readonly number[];

export interface ConvAttrs {
  /** 4 elements in `dataFormat` order; batch and channel entries are 1. */
  strides: readonly number[];
  padding: Padding;
  dataFormat: DataFormat;
  dilations: readonly number[];
}
export interface PoolAttrs {
  ksize: readonly number[];
  strides: readonly number[];
  padding: Padding;
}

// TF's Conv2D attrs, shared by its backprop ops (plus each op's type attr T).
const CONV_ATTRS = {
  strides: attrOf('list(int)', 'strides'),
  use_cudnn_on_gpu: fixedAttr('bool', true),
  padding: attrOf('string', 'padding'),
  explicit_paddings: fixedAttr('list(int)', []),
  data_format: attrOf('string', 'dataFormat', 'NHWC'),
  dilations: attrOf('list(int)', 'dilations', [1, 1, 1, 1]),
} as const;
/** TF's pooling attrs; graphmode pools NHWC only. */
export const POOL_ATTRS = {
  ksize: attrOf('list(int)', 'ksize'),
  strides: attrOf('list(int)', 'strides'),
  padding: attrOf('string', 'padding'),
  data_format: fixedAttr('string', 'NHWC'),
} as const;

const hw = (f: DataFormat): [number, number] => (f === 'NHWC' ? [1, 2] : [2, 3]);
const chan = (f: DataFormat): number => (f === 'NHWC' ? 3 : 1);

export function window4(v: Window, what: string, f: DataFormat): number[] {
  const [h, w] = hw(f);
  let out: number[];
  if (typeof v === 'number') out = [1, 1, 1, 1].map((_, i) => (i === h || i === w ? v : 1));
  else if (v.length === 2) out = [1, 1, 1, 1].map((_, i) => (i === h ? v[0]! : i === w ? v[1]! : 1));
  else if (v.length === 4) out = [...v];
  else throw new ValueError(`${what} must have 1, 2 or 4 elements, got [${v.join(',')}]`);
  if (out.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new ValueError(`${what} must be positive integers, got [${out.join(',')}]`);
  }
  if (out[0] !== 1 || out[chan(f)] !== 1) {
    throw new ValueError(
      `${what} [${out.join(',')}] is not supported in the batch and depth dimensions (must be 1 there)`,
    );
  }
  return out;
}

export function padding(p: string | undefined): Padding {
  const up = (p ?? 'VALID').toUpperCase();
  if (up !== 'SAME' && up !== 'VALID') throw new ValueError(`padding must be 'SAME' or 'VALID', got '${p}'`);
  return up;
}

// TF's GetWindowedOutputSize: VALID ceil((in - effK + 1) / s), SAME ceil(in / s).
function outSize(n: number | null, k: number | null, s: number, d: number, p: Padding): number | null {
  if (n === null) return null;
  if (p === 'SAME') return Math.ceil(n / s);
  if (k === null) return null;
  const eff = (k - 1) * d + 1;
  if (eff > n)
    throw new ValueError(`the effective window size ${eff} exceeds the input size ${n} (padding VALID)`);
  return Math.ceil((n - eff + 1) / s);
}

/** The output shape of a windowed op over `x` (rank 4) with `outChannels` (null: keep x's). */
export function windowedShape(
  x: Shape | null,
  k: readonly (number | null)[],
  strides: readonly number[],
  dilations: readonly number[],
  p: Padding,
  f: DataFormat,
  outChannels: number | null | undefined,
): Shape | null {
  if (x === null) return null;
  const [h, w] = hw(f);
  const out = x.slice();
  out[h] = outSize(x[h]!, k[0]!, strides[h]!, dilations[h]!, p);
  out[w] = outSize(x[w]!, k[1]!, strides[w]!, dilations[w]!, p);
  if (outChannels !== undefined) out[chan(f)] = outChannels;
  return out;
}

export const tfPad = (p: Padding): 'same' | 'valid' => (p === 'SAME' ? 'same' : 'valid');
const pair = (v: readonly number[], f: DataFormat): [number, number] => {
  const [h, w] = hw(f);
  return [v[h]!, v[w]!];
};

// NOTE: tfjs's conv kernels reject strides > 1 together with dilations > 1, and its backprop
// kernels ignore dilations; a filter with (d - 1) zeros between taps is the same convolution.
function dilateFilter(filter: tfc.Tensor4D, [dh, dw]: [number, number]): tfc.Tensor4D {
  if (dh === 1 && dw === 1) return filter;
  const [kh, kw, ci, co] = filter.shape;
  const spread = tfc.pad(tfc.reshape(filter, [kh, 1, kw, 1, ci, co]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const full = tfc.reshape(spread, [kh * dh, kw * dw, ci, co]);
  return tfc.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]) as tfc.Tensor4D;
}
const isDilated = (d: [number, number]) => d[0] > 1 || d[1] > 1;

function checkConvDepth(inDepth: number | null | undefined, filter: Shape | null, f: DataFormat): void {
  const fin = filter?.[2] ?? null;
  if (inDepth !== null && inDepth !== undefined && fin !== null && inDepth !== fin) {
    throw new ValueError(
      `input depth (${f} channel dim) is ${inDepth} but the filter's in_channels (HWIO dim 2) is ${fin}; they must be equal`,
    );
  }
}

export const Conv2D = defineOp<'input' | 'filter', ConvAttrs>({
  type: 'Conv2D',
  outputArgs: ['output'],
  inputs: ['input', 'filter'],
  attrs: { T: typeOf('input'), ...CONV_ATTRS },
  shape: ({ input, filter }, a) => {
    requireRank(input, 4, 'input');
    requireRank(filter, 4, 'filter');
    checkConvDepth(input.shape?.[chan(a.dataFormat)], filter.shape, a.dataFormat);
    const k = [filter.shape?.[0] ?? null, filter.shape?.[1] ?? null];
    return windowedShape(
      input.shape ?? [null, null, null, null],
      k,
      a.strides,
      a.dilations,
      a.padding,
      a.dataFormat,
      filter.shape?.[3] ?? null,
    );
  },
  dtype: ({ input, filter }) => (requireDtype(input, FLOAT, 'input'), sameDtype(input, filter)),
  kernel: ({ input, filter }, a, ctx) => {
    // NOTE: tfjs-wasm's Conv2D is NHWC only; run NCHW there between transposes.
    if (a.dataFormat === 'NCHW' && ctx.backend === 'wasm') {
      return tfc.tidy(() => {
        const y = conv2dKernel(
          tfc.transpose(input, TO_NHWC) as tfc.Tensor4D,
          filter as tfc.Tensor4D,
          nhwc(a),
        );
        return tfc.transpose(y, TO_NCHW);
      });
    }
    return conv2dKernel(input as tfc.Tensor4D, filter as tfc.Tensor4D, a);
  },
});

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];
// The NHWC attrs of NCHW ones.
const nhwc = (a: ConvAttrs): ConvAttrs => ({
  ...a,
  dataFormat: 'NHWC',
  strides: TO_NHWC.map((i) => a.strides[i]!),
  dilations: TO_NHWC.map((i) => a.dilations[i]!),
});

function conv2dKernel(x: tfc.Tensor4D, f: tfc.Tensor4D, a: ConvAttrs): tfc.Tensor4D {
  const s = pair(a.strides, a.dataFormat);
  const d = pair(a.dilations, a.dataFormat);
  if (isDilated(d) && (s[0] > 1 || s[1] > 1)) {
    return tfc.tidy(() => tfc.conv2d(x, dilateFilter(f, d), s, tfPad(a.padding), a.dataFormat));
  }
  return tfc.conv2d(x, f, s, tfPad(a.padding), a.dataFormat, d);
}

export const Conv2DBackpropInput = defineOp<'inputSizes' | 'filter' | 'outBackprop', ConvAttrs>({
  type: 'Conv2DBackpropInput',
  outputArgs: ['output'],
  inputs: ['inputSizes', 'filter', 'outBackprop'],
  attrs: { T: typeOf('filter'), ...CONV_ATTRS },
  shape: ({ inputSizes, filter, outBackprop }, a) => {
    requireDtype(inputSizes, ['int32'], 'input_sizes');
    requireRank(filter, 4, 'filter');
    requireRank(outBackprop, 4, 'out_backprop');
    const s = constantShape(inputSizes);
    if (s !== null && s.length !== 4)
      throw new ValueError(`input_sizes must have 4 elements, got ${s.length}`);
    checkConvDepth(s?.[chan(a.dataFormat)], filter.shape, a.dataFormat);
    return s ?? [null, null, null, null];
  },
  dtype: ({ filter, outBackprop }) => (requireDtype(filter, FLOAT, 'filter'), sameDtype(filter, outBackprop)),
  // wasm's own kernel is a plain loop; there the gradient runs as a forward conv (XNNPACK), ~8×
  // faster. cpu's kernel is as fast as its conv2d. tfjs-core exports no op for it (conv2dTranspose
  // has no dataFormat), so it is run by name.
  kernel: ({ inputSizes, filter, outBackprop }, a, ctx) =>
    tfc.tidy(() => {
      const f = dilateFilter(filter as tfc.Tensor4D, pair(a.dilations, a.dataFormat));
      const [s, shape] = [pair(a.strides, a.dataFormat), readInts(inputSizes)];
      if (ctx.backend !== 'wasm') {
        ctx.slow?.('a convolution gradient (Conv2DBackpropInput)');
        const attrs = { strides: s, pad: tfPad(a.padding), dataFormat: a.dataFormat, inputShape: shape };
        return tfc
          .engine()
          .runKernel('Conv2DBackpropInput', { dy: outBackprop, filter: f }, attrs) as tfc.Tensor;
      }
      if (a.dataFormat === 'NHWC')
        return backpropInputByConv(outBackprop as tfc.Tensor4D, f, shape, s, a.padding);
      const dy = tfc.transpose(outBackprop, TO_NHWC) as tfc.Tensor4D;
      const dx = backpropInputByConv(
        dy,
        f,
        TO_NHWC.map((i) => shape[i]!),
        s,
        a.padding,
      );
      return tfc.transpose(dx, TO_NCHW);
    }),
});

export const Conv2DBackpropFilter = defineOp<'input' | 'filterSizes' | 'outBackprop', ConvAttrs>({
  type: 'Conv2DBackpropFilter',
  outputArgs: ['output'],
  inputs: ['input', 'filterSizes', 'outBackprop'],
  attrs: { T: typeOf('input'), ...CONV_ATTRS },
  shape: ({ input, filterSizes, outBackprop }, a) => {
    requireDtype(filterSizes, ['int32'], 'filter_sizes');
    requireRank(input, 4, 'input');
    requireRank(outBackprop, 4, 'out_backprop');
    const s = constantShape(filterSizes);
    if (s !== null && s.length !== 4)
      throw new ValueError(`filter_sizes must have 4 elements, got ${s.length}`);
    checkConvDepth(input.shape?.[chan(a.dataFormat)], s, a.dataFormat);
    return s ?? [null, null, null, null];
  },
  dtype: ({ input, outBackprop }) => (requireDtype(input, FLOAT, 'input'), sameDtype(input, outBackprop)),
  // With dilations, take the gradient of the zero-spread filter and keep every d-th tap.
  kernel: ({ input, filterSizes, outBackprop }, a, ctx) =>
    tfc.tidy(() => {
      ctx.slow?.('a convolution gradient (Conv2DBackpropFilter)');
      const [kh, kw, ci, co] = readInts(filterSizes) as [number, number, number, number];
      const [dh, dw] = pair(a.dilations, a.dataFormat);
      const k: [number, number, number, number] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co];
      const [x, dy] = [input, outBackprop].map((t) =>
        a.dataFormat === 'NCHW' ? tfc.transpose(t, TO_NHWC) : t,
      ) as [tfc.Tensor4D, tfc.Tensor4D];
      if (ctx.backend === 'wasm' && oneChannelFilterGradFits([kh, kw, ci, co], dy.shape)) {
        return filterGradOneChannelWasm(
          x,
          dy,
          [kh, kw, ci, co],
          pair(a.strides, a.dataFormat),
          [dh, dw],
          a.padding,
        );
      }
      const spread = filterGradByConv(x, dy, k, pair(a.strides, a.dataFormat), a.padding);
      return dh === 1 && dw === 1
        ? spread
        : tfc.stridedSlice(spread, [0, 0, 0, 0], spread.shape, [dh, dw, 1, 1]);
    }),
});

// ---- builders -------------------------------------------------------------------------------

export interface Conv2DOptions extends NameOpt {
  strides?: Window;
  padding?: Padding | Lowercase<Padding>;
  dataFormat?: DataFormat;
  dilations?: Window;
}
function convAttrs(o: Conv2DOptions): ConvAttrs {
  const dataFormat = o.dataFormat ?? 'NHWC';
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new ValueError(`dataFormat must be 'NHWC' or 'NCHW', got '${dataFormat}'`);
  }
  const strides = window4(o.strides ?? 1, 'strides', dataFormat);
  const dilations = window4(o.dilations ?? 1, 'dilations', dataFormat);
  return { strides, padding: padding(o.padding), dataFormat, dilations };
}
// Option errors are build-time errors too; name the op they were meant for.
export const withOp = <T>(type: string, fn: () => T): T => {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ValueError) throw new ValueError(`${type}: ${e.message}`);
    throw e;
  }
};

const CONV2D_SPEC: OptionSpec<Conv2DOptions> = {
  name: 'string',
  strides: 'any',
  padding: 'any',
  dataFormat: 'any',
  dilations: 'any',
};
/**
 * 2-D convolution of an NHWC (or NCHW) `x` with an HWIO `filter`.
 * @example const y = conv2d(images, kernel, { strides: [1, 2, 2, 1], padding: 'SAME' });
 */
export function conv2d(x: TensorInput, filter: TensorInput, opts: Conv2DOptions = {}): Tensor {
  checkOptions('conv2d', opts, CONV2D_SPEC);
  const attrs = withOp('Conv2D', () => convAttrs(opts));
  return opScope(opts.name, 'Conv2D', [x, filter], (name) =>
    Conv2D.apply(
      { input: toTensor(x, undefined, 'input'), filter: toTensor(filter, undefined, 'filter') },
      attrs,
      {
        name,
      },
    ),
  );
}

/** The gradient of conv2d w.r.t. its input, of shape `inputSizes` (TF's conv2d_backprop_input). */
export function conv2dBackpropInput(
  inputSizes: TensorInput,
  filter: TensorInput,
  outBackprop: TensorInput,
  opts: Conv2DOptions = {},
): Tensor {
  checkOptions('conv2dBackpropInput', opts, CONV2D_SPEC);
  const attrs = withOp('Conv2DBackpropInput', () => convAttrs(opts));
  return opScope(opts.name, 'Conv2DBackpropInput', [inputSizes, filter, outBackprop], (name) =>
    Conv2DBackpropInput.apply(
      {
        inputSizes: toTensor(inputSizes, 'int32', 'input_sizes'),
        filter: toTensor(filter, undefined, 'filter'),
        outBackprop: toTensor(outBackprop, undefined, 'out_backprop'),
      },
      attrs,
      { name },
    ),
  );
}

/** The gradient of conv2d w.r.t. its filter, of shape `filterSizes` (TF's conv2d_backprop_filter). */
export function conv2dBackpropFilter(
  input: TensorInput,
  filterSizes: TensorInput,
  outBackprop: TensorInput,
  opts: Conv2DOptions = {},
): Tensor {
  checkOptions('conv2dBackpropFilter', opts, CONV2D_SPEC);
  const attrs = withOp('Conv2DBackpropFilter', () => convAttrs(opts));
  return opScope(opts.name, 'Conv2DBackpropFilter', [input, filterSizes, outBackprop], (name) =>
    Conv2DBackpropFilter.apply(
      {
        input: toTensor(input, undefined, 'input'),
        filterSizes: toTensor(filterSizes, 'int32', 'filter_sizes'),
        outBackprop: toTensor(outBackprop, undefined, 'out_backprop'),
      },
      attrs,
      { name },
    ),
  );
}
