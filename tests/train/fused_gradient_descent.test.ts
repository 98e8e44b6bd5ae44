// ApplyGradientDescent's one-pass kernel (cpu and wasm, straight over the backend's memory)
// against TF's formula var -= alpha·delta written in eager tfjs float32 ops, for sizes that
// exercise the SIMD loop and its scalar tail; bit-exact, and no tensor left behind.
import * as g from '@graphmode/graph';
import { ApplyGradientDescent } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { afterThreeUpdates, randomArray } from '../helpers.js';

const LR = 0.037;

async function threeSteps(backend: 'cpu' | 'wasm', shape: number[]): Promise<Float32Array> {
  const graph = new g.Graph();
  const { update, v } = graph.asDefault(() => {
    const v = g.variable(randomArray(shape, 'normal', 3), { name: 'var' });
    const update = ApplyGradientDescent.applyOp(
      { var: v.ref(), alpha: g.constant(LR), delta: g.constant(randomArray(shape, 'normal', 5)) },
      { useLocking: false },
    );
    return { update, v };
  });
  const [out] = await afterThreeUpdates(graph, backend, update, [v.value()]);
  return out!.data as Float32Array;
}

describe('ApplyGradientDescent one-pass kernel', () => {
  for (const shape of [[3, 5], [4, 8], [1]]) {
    it(`equals TF's var - alpha·delta in float32 on cpu and wasm (shape ${shape})`, async () => {
      const expected = tf.tidy(() => {
        let x = tf.tensor(randomArray(shape, 'normal', 3).data as Float32Array, shape);
        const d = tf.tensor(randomArray(shape, 'normal', 5).data as Float32Array, shape);
        for (let i = 0; i < 3; i++) x = x.sub(d.mul(tf.scalar(LR)));
        return Array.from(x.dataSync());
      });
      for (const backend of ['cpu', 'wasm'] as const) {
        expect(Array.from(await threeSteps(backend, shape))).toEqual(expected);
      }
    });
  }
});
