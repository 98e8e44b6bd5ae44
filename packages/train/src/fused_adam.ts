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

const scalar = (t: tfc.Tensor): number => (t.dataSync() as Float32Array)[0]!;

/** TF's ApplyAdam (training_ops.cc) element by element; the scalars are read once. */
export function fusedAdam(
  t: AdamValues,
  useNesterov: boolean,
): { var: tfc.Tensor; m: tfc.Tensor; v: tfc.Tensor } {
  const [b1, b2, eps] = [scalar(t.beta1), scalar(t.beta2), scalar(t.epsilon)];
  const alpha = Math.fround(
    (scalar(t.lr) * Math.sqrt(1 - scalar(t.beta2Power))) / (1 - scalar(t.beta1Power)),
  );
  const shape = t.var.shape;
  const k = { s1: 1 - b1, s2: 1 - b2, p: useNesterov ? 1 - b1 : 0, q: useNesterov ? b1 : 1, alpha, eps };
  const [x1, m1, v1] = float32Kernel(
    [t.var, t.m, t.v, t.grad],
    [shape, shape, shape],
    ([x, m, v, g], outs, simd) => {
      const [x1, m1, v1] = outs as [Float32Array, Float32Array, Float32Array];
      const n = x!.length;
      // On wasm the SIMD loop does all but the last n mod 4 elements.
      const done = simd?.adam(x!, m!, v!, g!, outs, k) ?? 0;
      for (let i = done; i < n; i++) {
        const gi = g![i]!;
        const mi = m![i]! + (gi - m![i]!) * (1 - b1);
        const vi = v![i]! + (gi * gi - v![i]!) * (1 - b2);
        const num = useNesterov ? gi * (1 - b1) + mi * b1 : mi;
        m1[i] = mi;
        v1[i] = vi;
        x1[i] = x![i]! - (num * alpha) / (Math.sqrt(vi) + eps);
      }
    },
  );
  return { var: x1!, m: m1!, v: v1! };
}
