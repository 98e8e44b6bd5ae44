// ApplyAdam as one pass over the four arrays, on cpu and wasm. tfjs-cpu runs each elementwise op
// as its own loop into a fresh array, and on wasm each of the op-by-op update's 12 full-size ops
// pays tfjs's per-kernel overhead (allocation, bookkeeping), which for an MLP's small variables
// costs more than the arithmetic: one loop reads var, m, v and grad once and writes three arrays,
// in the backend's own memory (float32Kernel) — on wasm a WebAssembly SIMD loop, since a scalar
// JS loop there was slower than the 12 native ops.
import { float32Kernel } from '@graphmode/graph';
import type * as tfc from '@tensorflow/tfjs-core';

interface AdamValues {
  var: tfc.Tensor;
  m: tfc.Tensor;
  v: tfc.Tensor;
  grad: tfc.Tensor;
  beta1Power: tfc.Tensor;
  beta2Power: tfc.Tensor;
  lr: tfc.Tensor;
  beta1: tfc.Tensor;
  beta2: tfc.Tensor;
  epsilon: tfc.Tensor;
}

/** TF's ApplyAdam (training_ops.cc) element by element; the scalars are read once. */
export function fusedAdam(
  t: AdamValues,
  useNesterov: boolean,
): { var: tfc.Tensor; m: tfc.Tensor; v: tfc.Tensor } {
  const shape = t.var.shape;
  // The scalars are inputs too: read from the backend's memory like the rest, not copied out.
  const scalars = [t.beta1, t.beta2, t.epsilon, t.lr, t.beta1Power, t.beta2Power];
  const [x1, m1, v1] = float32Kernel(
    [t.var, t.m, t.v, t.grad, ...scalars],
    [shape, shape, shape],
    ([x, m, v, g, ...s], outs, simd) => {
      const [b1, b2, eps, lr, b1Power, b2Power] = s.map((a) => a[0]!) as number[];
      const alpha = Math.fround((lr! * Math.sqrt(1 - b2Power!)) / (1 - b1Power!));
      const [x1, m1, v1] = outs as [Float32Array, Float32Array, Float32Array];
      const n = x!.length;
      // On wasm the SIMD loop does all but the last n mod 4 elements.
      const k = {
        s1: 1 - b1!,
        s2: 1 - b2!,
        p: useNesterov ? 1 - b1! : 0,
        q: useNesterov ? b1! : 1,
        alpha,
        eps: eps!,
      };
      const done = simd?.adam(x!, m!, v!, g!, outs, k) ?? 0;
      for (let i = done; i < n; i++) {
        const gi = g![i]!;
        const mi = m![i]! + (gi - m![i]!) * k.s1;
        const vi = v![i]! + (gi * gi - v![i]!) * k.s2;
        m1[i] = mi;
        v1[i] = vi;
        x1[i] = x![i]! - ((gi * k.p + mi * k.q) * alpha) / (Math.sqrt(vi) + k.eps);
      }
    },
  );
  return { var: x1!, m: m1!, v: v1! };
}
