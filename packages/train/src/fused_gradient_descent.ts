// ApplyGradientDescent as one pass over the variable: tfjs's form is two kernels (mul, sub) with
// an intermediate the size of the variable, each paying tfjs's per-kernel cost; one loop reads
// var and delta once, in the backend's own memory (float32Kernel) — a SIMD loop on wasm.
import { float32Kernel } from '@graphmode/graph';
import type * as tfc from '@tensorflow/tfjs-core';

/** TF's ApplyGradientDescent: var - delta·alpha, in float32 as TF rounds it. */
export function fusedGradientDescent(t: { var: tfc.Tensor; alpha: tfc.Tensor; delta: tfc.Tensor }): {
  var: tfc.Tensor;
} {
  const [x1] = float32Kernel([t.var, t.alpha, t.delta], [t.var.shape], ([x, a, d], [out], simd) => {
    const alpha = a![0]!;
    const done = simd?.gradientDescent(x!, d!, out!, alpha) ?? 0;
    for (let i = done; i < x!.length; i++) out![i] = x![i]! - Math.fround(d![i]! * alpha);
  });
  return { var: x1! };
}
