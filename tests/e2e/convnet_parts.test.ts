// The main job's parts (examples/convnet/): the warmup + cosine learning-rate schedule against its
// closed form, the affine distortion against exact pixel moves, batch norm recalibration against
// the moving-average formula, and the seed sweep's parsing and table.
import {
  Graph,
  GraphKeys,
  globalVariables,
  globalVariablesInitializer,
  NDArray,
  placeholder,
  Session,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { distortImages, shiftImages } from '../../examples/convnet/augment.js';
import { recalibrateBatchNorm } from '../../examples/convnet/evaluate.js';
import { buildConvnet } from '../../examples/convnet/model.js';
import { warmupCosineDecay, warmupCosineValue } from '../../examples/convnet/schedule.js';
import { parseRun, sweepTable } from '../../examples/convnet_sweep.js';
import type { Batch } from '../../examples/mnist_data.js';

describe('warmupCosineDecay', () => {
  // lr 0.003, 20 warmup steps, 0 at step 100: hand-computed values of the closed form.
  const expected: [number, number][] = [
    [0, 0],
    [10, 0.0015],
    [20, 0.003],
    [40, 0.003 * 0.5 * (1 + Math.cos(Math.PI / 4))],
    [60, 0.0015],
    [100, 0],
    [150, 0],
  ];
  it('matches the closed form in JS', () => {
    for (const [step, lr] of expected) expect(warmupCosineValue(0.003, step, 20, 100)).toBeCloseTo(lr, 12);
    expect(warmupCosineValue(0.003, 100, 20, 100, 0.1)).toBeCloseTo(0.0003, 12);
  });
  it('matches it as a graph of the global step', () => {
    const graph = new Graph();
    const { step, lr } = graph.asDefault(() => {
      const s = placeholder('int32', [], { name: 'step' });
      return { step: s, lr: warmupCosineDecay(0.003, s, 20, 100) };
    });
    const sess = new Session(graph);
    try {
      for (const [s, want] of expected) expect(Number(sess.run(lr, [[step, s]]).item())).toBeCloseTo(want, 7);
    } finally {
      sess.close();
    }
  });
  it('rejects a warmup that does not end before the last step', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const s = placeholder('int32', []);
      expect(() => warmupCosineDecay(0.003, s, 100, 100)).toThrow(
        /warmupSteps must be an integer in \[0, totalSteps = 100\), got 100/,
      );
    });
  });
});

describe('distortImages', () => {
  const image = Float32Array.from({ length: 2 * 784 }, (_, i) => (i * 7919) % 101);
  // Draw order per image: rotation, scale, x shift, y shift; uniform(r) = (2·draw − 1)·r.
  const draws = (xs: number[]) => () => xs.shift()!;
  it('is the identity with no rotation, scaling or shift', () => {
    expect(distortImages(image, Math.random, { degrees: 0, scale: 0, shift: 0 })).toEqual(image);
  });
  it('moves whole pixels as shiftImages does', () => {
    // dx = +1, dy = −1 for both images.
    const out = distortImages(image, draws([0.5, 0.5, 1, 0, 0.5, 0.5, 1, 0]), {
      degrees: 0,
      scale: 0,
      shift: 1,
    });
    const want = shiftImages(image, draws([0.99, 0, 0.99, 0]), 1);
    expect(Array.from(out, (v) => Math.round(v * 1e4) / 1e4)).toEqual(Array.from(want));
  });
  it('rotates a quarter turn about the centre', () => {
    const out = distortImages(image.subarray(0, 784), draws([1, 0.5, 0.5, 0.5]), {
      degrees: 90,
      scale: 0.2,
      shift: 2,
    });
    // Output (x, y) samples input (y, 27 − x).
    for (const [x, y] of [
      [0, 0],
      [3, 20],
      [27, 27],
      [14, 5],
    ] as const)
      expect(out[y * 28 + x]).toBeCloseTo(image[(27 - x) * 28 + y]!, 4);
  });
  it('scales about the centre and fills from outside with 0', () => {
    // scale 2: output (x, y) samples the centre + half the offset: 13.5 + (0 − 13.5)/2 = 6.75.
    const ones = new Float32Array(784).fill(1);
    const out = distortImages(ones, draws([0.5, 0.75, 0.5, 0.5]), { degrees: 0, scale: 2, shift: 0 });
    expect(out.every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    const shrunk = distortImages(ones, draws([0.5, 0.25, 0.5, 0.5]), { degrees: 0, scale: 1, shift: 0 });
    expect(Array.from(shrunk).filter((v) => v === 0).length).toBeGreaterThan(0); // s = 0.5: the border is empty
    expect(shrunk[14 * 28 + 14]).toBe(1);
  });
});

describe('recalibrateBatchNorm', () => {
  it('applies the moving-average update count times: moving = m^k · old + (1 − m^k) · batch mean', async () => {
    const model = buildConvnet({ filters: [2, 2], hiddenUnits: 4, seed: 3, normalizeAfterPool: true });
    const sess = await Session.create(model.graph, { backend: 'cpu' });
    try {
      model.graph.asDefault(() => sess.run(globalVariablesInitializer()));
      const images = new NDArray(
        'float32',
        [4, 784],
        Float32Array.from({ length: 4 * 784 }, (_, i) => (i % 13) / 13),
      );
      const batch: Batch = { images, labels: new NDArray('int32', [4], Int32Array.from([1, 2, 3, 4])) };
      const pooled = model.graph.getTensorByName('max_pooling2d/MaxPool:0');
      const x = sess.run(pooled, [[model.images, images]]).data as Float32Array;
      const channelMean = [0, 1].map(
        (c) => x.filter((_, i) => i % 2 === c).reduce((s, v) => s + v, 0) / (x.length / 2),
      );
      expect(model.graph.getCollection(GraphKeys.UPDATE_OPS).length).toBe(4);
      recalibrateBatchNorm(
        sess,
        model,
        (function* () {
          for (;;) yield batch;
        })(),
        3,
      );
      const moving = model.graph.asDefault(
        () => globalVariables().find((v) => v.op.name === 'batch_normalization/moving_mean')!,
      );
      const got = Array.from(sess.run(moving.value()).data as Float32Array);
      const k = 1 - 0.9 ** 3;
      expect(got[0]).toBeCloseTo(k * channelMean[0]!, 5);
      expect(got[1]).toBeCloseTo(k * channelMean[1]!, 5);
    } finally {
      sess.close();
    }
  });
});

describe('convnet sweep', () => {
  it('parses the main job output and tabulates mean and min', () => {
    const out =
      'trained 700 steps in 84.1 s\nheld-out accuracy: 98.45% at step 700\ntotal: 88.0 s wall, 86.5 s CPU\n';
    const a = parseRun(3, out);
    expect(a).toEqual({ seed: 3, accuracy: 98.45, wallSeconds: 88, cpuSeconds: 86.5 });
    const b = { seed: 4, accuracy: 98.05, wallSeconds: 92, cpuSeconds: 90.5 };
    const table = sweepTable([a, b]);
    expect(table).toContain('| 3 | 98.45% | 86.5 | 88.0 |');
    expect(table).toContain('| **mean** | 98.25% | 88.5 | 90.0 |');
    expect(table).toContain('| **min** | 98.05% | 86.5 | 88.0 |');
    expect(() => parseRun(5, 'crashed')).toThrow(/seed 5: no accuracy\/total lines/);
    const averaged = parseRun(6, `${out}weight averages: 98.10%, with batch norm recalibrated 98.60%\n`);
    expect(averaged.averaged).toBe(98.6);
    const both = sweepTable([averaged, { ...b, averaged: 98.2 }]);
    expect(both).toContain('| seed | held-out accuracy | weight averages | CPU s | wall s |');
    expect(both).toContain('| **min** | 98.05% | 98.20% | 86.5 | 88.0 |');
  });
});
