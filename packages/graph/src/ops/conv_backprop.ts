// Both convolution gradients as forward convolutions, which the backends run fast: wasm's conv2d
// is XNNPACK's, while its Conv2DBackpropInput is a plain loop at a tenth of the speed and it has
// no Conv2DBackpropFilter at all; cpu's Conv2DBackpropFilter is ~50× slower than its conv2d.
// NHWC in and out; callers transpose NCHW around them.
import * as tfc from '@tensorflow/tfjs-core';
import type { Padding } from './conv.js';
import { filterGradOneChannel } from './conv_filter_one_channel.js';

type Pair = [number, number];
type Pad2 = [number, number];

/** TF's padding before the first window along one axis (SAME puts the smaller half first). */
const padBefore = (n: number, k: number, s: number, out: number, p: Padding): number =>
  p === 'SAME' ? Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) : 0;

/** `x` padded (positive) or cropped (negative) by [before, after] along axes 1 and 2. */
function padOrCrop(x: tfc.Tensor4D, rows: Pad2, cols: Pad2): tfc.Tensor4D {
  const grow = (p: Pad2): Pad2 => [Math.max(0, p[0]), Math.max(0, p[1])];
  const padded =
    rows.some((v) => v > 0) || cols.some((v) => v > 0)
      ? tfc.pad(x, [[0, 0], grow(rows), grow(cols), [0, 0]])
      : x;
  if (rows.every((v) => v >= 0) && cols.every((v) => v >= 0)) return padded;
  const [b, h, w, c] = padded.shape;
  const cut = (p: Pad2): Pad2 => [Math.max(0, -p[0]), Math.max(0, -p[1])];
  const [r, q] = [cut(rows), cut(cols)];
  return tfc.slice(padded, [0, r[0], q[0], 0], [b, h - r[0] - r[1], w - q[0] - q[1], c]);
}

/** `dy` with (s - 1) zeros between neighbouring cells along axes 1 and 2. */
function spread(dy: tfc.Tensor4D, [sh, sw]: Pair): tfc.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [b, oh, ow, c] = dy.shape;
  const wide = tfc.pad(tfc.reshape(dy, [b, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const grid = tfc.reshape(wide, [b, oh * sh, ow * sw, c]);
  return tfc.slice(grid, 0, [b, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]) as tfc.Tensor4D;
}

/**
 * dx = the full correlation of `dy` (spread by the strides) with the filter rotated by 180° and
 * its in/out channels swapped: a stride-1 VALID conv2d of dy padded by (k - 1 - padBefore).
 * `filter` is HWIO with any dilation already spread into it.
 */
export function backpropInputByConv(
  dy: tfc.Tensor4D,
  filter: tfc.Tensor4D,
  inputShape: readonly number[],
  strides: Pair,
  padding: Padding,
): tfc.Tensor4D {
  const [kh, kw] = filter.shape;
  const [, h, w] = inputShape as [number, number, number, number];
  const [, oh, ow] = dy.shape;
  const axis = (n: number, k: number, s: number, o: number): Pad2 => {
    const before = k - 1 - padBefore(n, k, s, o, padding);
    return [before, n + k - 1 - ((o - 1) * s + 1) - before];
  };
  const rotated = tfc.transpose(tfc.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tfc.Tensor4D;
  const full = padOrCrop(spread(dy, strides), axis(h, kh, strides[0], oh), axis(w, kw, strides[1], ow));
  return tfc.conv2d(full, rotated, 1, 'valid');
}

/** `x` padded (cropped) to exactly the rows and cols the windows of the (spread) filter `k` cover. */
function windowed(x: tfc.Tensor4D, oh: number, ow: number, k: readonly number[], s: Pair, p: Padding) {
  const [, h, w] = x.shape;
  // From TF's padding before the first window.
  const span = (n: number, kk: number, st: number, o: number): Pad2 => {
    const before = padBefore(n, kk, st, o, p);
    return [before, (o - 1) * st + kk - n - before];
  };
  return padOrCrop(x, span(h, k[0]!, s[0], oh), span(w, k[1]!, s[1], ow));
}

/**
 * dF[r, c, i, o] = sum over b, y, x of xPadded[b, r + y * sh, c + x * sw, i] * dy[b, y, x, o]: a
 * VALID conv2d of x with batch and channels swapped ([I, H, W, B]) by dy as the filter
 * ([OH, OW, B, O]) dilated by the strides. `k` is the (dilation-spread) filter shape.
 */
export function filterGradByConv(
  x: tfc.Tensor4D,
  dy: tfc.Tensor4D,
  k: readonly [number, number, number, number],
  strides: Pair,
  padding: Padding,
): tfc.Tensor4D {
  const [, oh, ow] = dy.shape;
  const xp = windowed(x, oh, ow, k, strides, padding);
  const g = tfc.conv2d(
    tfc.transpose(xp, [3, 1, 2, 0]) as tfc.Tensor4D,
    tfc.transpose(dy, [1, 2, 0, 3]) as tfc.Tensor4D,
    1,
    'valid',
    'NHWC',
    strides,
  );
  return tfc.transpose(g, [1, 2, 0, 3]);
}

/**
 * The same dF for one input channel as patchesᵀ · dy (conv_filter_one_channel.ts); `k` is the filter shape
 * before dilation, which the patches apply (no spread taps are computed).
 */
export function filterGradOneChannelWasm(
  x: tfc.Tensor4D,
  dy: tfc.Tensor4D,
  k: readonly [number, number, number, number],
  [sh, sw]: Pair,
  [dh, dw]: Pair,
  padding: Padding,
): tfc.Tensor4D {
  const [, oh, ow] = dy.shape;
  const [, h, w] = x.shape;
  const padTop = padBefore(h, (k[0] - 1) * dh + 1, sh, oh, padding);
  const padLeft = padBefore(w, (k[1] - 1) * dw + 1, sw, ow, padding);
  const dF = filterGradOneChannel(x, dy, { kh: k[0], kw: k[1], dh, dw, sh, sw, oh, ow, padTop, padLeft });
  return tfc.reshape(dF, [...k]);
}
