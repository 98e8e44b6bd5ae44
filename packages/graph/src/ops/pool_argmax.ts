// Max-pool argmax as one pass over the input's values, and the two max-pool backprops built on it
// as one scatter / gather loop. wasm's MaxPoolGrad and MaxPoolWithArgmax kernels give wrong
// results on many shapes (non-square inputs, SAME padding, ties), and cpu's MaxPoolGrad takes ~1 s
// on a 50x28x28x32 input; MaxPoolGrad runs this on both, MaxPoolGradGrad on wasm. The loops
// read and write the backend's memory directly (float32Kernel): on wasm, copying x out of the
// heap cost more than the loops themselves.
import type * as tfc from '@tensorflow/tfjs-core';
import type { PoolAttrs } from './conv.js';
import type { PoolGeometry } from './simd/index.js';
import { float32Kernel } from './typed_kernel.js';

/** TF's pooling geometry along one axis: output size and padding before the first cell. */
function axis(n: number, k: number, s: number, same: boolean): { out: number; before: number } {
  const out = same ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
  return { out, before: same ? Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) : 0 };
}

/**
 * For each output cell of the max pool of `x` (NHWC), the flat index into `x` of its window's
 * maximum; the first one in row-major window order wins ties, as TF's MaxPoolWithArgmax
 * (`include_batch_in_index`). Padding never wins: only in-bounds cells are visited.
 */
export function maxPoolArgmax(
  xv: Float32Array,
  [b, h, w, c]: readonly [number, number, number, number],
  a: PoolAttrs,
): Int32Array {
  const [kh, kw, sh, sw] = [a.ksize[1]!, a.ksize[2]!, a.strides[1]!, a.strides[2]!];
  const same = a.padding === 'SAME';
  const rows = axis(h, kh, sh, same);
  const cols = axis(w, kw, sw, same);
  const at = new Int32Array(b * rows.out * cols.out * c);
  const best = new Float32Array(c);
  let o = 0;
  for (let n = 0; n < b; n++) {
    for (let r = 0; r < rows.out; r++) {
      const r0 = Math.max(0, r * sh - rows.before);
      const r1 = Math.min(h, r * sh - rows.before + kh);
      for (let q = 0; q < cols.out; q++, o += c) {
        const c0 = Math.max(0, q * sw - cols.before);
        const c1 = Math.min(w, q * sw - cols.before + kw);
        // Channels innermost: each window cell is a contiguous run of c values.
        for (let y = r0; y < r1; y++) {
          for (let z = c0; z < c1; z++) {
            const base = ((n * h + y) * w + z) * c;
            if (y === r0 && z === c0) {
              for (let ch = 0; ch < c; ch++) {
                best[ch] = xv[base + ch]!;
                at[o + ch] = base + ch;
              }
              continue;
            }
            for (let ch = 0; ch < c; ch++) {
              const v = xv[base + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                at[o + ch] = base + ch;
              }
            }
          }
        }
      }
    }
  }
  return at;
}

/** The pooled shape of `x` under `a`. */
const pooled = ([b, h, w, c]: readonly number[], a: PoolAttrs): number[] => {
  const same = a.padding === 'SAME';
  return [
    b!,
    axis(h!, a.ksize[1]!, a.strides[1]!, same).out,
    axis(w!, a.ksize[2]!, a.strides[2]!, same).out,
    c!,
  ];
};

/** The geometry the SIMD loop takes. */
function geometry(dims: tfc.Tensor4D['shape'], a: PoolAttrs): PoolGeometry {
  const [kh, kw, sh, sw] = [a.ksize[1]!, a.ksize[2]!, a.strides[1]!, a.strides[2]!];
  const same = a.padding === 'SAME';
  const [rows, cols] = [axis(dims[1], kh, sh, same), axis(dims[2], kw, sw, same)];
  return { dims, kh, kw, sh, sw, oh: rows.out, ow: cols.out, padTop: rows.before, padLeft: cols.before };
}

/** MaxPoolGrad: each output cell's gradient added at its window's argmax. */
export function maxPoolGradByArgmax(x: tfc.Tensor4D, dy: tfc.Tensor, a: PoolAttrs): tfc.Tensor {
  return float32Kernel([x, dy], [x.shape], ([xv, dyv], [out], simd) => {
    out!.fill(0);
    if (simd?.maxPoolGrad(xv!, dyv!, out!, geometry(x.shape, a))) return;
    const at = maxPoolArgmax(xv!, x.shape, a);
    for (let o = 0; o < at.length; o++) out![at[o]!]! += dyv![o]!;
  })[0]!;
}

/** MaxPoolGradGrad: `g` (input-shaped) read at each window's argmax. */
export function maxPoolGradGradByArgmax(x: tfc.Tensor4D, g: tfc.Tensor, a: PoolAttrs): tfc.Tensor {
  return float32Kernel([x, g], [pooled(x.shape, a)], ([xv, gv], [out]) => {
    const at = maxPoolArgmax(xv!, x.shape, a);
    for (let o = 0; o < at.length; o++) out![o] = gv![at[o]!]!;
  })[0]!;
}
