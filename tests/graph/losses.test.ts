import * as g from '@graphmode/graph';
import { losses } from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, runOnce, toTf } from '../helpers.js';

/** Builds a scalar loss in a fresh graph and evaluates it. */
function value(build: () => g.Tensor, feeds?: (graph: g.Graph) => Map<g.Tensor, g.TensorLike>): number {
  const graph = new g.Graph();
  const t = graph.asDefault(build);
  const sess = new g.Session(graph);
  try {
    return sess.run(t, feeds?.(graph)).item() as number;
  } finally {
    sess.close();
  }
}
const c = (v: g.TensorLike, shape?: number[]) => g.constant(v, shape ? { shape } : {});
const inGraph = (fn: () => void) => new g.Graph().asDefault(fn);

// Numbers from TF 1.15's tensorflow/python/kernel_tests/losses_test.py.
describe("losses: TF's losses_test values", () => {
  const pred = () => c([4, 8, 12, 8, 1, 3], [2, 3]);
  const lab = () => c([1, 9, 2, -5, -2, 6], [2, 3]);

  it('absoluteDifference', () => {
    expect(value(() => losses.absoluteDifference(pred(), pred()))).toBeCloseTo(0, 3);
    expect(value(() => losses.absoluteDifference(lab(), pred()))).toBeCloseTo(5.5, 3);
    expect(value(() => losses.absoluteDifference(lab(), pred(), { weights: 2.3 }))).toBeCloseTo(5.5 * 2.3, 3);
    expect(value(() => losses.absoluteDifference(lab(), pred(), { weights: c(2.3) }))).toBeCloseTo(
      5.5 * 2.3,
      3,
    );
    expect(
      value(() => losses.absoluteDifference(lab(), pred(), { weights: c([1.2, 0], [2, 1]) })),
    ).toBeCloseTo(5.6, 3);
    const w = () => c([3, 6, 5, 0, 4, 2], [2, 3]);
    expect(value(() => losses.absoluteDifference(lab(), pred(), { weights: w() }))).toBeCloseTo(16.6, 3);
    const mostZero = () => c([0, 0, 0, 0, 0, 2], [2, 3]);
    expect(value(() => losses.absoluteDifference(lab(), pred(), { weights: mostZero() }))).toBeCloseTo(6, 3);
    expect(value(() => losses.absoluteDifference(lab(), pred(), { weights: g.zeros([2, 3]) }))).toBe(0);
  });

  it('meanSquaredError', () => {
    expect(value(() => losses.meanSquaredError(c(0), c(0)))).toBe(0);
    expect(value(() => losses.meanSquaredError(lab(), pred()))).toBeCloseTo(49.5, 3);
    expect(value(() => losses.meanSquaredError(lab(), pred(), { weights: 2.3 }))).toBeCloseTo(49.5 * 2.3, 3);
    expect(
      value(() => losses.meanSquaredError(lab(), pred(), { weights: c([1.2, 3.4], [2, 1]) })),
    ).toBeCloseTo(767.8 / 6, 3);
    const w = () => c([3, 6, 5, 0, 4, 2], [2, 3]);
    expect(value(() => losses.meanSquaredError(lab(), pred(), { weights: w() }))).toBeCloseTo(587 / 5, 3);
    const mostZero = () => c([0, 0, 0, 0, 0, 2], [2, 3]);
    expect(value(() => losses.meanSquaredError(lab(), pred(), { weights: mostZero() }))).toBeCloseTo(18, 3);
    expect(value(() => losses.meanSquaredError(lab(), pred(), { weights: g.zeros([2, 3]) }))).toBe(0);
    expect(value(() => losses.meanSquaredError(lab(), pred(), { weights: 0 }))).toBe(0);
  });

  const logits3 = () =>
    c([
      [10, 0, 0],
      [0, 10, 0],
      [0, 0, 10],
    ]);
  const wrong = () =>
    c(
      [
        [0, 0, 1],
        [1, 0, 0],
        [0, 1, 0],
      ],
      undefined,
    );

  it('softmaxCrossEntropy', () => {
    const right = () =>
      c([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
    inGraph(() =>
      expect(losses.softmaxCrossEntropy(right(), logits3()).op.name).toBe('softmax_cross_entropy_loss/value'),
    );
    expect(value(() => losses.softmaxCrossEntropy(right(), logits3()))).toBeCloseTo(0, 3);
    expect(value(() => losses.softmaxCrossEntropy(wrong(), logits3()))).toBeCloseTo(10, 3);
    expect(value(() => losses.softmaxCrossEntropy(wrong(), logits3(), { weights: 2.3 }))).toBeCloseTo(23, 3);
    const w = () => c([1.2, 3.4, 5.6]);
    expect(value(() => losses.softmaxCrossEntropy(wrong(), logits3(), { weights: w() }))).toBeCloseTo(
      ((1.2 + 3.4 + 5.6) * 10) / 3,
      3,
    );
    expect(value(() => losses.softmaxCrossEntropy(wrong(), logits3(), { weights: c([0, 0, 0]) }))).toBe(0);
    expect(
      value(() => losses.softmaxCrossEntropy(wrong(), logits3(), { weights: c([1.2, 0, 0]) })),
    ).toBeCloseTo(12, 3);
    inGraph(() =>
      expect(() =>
        losses.softmaxCrossEntropy(right(), logits3(), {
          weights: c([
            [3, 4, 5],
            [2, 6, 0],
            [8, 0, 1],
          ]),
        }),
      ).toThrow(/weights can not be broadcast to values/),
    );
    const smoothed = value(() =>
      losses.softmaxCrossEntropy(c([[1, 0, 0]]), c([[100, -100, -100]]), { labelSmoothing: 0.1 }),
    );
    expect(smoothed).toBeCloseTo((400 * 0.1) / 3, 3);
  });

  it('sparseSoftmaxCrossEntropy', () => {
    const labels = (v: number[][] | number[]) => g.constant(v, { dtype: 'int32' });
    inGraph(() =>
      expect(losses.sparseSoftmaxCrossEntropy(labels([[0], [1], [2]]), logits3()).op.name).toBe(
        'sparse_softmax_cross_entropy_loss/value',
      ),
    );
    expect(value(() => losses.sparseSoftmaxCrossEntropy(labels([[0], [1], [2]]), logits3()))).toBeCloseTo(
      0,
      3,
    );
    expect(value(() => losses.sparseSoftmaxCrossEntropy(labels([0, 1, 2]), logits3()))).toBeCloseTo(0, 3);
    expect(value(() => losses.sparseSoftmaxCrossEntropy(labels([[2], [0], [1]]), logits3()))).toBeCloseTo(
      10,
      3,
    );
    expect(value(() => losses.sparseSoftmaxCrossEntropy(labels([2, 0, 1]), logits3()))).toBeCloseTo(10, 3);
    const wrongL = () => labels([[2], [0], [1]]);
    expect(value(() => losses.sparseSoftmaxCrossEntropy(wrongL(), logits3(), { weights: 2.3 }))).toBeCloseTo(
      23,
      3,
    );
    expect(
      value(() => losses.sparseSoftmaxCrossEntropy(wrongL(), logits3(), { weights: c([2.3]) })),
    ).toBeCloseTo(23, 3);
    const expected = ((1.2 + 3.4 + 5.6) * 10) / 3;
    const col = () => c([1.2, 3.4, 5.6], [3, 1]);
    expect(
      value(() => losses.sparseSoftmaxCrossEntropy(wrongL(), logits3(), { weights: col() })),
    ).toBeCloseTo(expected, 3);
    expect(
      value(() => losses.sparseSoftmaxCrossEntropy(wrongL(), logits3(), { weights: c([0, 0, 0], [3, 1]) })),
    ).toBe(0);
    expect(
      value(() => losses.sparseSoftmaxCrossEntropy(wrongL(), logits3(), { weights: c([1.2, 0, 0], [3, 1]) })),
    ).toBeCloseTo(12, 3);
    // Placeholders for logits, labels and weights, fed at run time.
    const fed = value(
      () => {
        const x = g.placeholder('float32', [null, 3], { name: 'logits' });
        const y = g.placeholder('int32', [null, 1], { name: 'labels' });
        const w = g.placeholder('float32', [null, 1], { name: 'weights' });
        return losses.sparseSoftmaxCrossEntropy(y, x, { weights: w });
      },
      (graph) =>
        new Map<g.Tensor, g.TensorLike>([
          [
            graph.getTensorByName('logits:0'),
            [
              [10, 0, 0],
              [0, 10, 0],
              [0, 0, 10],
            ],
          ],
          [graph.getTensorByName('labels:0'), new g.NDArray('int32', [3, 1], Int32Array.from([2, 0, 1]))],
          [graph.getTensorByName('weights:0'), [[1.2], [3.4], [5.6]]],
        ]),
    );
    expect(fed).toBeCloseTo(expected, 3);
  });

  it('sparseSoftmaxCrossEntropy rejects inconsistent shapes at build time', () => {
    const big = () =>
      c([
        [100, -100, -100],
        [-100, 100, -100],
        [-100, -100, 100],
      ]);
    const labels = (v: number[][]) => g.constant(v, { dtype: 'int32' });
    inGraph(() => {
      expect(() =>
        losses.sparseSoftmaxCrossEntropy(labels([[0], [1], [2]]), big(), {
          weights: c([
            [3, 4, 5],
            [2, 6, 0],
            [8, 0, 1],
          ]),
        }),
      ).toThrow(g.ValueError);
      expect(() =>
        losses.sparseSoftmaxCrossEntropy(labels([[0], [1], [2]]), big(), {
          weights: c([1.2, 3.4, 5.6, 7.8]),
        }),
      ).toThrow(g.ValueError);
      expect(() =>
        losses.sparseSoftmaxCrossEntropy(labels([[0], [1], [2], [3]]), big(), {
          weights: c([1.2, 3.4, 5.6]),
        }),
      ).toThrow(g.ValueError);
      const big4 = c([
        [100, -100, -100, -100],
        [-100, 100, -100, -100],
        [-100, -100, 100, -100],
        [-100, -100, -100, 100],
      ]);
      expect(() =>
        losses.sparseSoftmaxCrossEntropy(
          labels([
            [0, 1],
            [2, 3],
          ]),
          big4,
          { weights: 1.2 },
        ),
      ).toThrow(/dimension/);
    });
  });

  it('sigmoidCrossEntropy', () => {
    const logits = () =>
      c([
        [100, -100, -100],
        [-100, 100, -100],
        [-100, -100, 100],
      ]);
    const right = () =>
      c([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
    inGraph(() =>
      expect(losses.sigmoidCrossEntropy(right(), logits()).op.name).toBe('sigmoid_cross_entropy_loss/value'),
    );
    expect(value(() => losses.sigmoidCrossEntropy(right(), logits()))).toBeCloseTo(0, 3);
    expect(value(() => losses.sigmoidCrossEntropy(wrong(), logits()))).toBeCloseTo(600 / 9, 3);
    const w = () =>
      c([
        [3, 4, 5],
        [2, 6, 0],
        [8, 0, 1],
      ]);
    expect(value(() => losses.sigmoidCrossEntropy(wrong(), logits(), { weights: w() }))).toBeCloseTo(
      1700 / 7,
      3,
    );
    const multi = () =>
      c([
        [100, -100, 100],
        [100, 100, -100],
        [-100, 100, 100],
      ]);
    expect(
      value(() =>
        losses.sigmoidCrossEntropy(
          c([
            [1, 0, 1],
            [1, 1, 0],
            [0, 1, 1],
          ]),
          multi(),
        ),
      ),
    ).toBeCloseTo(0, 3);
    const smooth = () =>
      losses.sigmoidCrossEntropy(c([[1, 0, 1]]), c([[100, -100, -100]]), { labelSmoothing: 0.1 });
    expect(value(smooth)).toBeCloseTo((100 + 50 * 0.1) / 3, 3);
    const softmaxTwoLabel = value(() =>
      losses.softmaxCrossEntropy(
        c([
          [0, 1],
          [1, 0],
          [0, 1],
        ]),
        c([
          [0, 100],
          [100, 0],
          [100, 0],
        ]),
        {
          labelSmoothing: 0.1,
        },
      ),
    );
    expect(value(smooth)).toBeCloseTo(softmaxTwoLabel, 3);
    // Placeholders of shape [None, 1] with weights onesLike(logits), fed with ones.
    const fed = value(
      () => {
        const x = g.placeholder('float32', [null, 1], { name: 'x' });
        const z = g.placeholder('float32', [null, 1], { name: 'z' });
        return losses.sigmoidCrossEntropy(z, x, { weights: g.onesLike(x) });
      },
      (graph) =>
        new Map<g.Tensor, g.TensorLike>([
          [graph.getTensorByName('x:0'), new g.NDArray('float32', [32, 1], new Float32Array(32).fill(1))],
          [graph.getTensorByName('z:0'), new g.NDArray('float32', [32, 1], new Float32Array(32).fill(1))],
        ]),
    );
    expect(fed).toBeCloseTo(0.313, 3);
  });

  it('logLoss', () => {
    const p = [0.9, 0.2, 0.2, 0.8, 0.4, 0.6];
    const l = [1, 0, 1, 1, 0, 0];
    const eps = 1e-7;
    const elem = p.map((pi, i) => l[i]! * Math.log(pi + eps) + (1 - l[i]!) * Math.log(1 - pi + eps));
    const weighted = (w: number[]) => elem.reduce((s, e, i) => s + e * w[i]!, 0);
    const P = () => c(p, [2, 3]);
    const L = () => c(l, [2, 3]);
    expect(value(() => losses.logLoss(L(), L()))).toBeCloseTo(0, 3);
    expect(value(() => losses.logLoss(L(), P()))).toBeCloseTo(-weighted([1, 1, 1, 1, 1, 1]) / 6, 3);
    expect(value(() => losses.logLoss(L(), P(), { weights: 2.3 }))).toBeCloseTo(
      (2.3 * -weighted([1, 1, 1, 1, 1, 1])) / 6,
      3,
    );
    expect(value(() => losses.logLoss(L(), P(), { weights: c([1.2, 3.4], [2, 1]) }))).toBeCloseTo(
      -weighted([1.2, 1.2, 1.2, 3.4, 3.4, 3.4]) / 6,
      3,
    );
    expect(value(() => losses.logLoss(L(), P(), { weights: c([1.2, 0], [2, 1]) }))).toBeCloseTo(
      -weighted([1.2, 1.2, 1.2, 0, 0, 0]) / 3,
      3,
    );
    expect(value(() => losses.logLoss(L(), P(), { weights: c([3, 6, 5, 0, 4, 2], [2, 3]) }))).toBeCloseTo(
      -weighted([3, 6, 5, 0, 4, 2]) / 5,
      3,
    );
    expect(value(() => losses.logLoss(L(), P(), { weights: c([0, 0, 0, 0, 0, 2], [2, 3]) }))).toBeCloseTo(
      -weighted([0, 0, 0, 0, 0, 2]),
      3,
    );
    // Predictions of rank-only shape [None, None], fed.
    const fed = value(
      () => losses.logLoss(L(), g.placeholder('float32', [null, null], { name: 'p' }), { weights: c(2.3) }),
      (graph) =>
        new Map([[graph.getTensorByName('p:0'), new g.NDArray('float32', [2, 3], Float32Array.from(p))]]),
    );
    expect(fed).toBeCloseTo((2.3 * -weighted([1, 1, 1, 1, 1, 1])) / 6, 3);
    inGraph(() =>
      expect(() => losses.logLoss(L(), P(), { weights: g.zeros([2, 4]) })).toThrow(/Mismatch at dim 1/),
    );
  });

  it('weights must not be null', () => {
    inGraph(() => {
      const weights = null as unknown as number;
      expect(() => losses.meanSquaredError(c([1]), c([2]), { weights })).toThrow(/weights must not be None/);
    });
  });
});

describe('softmaxCrossEntropy over any rank ([..., classes] -> [...])', () => {
  const S = [2, 3, 4];
  const labels = randomArray(S, [0, 1], 5);
  const logits = randomArray(S, 'normal', 6);
  const weights = randomArray([2, 1], [0.5, 2], 7);
  // Oracle: -sum(z' * logSoftmax(x), -1) with z' = z * (1 - ls) + ls / classes, weighted,
  // reduced by TF's default SUM_BY_NONZERO_WEIGHTS (all weights are non-zero here).
  const eager = (ls: number, reduce: boolean) =>
    tf.tidy(() => {
      const z = tf.add(tf.mul(toTf(labels), 1 - ls), ls / S[2]!);
      const perEntry = tf.mul(tf.neg(tf.sum(tf.mul(z, tf.logSoftmax(toTf(logits))), -1)), toTf(weights));
      return reduce ? tf.div(tf.sum(perEntry), S[0]! * S[1]!) : perEntry;
    });
  const staticShapes: [string, (number | null)[] | null][] = [
    ['static [2,3,4]', S],
    ['unknown dims [?,?,?]', [null, null, null]],
    ['unknown rank', null],
  ];
  for (const [what, shape] of staticShapes) {
    it(`${what}: label smoothing, weights [2,1]`, () => {
      const graph = new g.Graph();
      const { x, z, t } = graph.asDefault(() => {
        const x = g.placeholder('float32', shape);
        const z = g.placeholder('float32', shape);
        const t = losses.softmaxCrossEntropy(z, x, { weights: g.constant(weights), labelSmoothing: 0.2 });
        return { x, z, t };
      });
      expect(t.shape).toEqual([]);
      const sess = new g.Session(graph);
      const got = sess.run(
        t,
        new Map([
          [x, logits],
          [z, labels],
        ]),
      );
      sess.close();
      const expected = eager(0.2, true);
      expectClose(got, expected, 1e-5);
      expected.dispose();
    });
  }
  it('reduction NONE keeps the leading dims', () => {
    const graph = new g.Graph();
    const t = graph.asDefault(() =>
      losses.softmaxCrossEntropy(g.constant(labels), g.constant(logits), {
        weights: g.constant(weights),
        reduction: losses.Reduction.NONE,
      }),
    );
    expect(t.shape).toEqual([2, 3]);
    const expected = eager(0, false);
    expectClose(runOnce(graph, t), expected, 1e-5);
    expected.dispose();
  });
  it('rank-3 logits against tf.losses.softmaxCrossEntropy', () => {
    const graph = new g.Graph();
    const t = graph.asDefault(() => losses.softmaxCrossEntropy(g.constant(labels), g.constant(logits)));
    const expected = tf.tidy(() => tf.losses.softmaxCrossEntropy(toTf(labels), toTf(logits)));
    expectClose(runOnce(graph, t), expected, 1e-5);
    expected.dispose();
  });
  it('rejects labels whose shape does not match the logits, and per-batch weights for rank-3 logits', () => {
    inGraph(() => {
      expect(() => losses.softmaxCrossEntropy(g.zeros([2, 3, 5]), g.zeros(S))).toThrow(
        /softmaxCrossEntropy: logits shape \[2,3,4\] is incompatible with labels shape \[2,3,5\]/,
      );
      // TF: weights must be a scalar or of the losses' rank ([2, 3] here).
      expect(() => losses.softmaxCrossEntropy(g.zeros(S), g.zeros(S), { weights: g.ones([2]) })).toThrow(
        /weights can not be broadcast to values/,
      );
    });
  });
});

describe('losses vs eager tf.losses', () => {
  const S = [4, 3];
  type Row = [
    string,
    (a: g.Tensor, b: g.Tensor, w: g.Tensor) => g.Tensor,
    (a: tf.Tensor, b: tf.Tensor, w: tf.Tensor) => tf.Tensor,
  ];
  const rows: Row[] = [
    [
      'meanSquaredError',
      (l, p, w) => losses.meanSquaredError(l, p, { weights: w }),
      (l, p, w) => tf.losses.meanSquaredError(l, p, w),
    ],
    [
      'absoluteDifference',
      (l, p, w) => losses.absoluteDifference(l, p, { weights: w }),
      (l, p, w) => tf.losses.absoluteDifference(l, p, w),
    ],
    [
      'huberLoss',
      (l, p, w) => losses.huberLoss(l, p, { weights: w, delta: 0.5 }),
      (l, p, w) => tf.losses.huberLoss(l, p, w, 0.5),
    ],
    [
      'logLoss',
      (l, p, w) => losses.logLoss(l, g.sigmoid(p), { weights: w, epsilon: 1e-4 }),
      (l, p, w) => tf.losses.logLoss(l, tf.sigmoid(p), w, 1e-4),
    ],
    [
      'sigmoidCrossEntropy (label smoothing)',
      (l, p, w) => losses.sigmoidCrossEntropy(l, p, { weights: w, labelSmoothing: 0.2 }),
      (l, p, w) => tf.losses.sigmoidCrossEntropy(l, p, w, 0.2),
    ],
    [
      'softmaxCrossEntropy (label smoothing, per-example weights)',
      (l, p, w) =>
        losses.softmaxCrossEntropy(g.softmax(l), p, { weights: g.reduceMean(w, 1), labelSmoothing: 0.1 }),
      (l, p, w) => tf.losses.softmaxCrossEntropy(tf.softmax(l), p, tf.mean(w, 1), 0.1),
    ],
  ];
  const reductions: [losses.ReductionType, tf.Reduction][] = [
    [losses.Reduction.SUM_BY_NONZERO_WEIGHTS, tf.Reduction.SUM_BY_NONZERO_WEIGHTS],
    [losses.Reduction.SUM, tf.Reduction.SUM],
    [losses.Reduction.MEAN, tf.Reduction.MEAN],
    [losses.Reduction.NONE, tf.Reduction.NONE],
  ];
  const labels = randomArray(S, [0, 1], 1);
  const preds = randomArray(S, 'normal', 2);
  const weights = new g.NDArray(
    'float32',
    S,
    (randomArray(S, [-1, 2], 3).data as Float32Array).map((v) => Math.max(v, 0)),
  );
  for (const [name, build, eager] of rows) {
    it(name, () => {
      const graph = new g.Graph();
      const t = graph.asDefault(() => build(g.constant(labels), g.constant(preds), g.constant(weights)));
      const got = runOnce(graph, t);
      const expected = tf.tidy(() => eager(toTf(labels), toTf(preds), toTf(weights)));
      expectClose(got, expected, 1e-4);
      expected.dispose();
    });
  }
  for (const [ours, theirs] of reductions) {
    it(`computeWeightedLoss reduction ${ours}`, () => {
      const graph = new g.Graph();
      const t = graph.asDefault(() =>
        losses.computeWeightedLoss(g.constant(preds), { weights: g.constant(weights), reduction: ours }),
      );
      const got = runOnce(graph, t);
      const expected = tf.tidy(() => tf.losses.computeWeightedLoss(toTf(preds), toTf(weights), theirs));
      expectClose(got, expected, 1e-5);
      expected.dispose();
    });
  }
  it('SUM_OVER_BATCH_SIZE divides by the element count', () => {
    const v = value(() =>
      losses.computeWeightedLoss(c([1, 2, 3, 4]), {
        weights: c([1, 0, 1, 0]),
        reduction: losses.Reduction.SUM_OVER_BATCH_SIZE,
      }),
    );
    expect(v).toBeCloseTo(1, 6);
  });
});

describe('loss collections', () => {
  it('each loss joins GraphKeys.LOSSES; getTotalLoss adds the regularization losses', () => {
    const graph = new g.Graph();
    const { a, b, r, total, noReg } = graph.asDefault(() => {
      const a = losses.meanSquaredError(c([1, 2]), c([2, 4])); // 2.5
      const b = losses.absoluteDifference(c([1]), c([4]), { lossCollection: 'mine' }); // 3
      const outside = losses.absoluteDifference(c([1]), c([5]), { lossCollection: null });
      const r = g.constant(0.25, { name: 'reg' });
      graph.addToCollection(g.GraphKeys.REGULARIZATION_LOSSES, r);
      losses.addLoss(outside, { lossCollection: 'mine' });
      return {
        a,
        b,
        r,
        total: losses.getTotalLoss(),
        noReg: losses.getTotalLoss({ addRegularizationLosses: false, name: 'data_loss' }),
      };
    });
    expect(losses.getLosses()).toEqual([]); // the global default graph is untouched
    graph.asDefault(() => {
      expect(losses.getLosses()).toEqual([a]);
      expect(losses.getLosses({ lossCollection: 'mine' }).map((t) => t.op.name)).toEqual([
        b.op.name,
        'absolute_difference_1/value',
      ]);
      expect(losses.getRegularizationLosses()).toEqual([r]);
      expect(losses.getLosses({ scope: 'mean_squared_error' })).toEqual([a]);
    });
    expect(total.op.name).toBe('total_loss');
    expect(noReg.op.name).toBe('data_loss');
    expect(noReg.op.type).toBe('Identity');
    const sess = new g.Session(graph);
    const [tv, nv] = sess.run([total, noReg]);
    sess.close();
    expect(tv!.item()).toBeCloseTo(2.75, 6);
    expect(nv!.item()).toBeCloseTo(2.5, 6);
  });

  it('getTotalLoss throws when there is nothing to add; getRegularizationLoss is 0 then', () => {
    inGraph(() => {
      expect(() => losses.getTotalLoss()).toThrow(/no losses/);
      const zero = losses.getRegularizationLoss();
      expect([zero.op.type, zero.name, zero.dtype]).toEqual(['Const', 'Const:0', 'float32']);
    });
  });
});

describe('losses, clipping and nn_impl on the wasm backend', () => {
  it('match the cpu backend', async () => {
    const graph = new g.Graph();
    const fetches = graph.asDefault(() => {
      const x = g.constant(randomArray([4, 3], 'normal', 5));
      const z = g.constant(randomArray([4, 3], [0, 1], 6));
      const y = g.constant(new g.NDArray('int32', [4], Int32Array.from([0, 2, 1, 2])));
      return [
        losses.softmaxCrossEntropy(z, x, { labelSmoothing: 0.1 }),
        losses.sparseSoftmaxCrossEntropy(y, x, { weights: g.constant([1, 0, 2, 1]) }),
        losses.sigmoidCrossEntropy(z, x),
        losses.logLoss(z, g.sigmoid(x)),
        losses.huberLoss(z, x),
        g.clipByNorm(x, 1),
        g.clipByGlobalNorm([x, z], 1)[0][1]!,
        g.moments(x, [0])[1],
        g.l2Normalize(x, { axis: 1 }),
        g.batchNormalization(x, 0.1, 2, 0.3, 1.5, 1e-3),
      ];
    });
    const cpuSess = new g.Session(graph);
    const cpu = cpuSess.run(fetches);
    cpuSess.close();
    const sess = await g.Session.create(graph, { backend: 'wasm' });
    const wasm = sess.run(fetches);
    sess.close();
    wasm.forEach((v, i) => expectClose(v, cpu[i]!, 1e-5));
  });
});
