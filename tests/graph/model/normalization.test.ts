// Port of TF 1.15's normalization_test.py for tf.layers.batch_normalization: variable names,
// UPDATE_OPS, moving statistics after k steps against a hand-computed reference (population
// variance for 2-D inputs, FusedBatchNorm's Bessel-corrected variance for 4-D ones), inference
// from moving statistics, and one graph switching `training` by a fed bool.
import {
  add,
  constant,
  Graph,
  GraphKeys,
  globalVariables,
  globalVariablesInitializer,
  layers,
  type NDArray,
  placeholder,
  randomUniform,
  Session,
  type Tensor,
  trainableVariables,
  type Variable,
  variable,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../../helpers.js';

const f32 = Math.fround;

/** Per-channel mean and population variance of a row-major [n, c] view. */
function stats(data: Float32Array, c: number): { mean: number[]; variance: number[]; n: number } {
  const n = data.length / c;
  const mean = Array<number>(c).fill(0);
  const variance = Array<number>(c).fill(0);
  for (let i = 0; i < data.length; i++) mean[i % c]! += data[i]! / n;
  for (let i = 0; i < data.length; i++) variance[i % c]! += (data[i]! - mean[i % c]!) ** 2 / n;
  return { mean, variance, n };
}

function build(
  shape: number[],
  training: boolean | 'fed',
  opts: { momentum?: number } = {},
  unknownBatch = false,
) {
  const g = new Graph();
  return g.asDefault(() => {
    const x = placeholder('float32', unknownBatch ? [null, ...shape.slice(1)] : shape);
    const t = training === 'fed' ? placeholder('bool', [], { name: 'is_training' }) : training;
    const y = layers.batchNormalization(x, { training: t, ...opts });
    const vars = Object.fromEntries(globalVariables().map((v) => [v.op.name.split('/')[1], v])) as Record<
      string,
      Variable
    >;
    const updates = g.getCollection<Tensor>(GraphKeys.UPDATE_OPS);
    const sess = new Session(g);
    sess.run(globalVariablesInitializer());
    return { g, x, t, y, vars, updates, sess };
  });
}
const arr = (a: NDArray) => Array.from(a.data as Float32Array);

describe('layers.batchNormalization', () => {
  it('creates gamma, beta, moving_mean, moving_variance and two UPDATE_OPS when training', () => {
    const { vars, updates, g } = build([4, 3], true);
    expect(Object.keys(vars)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(g.asDefault(() => trainableVariables().map((v) => v.op.name))).toEqual([
      'batch_normalization/gamma',
      'batch_normalization/beta',
    ]);
    expect(updates.map((u) => u.name)).toEqual([
      'batch_normalization/AssignMovingAvg:0',
      'batch_normalization/AssignMovingAvg_1:0',
    ]);
    expect(updates.map((u) => u.op.type)).toEqual(['AssignSub', 'AssignSub']);
    expect(build([4, 3], false).updates).toEqual([]);
  });

  it('uniquifies and reuses like the other layers; center/scale false drop beta/gamma', () => {
    const g = new Graph();
    g.asDefault(() => {
      const x = constant(randomArray([4, 3]));
      layers.batchNormalization(x);
      layers.batchNormalization(x, { center: false, scale: false });
      layers.batchNormalization(x, { name: 'bn' });
      layers.batchNormalization(x, { name: 'bn', reuse: true });
      expect(globalVariables().map((v) => v.op.name)).toEqual([
        'batch_normalization/gamma',
        'batch_normalization/beta',
        'batch_normalization/moving_mean',
        'batch_normalization/moving_variance',
        'batch_normalization_1/moving_mean',
        'batch_normalization_1/moving_variance',
        'bn/gamma',
        'bn/beta',
        'bn/moving_mean',
        'bn/moving_variance',
      ]);
    });
  });

  it.each([
    ['2-D input: moving variance follows the population variance', [8, 3], false, false],
    ['4-D NHWC input (TF’s fused path): moving variance takes n/(n-1)', [2, 3, 2, 3], true, false],
    ['4-D NHWC input of unknown batch size (n/(n-1) at run time)', [2, 3, 2, 3], true, true],
  ] as const)('%s, after k steps', (_, shape, fused, unknownBatch) => {
    const { x, y, vars, updates, sess } = build([...shape], true, {}, unknownBatch);
    const c = 3;
    let mm = [0, 0, 0];
    let mv = [1, 1, 1];
    let mvOther = [1, 1, 1];
    // Fused: decay = 1 - float32(0.99) in float32; non-fused: the double 1 - 0.99 rounded once.
    const decay = fused ? f32(1 - f32(0.99)) : f32(1 - 0.99);
    for (let step = 0; step < 4; step++) {
      const xv = randomArray([...shape], 'normal', 10 + step);
      const [out] = sess.run([y, ...updates], new Map([[x, xv]]));
      const s = stats(xv.data as Float32Array, c);
      // Training output: normalized with the batch mean and *population* variance, either way.
      const data = xv.data as Float32Array;
      const expected = Array.from(
        data,
        (v, i) => (v - s.mean[i % c]!) / Math.sqrt(s.variance[i % c]! + 1e-3),
      );
      arr(out!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
      const batchVar = fused ? s.variance.map((v) => (v * s.n) / (s.n - 1)) : s.variance;
      mm = mm.map((m, i) => m - (m - s.mean[i]!) * decay);
      mv = mv.map((m, i) => m - (m - batchVar[i]!) * decay);
      const otherVar = fused ? s.variance : s.variance.map((v) => (v * s.n) / (s.n - 1));
      mvOther = mvOther.map((m, i) => m - (m - otherVar[i]!) * decay);
    }
    arr(sess.run(vars.moving_mean!)).forEach((v, i) => expect(v).toBeCloseTo(mm[i]!, 5));
    arr(sess.run(vars.moving_variance!)).forEach((v, i) => expect(v).toBeCloseTo(mv[i]!, 5));
    // The reference tells the variants apart: the other variance rule misses by far more than 1e-5.
    expect(Math.max(...mv.map((v, i) => Math.abs(v - mvOther[i]!)))).toBeGreaterThan(1e-3);
  });

  it('inference (training false) normalizes with the moving statistics', () => {
    const { x, y, vars, sess } = build([5, 2], false, {});
    sess.run([vars.moving_mean!.assign([1, -2]), vars.moving_variance!.assign([4, 0.25])]);
    sess.run([vars.gamma!.assign([2, 1]), vars.beta!.assign([0.5, 0])]);
    const xv = randomArray([5, 2], 'normal', 3);
    const out = arr(sess.run(y, new Map([[x, xv]])));
    const mean = [1, -2];
    const variance = [4, 0.25];
    const [gamma, beta] = [
      [2, 1],
      [0.5, 0],
    ];
    Array.from(xv.data as Float32Array).forEach((v, i) => {
      const c = i % 2;
      expect(out[i]).toBeCloseTo(
        ((v - mean[c]!) / Math.sqrt(variance[c]! + 1e-3)) * gamma![c]! + beta![c]!,
        5,
      );
    });
  });

  it.each([
    ['2-D', [6, 2]],
    ['4-D fused', [2, 2, 2, 2]],
  ] as const)('%s: a fed bool switches batch/moving statistics and the updates in one graph', (_, shape) => {
    const { x, t, y, vars, updates, sess } = build([...shape], 'fed');
    const feeds = (xv: NDArray, training: boolean) =>
      new Map<Tensor, NDArray | boolean>([
        [x, xv],
        [t as Tensor, training],
      ]);
    const xv = randomArray([...shape], 'normal', 21);
    // Not training: moving statistics (0, 1) are used and stay unchanged although the updates run.
    const [inf] = sess.run([y, ...updates], feeds(xv, false));
    arr(inf!).forEach((v, i) =>
      expect(v).toBeCloseTo((xv.data as Float32Array)[i]! / Math.sqrt(1 + 1e-3), 5),
    );
    expect(arr(sess.run(vars.moving_mean!))).toEqual([0, 0]);
    expect(arr(sess.run(vars.moving_variance!))).toEqual([1, 1]);
    // Training: batch statistics, and the moving mean moves by decay toward the batch mean.
    const [tr] = sess.run([y, ...updates], feeds(xv, true));
    const s = stats(xv.data as Float32Array, 2);
    arr(tr!).forEach((v, i) =>
      expect(v).toBeCloseTo(
        ((xv.data as Float32Array)[i]! - s.mean[i % 2]!) / Math.sqrt(s.variance[i % 2]! + 1e-3),
        4,
      ),
    );
    arr(sess.run(vars.moving_mean!)).forEach((v, i) => expect(v).toBeCloseTo(s.mean[i]! * 0.01, 6));
  });

  it('channels_first (axis 1) and build-time errors', () => {
    const g = new Graph();
    g.asDefault(() => {
      const y = layers.batchNormalization(constant(randomArray([2, 3, 4, 4])), { axis: 1, training: true });
      expect(y.shape).toEqual([2, 3, 4, 4]);
      expect(globalVariables()[0]!.shape).toEqual([3]);
      expect(() => layers.batchNormalization(placeholder('float32', [2, null]))).toThrow(
        'Input has undefined `axis` dimension.',
      );
      expect(() => layers.batchNormalization(constant([[1]]), { training: constant(1) })).toThrow(
        'training must be a boolean or a bool tensor',
      );
      expect(() => layers.batchNormalization(constant([[1]]), { renorm: true } as never)).toThrow(
        /layers\.batchNormalization: unknown option 'renorm'; accepted options: axis, momentum/,
      );
    });
  });

  // normalization_test.py's test4DInputAxis3 / test2DInput...: inputs ~ U[100, 101), 100 steps with
  // a fed `training`, then the moving statistics match the data's and inference normalizes.
  it.each([
    ['test4DInputAxis3', [5, 4, 3, 6], 3],
    ['test4DInputAxis1', [5, 4, 3, 6], 1],
    ['test2DInput (axis -1)', [40, 6], 1],
    ['test3DInputAxis1', [5, 4, 3], 1],
    ['test3DInputAxis2', [5, 4, 3], 2],
  ] as const)('%s (100 steps, momentum 0.9)', (_, shape, axis) => {
    const g = new Graph();
    const m = g.asDefault(() => {
      const inputs = variable(add(randomUniform([...shape], { seed: 1 }), 100), { name: 'inputs' });
      const training = placeholder('bool', []);
      const outputs = layers.batchNormalization(inputs, {
        axis: axis === 1 && shape.length === 2 ? -1 : axis,
        epsilon: 1e-3,
        momentum: 0.9,
        training,
      });
      return {
        inputs,
        training,
        outputs,
        updates: g.getCollection<Tensor>(GraphKeys.UPDATE_OPS),
        init: globalVariablesInitializer(),
      };
    });
    const sess = new Session(g);
    sess.run(m.init);
    const meanStd = (xs: number[]) => {
      const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
      return [mu, Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / xs.length)];
    };
    for (let i = 0; i < 100; i++) {
      const [out] = sess.run([m.outputs, ...m.updates], new Map([[m.training, true]]));
      if (i % 33 === 0) {
        const [mu, sd] = meanStd(arr(out!));
        expect(Math.abs(mu!)).toBeLessThan(0.05);
        expect(Math.abs(sd! - 1)).toBeLessThan(0.05);
      }
    }
    const data = arr(sess.run(m.inputs));
    const c = shape[axis]!;
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const perChannel = Array.from({ length: c }, (_, k) =>
      data.filter((__, i) => Math.floor(i / stride) % c === k),
    );
    const named = (n: string) => g.asDefault(() => globalVariables().find((v) => v.op.name.endsWith(n))!);
    const movingMean = arr(sess.run(named('moving_mean')));
    const movingVar = arr(sess.run(named('moving_variance')));
    perChannel.forEach((xs, k) => {
      const [mu, sd] = meanStd(xs);
      expect(Math.abs(movingMean[k]! - mu!)).toBeLessThan(1e-2);
      expect(Math.abs(movingVar[k]! - sd! ** 2)).toBeLessThan(1e-2);
    });
    const [mu, sd] = meanStd(arr(sess.run(m.outputs, new Map([[m.training, false]]))));
    expect(Math.abs(mu!)).toBeLessThan(0.1);
    expect(Math.abs(sd! - 1)).toBeLessThan(0.1);
  });
});
