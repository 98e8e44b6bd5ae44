// Rank-2 float32 matrix products on wasm through kernels.wat's gemm instead of tfjs's matMul.
// XNNPACK (under tfjs-wasm's matMul) packs its right operand before multiplying and caches the
// packing per tensor; in training the weights are a new tensor every step, and so are the
// gradients a weight gradient multiplies, so it repacks on nearly every call (an MLP's
// [64,784]·[784,256] with new weights: ~2.1 ms; 0.84 ms with its packing cached; 0.71 ms here,
// docs/performance.md). The gemm reads both operands where they are, takes a transposed left
// operand through its strides, and applies a bias and relu before storing (`_FusedMatMul`).
import * as tfc from '@tensorflow/tfjs-core';
import { GEMM_SCRATCH } from './simd/index.js';
import { float32Kernel, onSimdHeap } from './typed_kernel.js';

export interface GemmEpilogue {
  /** Added to every row after the sum (a BiasAdd), shape [n]. */
  bias?: tfc.Tensor;
  relu?: boolean;
}

/**
 * op(a)·op(b) (+ bias, relu) for rank-2 float32 tensors on wasm with WebAssembly SIMD, or null
 * where the gemm does not apply (other backends, dtypes or ranks, empty products).
 */
export function simdMatMul(
  a: tfc.Tensor,
  b: tfc.Tensor,
  ta: boolean,
  tb: boolean,
  { bias, relu = false }: GemmEpilogue = {},
): tfc.Tensor | null {
  if (a.rank !== 2 || b.rank !== 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [m, k] = (ta ? [a.shape[1], a.shape[0]] : a.shape) as [number, number];
  const n = b.shape[tb ? 0 : 1]!;
  if (m * n * k === 0 || (bias && (bias.rank !== 1 || bias.size !== n))) return null;
  if (!onSimdHeap(bias ? [a, b, bias] : [a, b])) return null;
  if (!tb) return product(a, ta, b, [m, n, k], bias, relu);
  // The gemm reads its right operand row by row, so a flagged b is either transposed (n·k
  // elements copied) or moved to the left of Cᵀ = b·op(a)ᵀ, which copies op(a)ᵀ (nothing when
  // a is flagged too) and the [n, m] result: dy·Wᵀ for a wide W copies far less that way.
  const swapped = (ta ? 0 : m * k) + m * n;
  if (bias || relu || n * k <= swapped) {
    return tfc.tidy(() => product(a, ta, tfc.transpose(b), [m, n, k], bias, relu));
  }
  return tfc.tidy(() => tfc.transpose(product(b, false, ta ? a : tfc.transpose(a), [n, m, k])));
}

/** op(a)·b with b row-major [k, n]. */
function product(
  a: tfc.Tensor,
  ta: boolean,
  b: tfc.Tensor,
  [m, n, k]: [number, number, number],
  bias?: tfc.Tensor,
  relu = false,
): tfc.Tensor {
  const inputs = bias ? [a, b, bias] : [a, b];
  const [c, scratch] = float32Kernel(inputs, [[m, n], [GEMM_SCRATCH]], ([av, bv, biasv], [cv, sv], simd) => {
    // Element [i, p] of op(a): a[i, p] (row stride k), or a[p, i] when transposed (stride m).
    const left = { data: av!, rows: m, cols: k, rowStride: ta ? 1 : k, colStride: ta ? m : 1 };
    simd!.gemm(left, bv!, cv!, n, biasv ?? null, relu, sv!);
  });
  scratch!.dispose();
  return c!;
}
