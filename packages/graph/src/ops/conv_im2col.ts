// The filter gradient of a one-input-channel convolution (a convnet's first layer) as one product:
// dF[(r, q), o] = Σ_j patchesᵀ[(r, q), j] · dy[j, o] over the windows j = (image, y, x). The
// batch/channel-swapped conv (conv_backprop.ts) runs there at ~4 GFLOP/s on wasm: XNNPACK sees a
// conv with kh·kw output pixels and packs a filter the size of dy. tfjs-wasm's matMul also
// repacks its second operand at every call, which for this long inner dimension costs twice the
// arithmetic, and its transposed forms are slower still. So both steps are SIMD loops over the
// backend's memory (simd/kernels.wat): the patches copy, then a register-tiled product.
import * as tfc from '@tensorflow/tfjs-core';
import type { PatchGeometry } from './simd/index.js';
import { float32Kernel } from './typed_kernel.js';

type Geometry = Omit<PatchGeometry, 'dims'>;

/** patchesᵀ [kh·kw, n·oh·ow] of the one-channel image `v` ([n, h, w, 1]), zero-padded per `g`. */
function patchesInto(v: Float32Array, dims: readonly number[], out: Float32Array, g: Geometry): void {
  const [n, h, w] = dims as [number, number, number];
  const { kh, kw, dh, dw, sh, sw, oh, ow, padTop, padLeft } = g;
  let k = 0;
  for (let r = 0; r < kh; r++)
    for (let q = 0; q < kw; q++)
      for (let b = 0; b < n; b++)
        for (let y = 0; y < oh; y++) {
          const row = y * sh + r * dh - padTop;
          for (let z = 0; z < ow; z++) {
            const col = z * sw + q * dw - padLeft;
            const inside = row >= 0 && row < h && col >= 0 && col < w;
            out[k++] = inside ? v[(b * h + row) * w + col]! : 0;
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

/**
 * dF [kh·kw, co] of a one-channel `x` [n, h, w, 1] from `dy` [n, oh, ow, co], one image at a
 * time: that image's patches (kh·kw × oh·ow, reused) stay in cache while the product reads them.
 * The patches get zero rows up to a multiple of 5 (the product's tile), cut off the result.
 */
export function filterGradOneChannel(x: tfc.Tensor4D, dy: tfc.Tensor4D, g: Geometry): tfc.Tensor2D {
  const [n, h, w] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const [taps, windows] = [g.kh * g.kw, oh * ow];
  const rows = Math.ceil(taps / 5) * 5;
  const [patches, acc] = float32Kernel(
    [x, dy],
    [
      [rows, windows],
      [rows, co],
    ],
    ([v, d], [p, out], simd) => {
      p!.fill(0, taps * windows);
      out!.fill(0);
      const fast = simd && co % 8 === 0 ? simd : null;
      for (let b = 0; b < n; b++) {
        const image = v!.subarray(b * h * w, (b + 1) * h * w);
        const grad = d!.subarray(b * windows * co, (b + 1) * windows * co);
        if (simd) simd.patchesT(image, p!, { ...g, dims: [1, h, w, 1] });
        else patchesInto(image, [1, h, w], p!, g);
        if (fast) fast.gemmAcc(p!, grad, out!, rows, windows, co);
        else gemmInto(p!, grad, out!, rows, windows, co);
      }
    },
  ) as [tfc.Tensor2D, tfc.Tensor2D];
  patches.dispose();
  if (rows === taps) return acc;
  const dF = tfc.slice(acc, 0, [taps, co]);
  acc.dispose();
  return dF;
}

/**
 * Whether the one-channel form applies (on wasm): one input channel, output channels in eights
 * (the product's tile), some windows, and one image's patches within 16 MB.
 */
export function im2colFits(k: readonly number[], dyShape: readonly number[]): boolean {
  const [n, oh, ow] = dyShape as [number, number, number];
  const taps = k[0]! * k[1]!;
  return k[2] === 1 && k[3]! % 8 === 0 && taps > 0 && n * oh * ow > 0 && taps * oh * ow <= 2 ** 22;
}
