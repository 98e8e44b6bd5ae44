// Batch norm's moving-average updates run through createTrainOp (GraphKeys.UPDATE_OPS): after k
// training steps the moving statistics equal a hand-computed reference, and a model trained with
// batch norm in training mode evaluates with the moving statistics in inference mode.
import {
  Graph,
  globalVariables,
  globalVariablesInitializer,
  layers,
  losses,
  type NDArray,
  placeholder,
  Session,
  type Tensor,
  type Variable,
} from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer, getGlobalStep } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../helpers.js';

describe('batch norm with createTrainOp', () => {
  it('applies the moving-average updates once per step (k = 5, hand-computed reference)', () => {
    const g = new Graph();
    const warn: string[] = [];
    const origWarn = console.warn;
    console.warn = (m: string) => void warn.push(m);
    const { x, labels, trainOp, training, out } = g.asDefault(() => {
      const x = placeholder('float32', [8, 3]);
      const labels = placeholder('float32', [8, 1]);
      const training = placeholder('bool', []);
      const h = layers.batchNormalization(x, { training, momentum: 0.9 });
      const out = layers.dense(h, 1);
      const loss = losses.meanSquaredError(labels, out);
      return { x, labels, training, out, trainOp: createTrainOp(loss, new GradientDescentOptimizer(0.1)) };
    });
    console.warn = origWarn;
    expect(warn).toEqual([]);
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    const vars = g.asDefault(() => globalVariables()) as Variable[];
    const byName = (n: string) => vars.find((v) => v.op.name === `batch_normalization/${n}`)!;
    const mm = [0, 0, 0];
    const mv = [1, 1, 1];
    const decay = Math.fround(1 - 0.9);
    for (let step = 0; step < 5; step++) {
      const xv = randomArray([8, 3], 'normal', 100 + step);
      const yv = randomArray([8, 1], 'normal', 200 + step);
      sess.run(
        trainOp,
        new Map<Tensor, NDArray | boolean>([
          [x, xv],
          [labels, yv],
          [training, true],
        ]),
      );
      const d = xv.data as Float32Array;
      for (let c = 0; c < 3; c++) {
        const col = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => d[r * 3 + c]!);
        const mean = col.reduce((a, b) => a + b, 0) / 8;
        const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 8;
        mm[c] = mm[c]! - (mm[c]! - mean) * decay;
        mv[c] = mv[c]! - (mv[c]! - variance) * decay;
      }
    }
    Array.from(sess.run(byName('moving_mean')).data as Float32Array).forEach((v, i) =>
      expect(v).toBeCloseTo(mm[i]!, 5),
    );
    Array.from(sess.run(byName('moving_variance')).data as Float32Array).forEach((v, i) =>
      expect(v).toBeCloseTo(mv[i]!, 5),
    );
    expect(sess.run(g.asDefault(() => getGlobalStep())!).item()).toBe(5);
    // gamma and beta were trained, not only the dense layer.
    expect(Array.from(sess.run(byName('gamma')).data as Float32Array)).not.toEqual([1, 1, 1]);
    // Inference: a fixed input gives the same output on every run (moving statistics, no update).
    const xv = randomArray([8, 3], 'normal', 7);
    const feeds = new Map<Tensor, NDArray | boolean>([
      [x, xv],
      [training, false],
    ]);
    const a = sess.run(out, feeds).data;
    expect(sess.run(out, feeds).data).toEqual(a);
    Array.from(sess.run(byName('moving_mean')).data as Float32Array).forEach((v, i) =>
      expect(v).toBeCloseTo(mm[i]!, 5),
    );
  });
});
