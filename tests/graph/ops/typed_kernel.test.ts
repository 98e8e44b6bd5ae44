// float32Kernel: a JS loop over the backend's own memory (wasm heap views, cpu arrays). Values
// against the same loop over plain copies, inputs untouched, outputs valid across heap growth,
// nothing leaked when the loop throws.
import { float32Kernel, shareTensor } from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let previous: string;
beforeAll(async () => {
  previous = tf.getBackend();
});
afterAll(async () => {
  await tf.setBackend(previous);
});

// out0 = a * b + 1, out1 = a reversed: touches every element of every array.
const fill = ([a, b]: readonly Float32Array[], [o0, o1]: Float32Array[]) => {
  for (let i = 0; i < a!.length; i++) {
    o0![i] = a![i]! * b![i]! + 1;
    o1![a!.length - 1 - i] = a![i]!;
  }
};

describe.each(['cpu', 'wasm'])('float32Kernel on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('computes every output from the inputs and leaves the inputs unchanged', () => {
    const a = tf.tensor([1, -2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor([2, 2, 2, -1, 0.5, 0], [2, 3]);
    const [o0, o1] = float32Kernel([a, b], [[2, 3], [6]], fill);
    expect(o0!.shape).toEqual([2, 3]);
    expect(o1!.shape).toEqual([6]);
    expect(Array.from(o0!.dataSync())).toEqual([3, -3, 7, -3, 3.5, 1]);
    expect(Array.from(o1!.dataSync())).toEqual([6, 5, 4, 3, -2, 1]);
    expect(Array.from(a.dataSync())).toEqual([1, -2, 3, 4, 5, 6]);
    tf.dispose([a, b, o0!, o1!]);
  });

  it('stays right when allocating the outputs grows the heap', () => {
    const n = 1 << 22; // 16 MB per output, well beyond what the heap held before
    const a = tf.fill([n], 3);
    const b = tf.fill([n], 2);
    const [o0, o1] = float32Kernel([a, b], [[n], [n]], fill);
    const v = o0!.dataSync();
    expect([v[0], v[n - 1]]).toEqual([7, 7]);
    expect(o1!.dataSync()[n >> 1]).toBe(3);
    tf.dispose([a, b, o0!, o1!]);
  });

  it('frees its outputs when the loop throws', () => {
    const a = tf.tensor([1, 2]);
    const before = tf.memory().numTensors;
    expect(() =>
      float32Kernel([a], [[2]], () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });

  it('shareTensor hands out a second handle on the same data, freed with the last handle', () => {
    const before = tf.memory();
    const a = tf.tensor([1, 2, 3]);
    const b = shareTensor(a);
    expect(tf.memory().numTensors).toBe(before.numTensors + 2);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1); // no copy
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});
