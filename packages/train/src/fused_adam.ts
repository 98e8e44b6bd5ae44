// ApplyAdam on the cpu backend as one pass over the four arrays. tfjs-cpu runs each elementwise
// op as its own loop into a fresh array, so the op-by-op update (12 full-size ops per variable)
// costs more than eager tfjs's Adam; one loop reads var, m, v and grad once and writes three arrays.
import * as tfc from '@tensorflow/tfjs-core';

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
export function fusedAdamCpu(
  t: AdamValues,
  useNesterov: boolean,
): { var: tfc.Tensor; m: tfc.Tensor; v: tfc.Tensor } {
  const [b1, b2, eps] = [scalar(t.beta1), scalar(t.beta2), scalar(t.epsilon)];
  const alpha = Math.fround(
    (scalar(t.lr) * Math.sqrt(1 - scalar(t.beta2Power))) / (1 - scalar(t.beta1Power)),
  );
  const [x, m, v, g] = [t.var, t.m, t.v, t.grad].map((u) => u.dataSync() as Float32Array) as Float32Array[];
  const n = x!.length;
  const [x1, m1, v1] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const gi = g![i]!;
    const mi = m![i]! + (gi - m![i]!) * (1 - b1);
    const vi = v![i]! + (gi * gi - v![i]!) * (1 - b2);
    const num = useNesterov ? gi * (1 - b1) + mi * b1 : mi;
    m1[i] = mi;
    v1[i] = vi;
    x1[i] = x![i]! - (num * alpha) / (Math.sqrt(vi) + eps);
  }
  const shape = t.var.shape;
  return { var: tfc.tensor(x1, shape), m: tfc.tensor(m1, shape), v: tfc.tensor(v1, shape) };
}
