// Convolutions and their backprops (ops/conv.ts). ONNX convolves NCHW with OIHW filters: NHWC
// inputs are transposed in and out (onnxruntime's layout pass folds the transposes), HWIO
// filters become OIHW. TF's SAME padding puts the odd pixel at the end, which is ONNX's
// SAME_UPPER. The backprops need the forward geometry statically (constant sizes, known H, W).
import { Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, type ConvAttrs } from '@graphmode/graph';
import { defineLowering, type LowerContext } from './registry.js';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];
const HWIO_TO_OIHW = [3, 2, 0, 1];

/** Spatial (h, w) entries of a 4-element TF attr in `format` order. */
export const spatial = (v: readonly number[], nhwc: boolean): [number, number] =>
  nhwc ? [v[1]!, v[2]!] : [v[2]!, v[3]!];

export const toNchw = (cx: LowerContext, v: string, nhwc: boolean) =>
  nhwc ? cx.n1('Transpose', [v], { perm: NHWC_TO_NCHW }) : v;
export const fromNchw = (cx: LowerContext, v: string, nhwc: boolean) =>
  nhwc ? cx.n1('Transpose', [v], { perm: NCHW_TO_NHWC }) : v;

/** TF's padding of one spatial dim: output size and the pixels padded before and after. */
export function geometry(n: number, k: number, s: number, d: number, same: boolean) {
  const eff = (k - 1) * d + 1;
  const out = same ? Math.ceil(n / s) : Math.ceil((n - eff + 1) / s);
  const total = same ? Math.max((out - 1) * s + eff - n, 0) : 0;
  const before = Math.floor(total / 2);
  return { out, before, after: total - before, eff };
}

// onnxruntime refuses SAME_UPPER with dilations: those get TF's pads explicitly (static H, W).
const dilated = (a: ConvAttrs) => a.dilations.some((d) => d > 1);
defineLowering(
  Conv2D,
  (cx, a) => {
    const nhwc = a.dataFormat === 'NHWC';
    const [s, d] = [spatial(a.strides, nhwc), spatial(a.dilations, nhwc)];
    let padding: Record<string, string | number[]> = {
      auto_pad: a.padding === 'SAME' ? 'SAME_UPPER' : 'VALID',
    };
    if (a.padding === 'SAME' && dilated(a)) {
      const n = spatial(cx.op.inputs[0]!.shape as number[], nhwc);
      const k = cx.op.inputs[1]!.shape as number[];
      const g = [0, 1].map((i) => geometry(n[i]!, k[i]!, s[i]!, d[i]!, true));
      padding = { pads: [g[0]!.before, g[1]!.before, g[0]!.after, g[1]!.after] };
    }
    const w = cx.n1('Transpose', [cx.input(1)], { perm: HWIO_TO_OIHW });
    const y = cx.n1('Conv', [toNchw(cx, cx.input(0), nhwc), w], { strides: s, dilations: d, ...padding });
    return fromNchw(cx, y, nhwc);
  },
  (op) => {
    const a = op.attrs;
    if (a.padding !== 'SAME' || !dilated(a)) return true;
    return (
      knownDims(op.inputs[0]!.shape, a.dataFormat === 'NHWC' ? [1, 2] : [2, 3]) &&
      knownDims(op.inputs[1]!.shape, [0, 1])
    );
  },
);

// dx = ConvTranspose(dy, W) with TF's pads; output_padding restores the rows a strided forward
// pass never read.
defineLowering(
  Conv2DBackpropInput,
  (cx, a) => {
    const nhwc = a.dataFormat === 'NHWC';
    // The static output shape carries the spatial sizes even when input_sizes is Shape(x).
    const sizes = spatial(cx.op.outputs[0]!.shape as number[], nhwc);
    const k = cx.op.inputs[1]!.shape! as number[];
    const [s, d] = [spatial(a.strides, nhwc), spatial(a.dilations, nhwc)];
    const g = [0, 1].map((i) => geometry(sizes[i]!, k[i]!, s[i]!, d[i]!, a.padding === 'SAME'));
    const outputPadding = g.map((x, i) => sizes[i]! - (s[i]! * (x.out - 1) + x.eff - x.before - x.after));
    const w = cx.n1('Transpose', [cx.input(1)], { perm: HWIO_TO_OIHW });
    const dx = cx.n1('ConvTranspose', [toNchw(cx, cx.input(2), nhwc), w], {
      strides: s,
      dilations: d,
      pads: [g[0]!.before, g[1]!.before, g[0]!.after, g[1]!.after],
      output_padding: outputPadding,
    });
    return fromNchw(cx, dx, nhwc);
  },
  (op) =>
    knownDims(op.outputs[0]!.shape, op.attrs.dataFormat === 'NHWC' ? [1, 2] : [2, 3]) &&
    knownDims(op.inputs[1]!.shape, [0, 1]),
);

// dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh*d - pad, ..., ci] * dy[n, oh, ow, co]:
// a convolution of x (batch and channels swapped) by dy as the filter, stride d, dilation s.
// It can produce a few rows past the filter size when the stride does not divide: sliced off.
defineLowering(
  Conv2DBackpropFilter,
  (cx, a) => {
    const nhwc = a.dataFormat === 'NHWC';
    const [kh, kw] = cx.op.outputs[0]!.shape as [number, number];
    const x = cx.op.inputs[0]!.shape! as number[];
    const n = spatial(x, nhwc);
    const [s, d] = [spatial(a.strides, nhwc), spatial(a.dilations, nhwc)];
    const g = [0, 1].map((i) => geometry(n[i]!, [kh, kw][i]!, s[i]!, d[i]!, a.padding === 'SAME'));
    const swap = nhwc ? [3, 0, 1, 2] : [1, 0, 2, 3];
    const xs = cx.n1('Transpose', [cx.input(0)], { perm: swap });
    const dys = cx.n1('Transpose', [cx.input(2)], { perm: swap });
    const full = cx.n1('Conv', [xs, dys], {
      strides: d,
      dilations: s,
      pads: [g[0]!.before, g[1]!.before, g[0]!.after, g[1]!.after],
    });
    const cut = cx.n1('Slice', [full, cx.int64s([0, 0]), cx.int64s([kh, kw]), cx.int64s([2, 3])]);
    return cx.n1('Transpose', [cut], { perm: [2, 3, 0, 1] });
  },
  (op) => {
    const nhwc = (op.attrs as ConvAttrs).dataFormat === 'NHWC';
    return knownDims(op.outputs[0]!.shape, [0, 1]) && knownDims(op.inputs[0]!.shape, nhwc ? [1, 2] : [2, 3]);
  },
);

export function knownDims(shape: readonly (number | null)[] | null, dims: readonly number[]): boolean {
  return shape !== null && dims.every((i) => shape[i] !== null && shape[i] !== undefined);
}
