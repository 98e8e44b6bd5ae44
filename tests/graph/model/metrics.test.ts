// Ports of TF 1.15's metrics_test.py (MeanTest, AccuracyTest, PrecisionTest, RecallTest,
// MeanSquaredErrorTest) and nn_test.py's ZeroFractionTest.
import {
  constant,
  Graph,
  GraphKeys,
  localVariablesInitializer,
  metrics,
  placeholder,
  Session,
  type Tensor,
  type Variable,
  zeroFraction,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

function setup<T>(build: () => T): { g: Graph; sess: Session; out: T } {
  const g = new Graph();
  const out = g.asDefault(build);
  const sess = new Session(g);
  sess.run(g.asDefault(() => localVariablesInitializer()));
  return { g, sess, out };
}

describe('metrics', () => {
  it('mean keeps total/count in local + metric variables (testVars, testMetricsCollection)', () => {
    const { g } = setup(() =>
      metrics.mean(constant([1, 2]), { metricsCollections: ['m'], updatesCollections: ['u'] }),
    );
    const local = g.getCollection<Variable>(GraphKeys.LOCAL_VARIABLES).map((v) => v.name);
    expect(local).toEqual(['mean/total:0', 'mean/count:0']);
    expect(g.getCollection<Variable>('metric_variables').map((v) => v.name)).toEqual(local);
    expect(g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES)).toEqual([]);
    expect(g.getCollection<Tensor>('m').map((t) => t.name)).toEqual(['mean/value:0']);
    expect(g.getCollection<Tensor>('u').map((t) => t.name)).toEqual(['mean/update_op:0']);
  });

  it('mean over several batches of a fed placeholder (testBasic: 1.65)', () => {
    const { sess, out } = setup(() => {
      const values = placeholder('float32', [1, 2]);
      return { values, m: metrics.mean(values) };
    });
    const rows = [
      [0, 1],
      [-4.2, 9.1],
      [6.5, 0],
      [-3.2, 4],
    ];
    for (const r of rows) sess.run(out.m[1], new Map([[out.values, [r]]]));
    expect(sess.run(out.m[0]).item()).toBeCloseTo(1.65, 5);
  });

  it('weighted mean (testWeighted1d)', () => {
    const { sess, out } = setup(() =>
      metrics.mean(
        constant([
          [0, 1],
          [-4.2, 9.1],
          [6.5, 0],
          [-3.2, 4],
        ]),
        { weights: constant([[1], [0], [0], [1]]) },
      ),
    );
    sess.run(out[1]);
    expect(sess.run(out[0]).item()).toBeCloseTo((0 + 1 - 3.2 + 4) / 4, 5);
  });

  it('accuracy: names, value before any update is 0, streaming updates (testMultipleUpdates)', () => {
    const { g, sess, out } = setup(() => {
      const labels = placeholder('int32', [null]);
      const preds = placeholder('int32', [null]);
      return { labels, preds, acc: metrics.accuracy(labels, preds) };
    });
    expect(g.getCollection<Variable>(GraphKeys.LOCAL_VARIABLES).map((v) => v.name)).toEqual([
      'accuracy/total:0',
      'accuracy/count:0',
    ]);
    expect(sess.run(out.acc[0]).item()).toBe(0);
    const feed = (l: number[], p: number[]) =>
      new Map<Tensor, number[]>([
        [out.labels, l],
        [out.preds, p],
      ]);
    expect(sess.run(out.acc[1], feed([0, 1, 1, 0], [0, 1, 0, 1])).item()).toBeCloseTo(0.5, 6);
    expect(sess.run(out.acc[1], feed([2, 2], [2, 2])).item()).toBeCloseTo(4 / 6, 6);
    expect(sess.run(out.acc[0]).item()).toBeCloseTo(4 / 6, 6);
  });

  it('accuracy squeezes a trailing 1 and rejects incompatible shapes', () => {
    const { sess, out } = setup(() => metrics.accuracy(constant([[1], [2], [3]]), constant([1, 2, 0])));
    expect(sess.run(out[1]).item()).toBeCloseTo(2 / 3, 6);
    expect(() =>
      new Graph().asDefault(() => metrics.accuracy(constant([1, 2, 3]), constant([1, 2]))),
    ).toThrow('Shapes [2] and [3] are incompatible');
  });

  it('precision and recall (testAllCorrect / testSomeCorrect / testAllIncorrect, zero denominators)', () => {
    const { g, sess, out } = setup(() => {
      const labels = constant([1, 0, 1, 0]);
      const preds = constant([1, 0, 0, 1]);
      return {
        p: metrics.precision(labels, preds),
        r: metrics.recall(labels, constant([1, 1, 0, 0])),
        empty: metrics.precision(constant([1, 1]), constant([0, 0])),
      };
    });
    expect(g.getCollection<Variable>(GraphKeys.LOCAL_VARIABLES).map((v) => v.op.name)).toEqual([
      'precision/true_positives/count',
      'precision/false_positives/count',
      'recall/true_positives/count',
      'recall/false_negatives/count',
      'precision_1/true_positives/count',
      'precision_1/false_positives/count',
    ]);
    const [p, r, e] = sess.run([out.p[1], out.r[1], out.empty[1]]);
    expect(p!.item()).toBeCloseTo(0.5, 6);
    expect(r!.item()).toBeCloseTo(0.5, 6);
    expect(e!.item()).toBe(0);
    expect(sess.run(out.p[0]).item()).toBeCloseTo(0.5, 6);
  });

  it('meanSquaredError (testSingleUpdateWithErrorAndWeights shape: 6/3, then streaming)', () => {
    const { sess, out } = setup(() =>
      metrics.meanSquaredError(constant([1, 3, 2, 3]), constant([2, 4, 6, 8])),
    );
    expect(sess.run(out[1]).item()).toBeCloseTo((1 + 1 + 16 + 25) / 4, 5);
    expect(sess.run(out[1]).item()).toBeCloseTo((1 + 1 + 16 + 25) / 4, 5);
  });

  it('rejects unknown options', () => {
    expect(() => new Graph().asDefault(() => metrics.mean(constant(1), { weight: 1 } as never))).toThrow(
      "metrics.mean: unknown option 'weight'",
    );
  });
});

describe('zeroFraction', () => {
  it('counts zeros as a float32 fraction named zero_fraction/fraction', () => {
    const g = new Graph();
    const z = g.asDefault(() =>
      zeroFraction(
        constant([
          [0, 1, 0, 3],
          [0, 0, -1, 2],
        ]),
      ),
    );
    expect(z.name).toBe('zero_fraction/fraction:0');
    expect(z.dtype).toBe('float32');
    expect(new Session(g).run(z).item()).toBe(0.5);
  });
});
