// The filter gradient of a one-input-channel convolution (a convnet's first layer) as one product:
// dF[(r, q), o] = Σ_j patchesᵀ[(r, q), j] · dy[j, o] over the windows j = (image, y, x). The
// batch/channel-swapped conv (conv_backprop.ts) runs there at ~4 GFLOP/s on wasm: XNNPACK sees a
// conv with kh·kw output pixels and packs a filter the size of dy. tfjs-wasm's matMul also
// repacks its second operand at every call, which for this long inner dimension costs twice the
// arithmetic, and its transposed forms are slower still. So on wasm it is one SIMD loop
// (simd/kernels.wat) per image over the backend's memory, reading the taps straight from a
// zero-padded copy of the image; elsewhere the same sums in JS through explicit patches.
import * as tfc from '@tensorflow/tfjs-core';
import type { WindowGeometry } from './simd/index.js';
import { float32Kernel } from './typed_kernel.js';

/** The windows, and TF's padding before the first one. */
export interface Geometry extends WindowGeometry {
  padTop: number;
  padLeft: number;
}

/** patchesᵀ [kh·kw, oh·ow] of one image `v` [h, w], zero-padded per `g`. */
function patchesInto(v: Float32Array, h: number, w: number, out: Float32Array, g: Geometry): void {
  const { kh, kw, dh, dw, sh, sw, oh, ow, padTop, padLeft } = g;
  let k = 0;
  for (let r = 0; r < kh; r++)
    for (let q = 0; q < kw; q++)
      for (let y = 0; y < oh; y++) {
        const row = y * sh + r * dh - padTop;
        for (let z = 0; z < ow; z++) {
          const col = z * sw + q * dw - padLeft;
          out[k++] = row >= 0 && row < h && col >= 0 && col < w ? v[row * w + col]! : 0;
        }
      }
}

/** acc[rows, n] += a[rows, k] · b[k, n], plainly. */
function gemmInto(a: Float32Array, b: Float32Array, acc: Float32Array, rows: number, k: number, n: number) {
  for (let t = 0; t < rows; t++)
    for (let j = 0; j < k; j++) {
      const s = a[t * k + j]!;
      for (let o = 0; o < n; o++) acc[t * n + o]! += s * b[j * n + o]!;
    }
}

/** One image `v` [h, w] into `xp` [hp, wp] at (padTop, padLeft), zeros around, cut past the end. */
function padInto(v: Float32Array, h: number, w: number, xp: Float32Array, wp: number, g: Geometry) {
  xp.fill(0);
  const hp = xp.length / wp;
  const [c0, c1] = [Math.max(0, -g.padLeft), Math.min(w, wp - g.padLeft)];
  if (c1 <= c0) return;
  for (let r = Math.max(0, -g.padTop); r < Math.min(h, hp - g.padTop); r++)
    xp.set(v.subarray(r * w + c0, r * w + c1), (r + g.padTop) * wp + c0 + g.padLeft);
}

/**
 * dF [kh·kw, co] of a one-channel `x` [n, h, w, 1] from `dy` [n, oh, ow, co], one image at a
 * time. The SIMD loop works in tiles of 5 taps; rows past kh·kw are cut off the result.
 */
export function filterGradOneChannel(x: tfc.Tensor4D, dy: tfc.Tensor4D, g: Geometry): tfc.Tensor2D {
  const [n, h, w] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const [taps, windows] = [g.kh * g.kw, oh * ow];
  const rows = Math.ceil(taps / 5) * 5;
  // The rows and cols the windows cover.
  const [hp, wp] = [(oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, (ow - 1) * g.sw + (g.kw - 1) * g.dw + 1];
  const [padded, acc] = float32Kernel(
    [x, dy],
    [
      [hp, wp],
      [rows, co],
    ],
    ([v, d], [xp, out], simd) => {
      out!.fill(0);
      const patches = simd && co % 8 === 0 ? null : new Float32Array(taps * windows);
      for (let b = 0; b < n; b++) {
        const image = v!.subarray(b * h * w, (b + 1) * h * w);
        const grad = d!.subarray(b * windows * co, (b + 1) * windows * co);
        if (patches === null) {
          padInto(image, h, w, xp!, wp, g);
          simd!.filterGradImage(xp!, wp, grad, out!, rows, co, g);
        } else {
          patchesInto(image, h, w, patches, g);
          gemmInto(patches, grad, out!, taps, windows, co);
        }
      }
    },
  ) as [tfc.Tensor2D, tfc.Tensor2D];
  padded.dispose();
  if (rows === taps) return acc;
  const dF = tfc.slice(acc, 0, [taps, co]);
  acc.dispose();
  return dF;
}

/**
 * Whether the one-channel form applies (on wasm): one input channel, output channels in eights
 * (the SIMD tile), and some windows.
 */
export function oneChannelFilterGradFits(k: readonly number[], dyShape: readonly number[]): boolean {
  const [n, oh, ow] = dyShape as [number, number, number];
  return k[2] === 1 && k[3]! % 8 === 0 && k[0]! * k[1]! > 0 && n * oh * ow > 0;
}
