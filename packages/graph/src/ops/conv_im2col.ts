// The filter gradient of a one-input-channel convolution (a convnet's first layer) as one matMul:
// dF[r, q, 0, o] = Σ_j patchesᵀ[(r, q), j] · dy[j, o] over the windows j = (image, y, x). The
// batch/channel-swapped conv (conv_backprop.ts) runs there at ~4 GFLOP/s on wasm, because
// XNNPACK then sees a conv with kh·kw output pixels and a filter the size of a whole image;
// the patches (kh·kw × one image-sized plane) are built by a SIMD copy loop and the matMul runs
// at XNNPACK's gemm speed. patchesᵀ·dy, not patches with a transpose flag: tfjs-wasm's
// transposed matMul forms are several times slower.
import type * as tfc from '@tensorflow/tfjs-core';
import type { PatchGeometry } from './simd/index.js';
import { float32Kernel } from './typed_kernel.js';

/** patchesᵀ [kh·kw, n·oh·ow] of the one-channel image `x` [n, h, w, 1], zero-padded per `g`. */
export function patchesT(x: tfc.Tensor4D, g: Omit<PatchGeometry, 'dims'>): tfc.Tensor2D {
  const [n, h, w] = x.shape;
  const { kh, kw, dh, dw, sh, sw, oh, ow, padTop, padLeft } = g;
  return float32Kernel([x], [[kh * kw, n * oh * ow]], ([v], [out], simd) => {
    if (simd) return simd.patchesT(v!, out!, { ...g, dims: x.shape });
    let k = 0;
    for (let r = 0; r < kh; r++)
      for (let q = 0; q < kw; q++)
        for (let b = 0; b < n; b++)
          for (let y = 0; y < oh; y++) {
            const row = y * sh + r * dh - padTop;
            for (let z = 0; z < ow; z++) {
              const col = z * sw + q * dw - padLeft;
              const inside = row >= 0 && row < h && col >= 0 && col < w;
              out![k++] = inside ? v![(b * h + row) * w + col]! : 0;
            }
          }
  })[0] as tfc.Tensor2D;
}

/** Whether the im2col form is worth it: one input channel, patches no larger than dy or 16 MB. */
export function im2colFits(k: readonly number[], dySize: number, windows: number): boolean {
  const taps = k[0]! * k[1]!;
  return k[2] === 1 && taps > 0 && windows > 0 && taps * windows <= Math.max(dySize, 2 ** 22);
}
