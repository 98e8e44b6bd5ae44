// ApplyAdam's one-pass kernel (cpu and wasm, straight over the backend's memory) against TF's
// training_ops.cc formula written op by op in eager tfjs, with and without Nesterov, over a few
// steps from random slots; and no tensor left behind.
import * as g from '@graphmode/graph';
import { ApplyAdam } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { afterThreeUpdates, expectClose, randomArray } from '../helpers.js';

const [LR, B1, B2, EPS, T] = [0.01, 0.9, 0.999, 1e-7, 3];
const start = () => [0, 1, 2].map((i) => randomArray([3, 5], i === 2 ? 'positive' : 'normal', 11 + i));
const gradient = () => randomArray([3, 5], 'normal', 17);

async function threeSteps(backend: 'cpu' | 'wasm', useNesterov: boolean): Promise<g.NDArray[]> {
  const graph = new g.Graph();
  const { update, vars } = graph.asDefault(() => {
    const vars = start().map((a, i) => g.variable(a, { name: ['var', 'm', 'v'][i] }));
    const update = ApplyAdam.applyOp(
      {
        var: vars[0]!.ref(),
        m: vars[1]!.ref(),
        v: vars[2]!.ref(),
        beta1Power: g.constant(B1 ** T),
        beta2Power: g.constant(B2 ** T),
        lr: g.constant(LR),
        beta1: g.constant(B1),
        beta2: g.constant(B2),
        epsilon: g.constant(EPS),
        grad: g.constant(gradient()),
      },
      { useLocking: false, useNesterov },
    );
    return { update, vars };
  });
  return afterThreeUpdates(
    graph,
    backend,
    update,
    vars.map((v) => v.value()),
  );
}

/** TF's formula op by op: lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ); m += (g−m)(1−β1); v += (g²−v)(1−β2); var −= lr_t·m̂/(√v+ε). */
function oracle(useNesterov: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const t = (a: g.NDArray) => tf.tensor(a.data as Float32Array, a.shape as number[]);
    let [x, m, v] = start().map(t) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const grad = t(gradient());
    const alpha = (LR * Math.sqrt(1 - B2 ** T)) / (1 - B1 ** T);
    for (let i = 0; i < 3; i++) {
      m = m.add(grad.sub(m).mul(1 - B1));
      v = v.add(
        grad
          .square()
          .sub(v)
          .mul(1 - B2),
      );
      const num = useNesterov ? grad.mul(1 - B1).add(m.mul(B1)) : m;
      x = x.sub(num.mul(alpha).div(v.sqrt().add(EPS)));
    }
    return [x, m, v];
  });
}

describe('ApplyAdam one-pass kernel', () => {
  for (const nesterov of [false, true]) {
    it(`follows TF's formula on cpu and wasm (useNesterov=${nesterov})`, async () => {
      const expected = oracle(nesterov);
      for (const backend of ['cpu', 'wasm'] as const) {
        const got = await threeSteps(backend, nesterov);
        got.forEach((c, i) => expectClose(c, expected[i]!, 1e-6));
      }
      // The update moved the variable.
      const moved = expected[0]!
        .sub(tf.tensor(start()[0]!.data as Float32Array, [3, 5]))
        .abs()
        .max();
      expect(moved.dataSync()[0]).toBeGreaterThan(1e-4);
      tf.dispose([...expected, moved]);
    });
  }
});
