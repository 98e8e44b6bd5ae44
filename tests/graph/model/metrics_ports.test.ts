// More ports of TF 1.15's metrics_test.py (MeanTest, AccuracyTest, PrecisionTest, RecallTest,
// MeanSquaredErrorTest), in_topk_op_test.py and nn_test.py's ZeroFractionTest.
import {
  cast,
  constant,
  expandDims,
  Graph,
  GraphKeys,
  getDefaultGraph,
  inTopK,
  localVariablesInitializer,
  metrics,
  ones,
  placeholder,
  Session,
  type Tensor,
  ValueError,
  type Variable,
  zeroFraction,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

type Feeds = [Tensor, number | number[] | number[][]][];
function evaluate(build: () => [Tensor, Tensor], feeds: Feeds = []): { update: number; value: number } {
  const g = new Graph();
  const [value, update] = g.asDefault(build);
  const sess = new Session(g);
  sess.run(g.asDefault(() => localVariablesInitializer()));
  const u = sess.run(update, feeds).item() as number;
  return { update: u, value: sess.run(value, feeds).item() as number };
}
// metrics_test.py's _test_values: 1, 2, 3, ... in `shape`.
const testValues = (shape: number[]) =>
  constant(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1),
    { shape },
  );

describe('MeanTest', () => {
  it('testUpdateOpsReturnsCurrentValue', () => {
    const g = new Graph();
    const { values, m } = g.asDefault(() => {
      const values = placeholder('float32', [1, 2]);
      return { values, m: metrics.mean(values) };
    });
    const sess = new Session(g);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    const rows = [
      [0, 1],
      [-4.2, 9.1],
      [6.5, 0],
      [-3.2, 4],
    ];
    const expected = [0.5, 1.475, 12.4 / 6, 1.65];
    rows.forEach((r, i) => expect(sess.run(m[1], [[values, [r]]]).item()).toBeCloseTo(expected[i]!, 5));
    expect(sess.run(m[0]).item()).toBeCloseTo(1.65, 5);
  });

  it.each([
    [undefined],
    [1],
    [[1, 1, 1]],
    [[1, 1, 1, 1]],
    [[1, 1, 1, 1, 1]],
    [[1, 1, 4]],
    [[1, 1, 4, 1]],
    [[1, 2, 1]],
    [[1, 2, 4, 1]],
    [[3, 1, 1]],
    [[3, 1, 4]],
    [[3, 2, 1, 1]],
    [[3, 2, 4]],
    [[3, 2, 4, 1, 1]],
  ] as const)('testUnweighted: weights of ones, shape %j, give the plain mean', (w) => {
    const r = evaluate(() =>
      metrics.mean(
        testValues([3, 2, 4, 1]),
        w === undefined ? {} : { weights: typeof w === 'number' ? w : ones([...(w as readonly number[])]) },
      ),
    );
    expect(r.update).toBeCloseTo(12.5, 6);
    expect(r.value).toBeCloseTo(12.5, 6);
  });

  it.each([
    ['test1x1xNWeighted', [1, 1, 4], [5, 7, 11, 3]],
    ['test1xNx1Weighted', [1, 2, 1], [5, 11]],
    ['testNx1x1Weighted', [3, 1, 1], [5, 7, 11]],
    ['testNx1xNWeighted', [3, 1, 4], [5, 7, 11, 3, 2, 12, 7, 5, 2, 17, 11, 3]],
  ] as const)('%s', (_, shape, w) => {
    // expected = sum(weights * values) / sum(weights * ones_like(values)), values (3, 2, 4)
    let num = 0;
    let den = 0;
    for (let i = 0; i < 24; i++) {
      const [a, b, c] = [Math.floor(i / 8), Math.floor(i / 4) % 2, i % 4];
      const idx =
        (shape[0] === 1 ? 0 : a) * shape[1] * shape[2] +
        (shape[1] === 1 ? 0 : b) * shape[2] +
        (shape[2] === 1 ? 0 : c);
      num += w[idx]! * (i + 1);
      den += w[idx]!;
    }
    const r = evaluate(() =>
      metrics.mean(testValues([3, 2, 4]), { weights: constant([...w], { shape: [...shape] }) }),
    );
    expect(r.update).toBeCloseTo(num / den, 4);
    expect(r.value).toBeCloseTo(num / den, 4);
  });

  it('testInvalidWeights (static shapes): weights can not be broadcast to values', () =>
    new Graph().asDefault(() => {
      const values = testValues([3, 2, 4, 1]);
      for (const w of [
        [1],
        [1, 1],
        [3, 2],
        [2, 4, 1],
        [4, 2, 4, 1],
        [3, 3, 4, 1],
        [3, 2, 5, 1],
        [3, 2, 4, 2],
        [1, 1, 1, 1, 1],
      ]) {
        expect(() => metrics.mean(values, { weights: w })).toThrow(ValueError);
        expect(() => metrics.mean(values, { weights: w })).toThrow(
          /^weights can not be broadcast to values\./,
        );
      }
      expect(() => metrics.mean(values, { weights: ones([3, 3, 4, 1]) })).toThrow(
        'weights can not be broadcast to values. Mismatch at dim 1.',
      );
    }));
});

describe('AccuracyTest', () => {
  it('testVars / names with a name option', () =>
    new Graph().asDefault(() => {
      const [acc, update] = metrics.accuracy(ones([10, 1]), ones([10, 1]), { name: 'my_accuracy' });
      expect([acc.name, update.name]).toEqual(['my_accuracy/value:0', 'my_accuracy/update_op:0']);
    }));

  it('testPredictionsAndLabelsOfDifferentSize / ...WeightsOfDifferentSize raise ValueError', () =>
    new Graph().asDefault(() => {
      expect(() => metrics.accuracy(ones([10, 4]), ones([10, 3]))).toThrow(ValueError);
      expect(() => metrics.accuracy(ones([10, 3]), ones([10, 3]), { weights: ones([9, 3]) })).toThrow(
        ValueError,
      );
    }));

  it('testEffectivelyEquivalentSizes (with a scalar weight)', () => {
    expect(evaluate(() => metrics.accuracy(ones([40]), ones([40, 1])))).toEqual({ update: 1, value: 1 });
    expect(evaluate(() => metrics.accuracy(ones([40]), ones([40, 1]), { weights: 2 }))).toEqual({
      update: 1,
      value: 1,
    });
  });

  it('testEffectivelyEquivalentSizesWithStaticShapedWeight / ...DynamicallyShapedWeight', () => {
    const labelsPreds = () => ({
      preds: constant([1, 1, 1], { dtype: 'int32' }),
      labels: expandDims(constant([1, 0, 0], { dtype: 'int32' }), 1),
    });
    const s = evaluate(() => {
      const { preds, labels } = labelsPreds();
      return metrics.accuracy(labels, preds, {
        weights: expandDims(constant([100, 1, 1], { dtype: 'int32' }), 1),
      });
    });
    expect(s.update).toBeGreaterThan(0.95);
    expect(s.value).toBeGreaterThan(0.95);
    let w!: Tensor;
    const build = () => {
      const { preds, labels } = labelsPreds();
      w = placeholder('int32', null, { name: 'weights' });
      return metrics.accuracy(labels, preds, { weights: w });
    };
    const g = new Graph();
    const [value, update] = g.asDefault(build);
    const sess = new Session(g);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    const feeds: Feeds = [[w, [[100], [1], [1]]]];
    expect(sess.run(update, feeds).item()).toBeGreaterThan(0.95);
    expect(sess.run(value, feeds).item()).toBeGreaterThan(0.95);
  });

  it('testMultipleUpdatesWithWeightedValues', () => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const p = placeholder('float32', [1, 1]);
      const l = placeholder('float32', [1, 1]);
      const w = placeholder('int32', [1, 1]);
      return { p, l, w, acc: metrics.accuracy(l, p, { weights: w }) };
    });
    const sess = new Session(g);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    const rows = [
      [0, 0, 1],
      [1, 1, 1],
      [2, 1, 0],
      [1, 2, 0],
    ];
    let last = 0;
    for (const [p, l, w] of rows)
      last = sess
        .run(t.acc[1], [
          [t.p, [[p!]]],
          [t.l, [[l!]]],
          [t.w, [[w!]]],
        ])
        .item() as number;
    expect(last).toBe(1);
    expect(sess.run(t.acc[0]).item()).toBe(1);
  });
});

describe('remove_squeezable_dimensions', () => {
  it('squeezes a last dim that may be 1 (unknown), and decides at run time when a rank is unknown', () => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const l = placeholder('int32', [null]);
      const p = placeholder('int32', [null, null]);
      const lu = placeholder('int32');
      const pu = placeholder('int32');
      return { l, p, lu, pu, a: metrics.accuracy(l, p), b: metrics.accuracy(lu, pu) };
    });
    expect(t.a[1].shape).toEqual([]);
    const sess = new Session(g);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    expect(
      sess
        .run(t.a[1], [
          [t.l, [1, 2, 3]],
          [t.p, [[1], [2], [0]]],
        ])
        .item(),
    ).toBeCloseTo(2 / 3, 6);
    expect(
      sess
        .run(t.b[1], [
          [t.lu, [[1], [2], [3]]],
          [t.pu, [1, 2, 0]],
        ])
        .item(),
    ).toBeCloseTo(2 / 3, 6);
    expect(
      sess
        .run(t.b[1], [
          [t.lu, [1, 2, 3]],
          [t.pu, [1, 5, 3]],
        ])
        .item(),
    ).toBeCloseTo(4 / 6, 6);
  });
});

describe('PrecisionTest / RecallTest', () => {
  const preds = () =>
    constant([
      [1, 0, 1, 0],
      [1, 0, 1, 0],
    ]);
  const labels = () =>
    constant([
      [0, 1, 1, 0],
      [1, 0, 0, 1],
    ]);

  it('testVars: variables in LOCAL_VARIABLES and METRIC_VARIABLES', () =>
    new Graph().asDefault(() => {
      const graph = getDefaultGraph();
      metrics.precision(ones([10, 1]), ones([10, 1]));
      metrics.recall(ones([10, 1]), ones([10, 1]));
      const expected = [
        'precision/true_positives/count:0',
        'precision/false_positives/count:0',
        'recall/true_positives/count:0',
        'recall/false_negatives/count:0',
      ];
      expect(graph.getCollection<Variable>(GraphKeys.LOCAL_VARIABLES).map((v) => v.name)).toEqual(expected);
      expect(graph.getCollection<Variable>(GraphKeys.METRIC_VARIABLES).map((v) => v.name)).toEqual(expected);
    }));

  it.each(['bool', 'int32', 'float32'] as const)('testSomeCorrect_multipleInputDtypes (%s)', (dtype) => {
    const r = evaluate(() =>
      metrics.precision(
        cast(constant([0, 1, 1, 0], { shape: [1, 4] }), dtype),
        cast(constant([1, 0, 1, 0], { shape: [1, 4] }), dtype),
      ),
    );
    expect(r.update).toBeCloseTo(0.5, 6);
    expect(r.value).toBeCloseTo(0.5, 6);
  });

  it('precision testWeighted1d / testWeighted2d; recall testWeighted1d / testWeighted2d', () => {
    const w1 = () => ({ weights: constant([[2], [5]]) });
    const w2 = () => ({
      weights: constant([
        [1, 2, 3, 4],
        [4, 3, 2, 1],
      ]),
    });
    expect(evaluate(() => metrics.precision(labels(), preds(), w1())).update).toBeCloseTo(
      (2 + 5) / (2 + 2 + 5 + 5),
      6,
    );
    expect(evaluate(() => metrics.precision(labels(), preds(), w2())).update).toBeCloseTo(
      (3 + 4) / (1 + 3 + 4 + 2),
      6,
    );
    // RecallTest's predictions: [[1, 0, 1, 0], [0, 1, 0, 1]]
    const recallPreds = () =>
      constant([
        [1, 0, 1, 0],
        [0, 1, 0, 1],
      ]);
    expect(evaluate(() => metrics.recall(labels(), recallPreds(), w1())).update).toBeCloseTo(7 / 14, 6);
    expect(evaluate(() => metrics.recall(labels(), recallPreds(), w2())).value).toBeCloseTo(4 / 10, 6);
  });

  it('testWeightedScalar_placeholders: unknown-shape predictions and labels', () => {
    let p!: Tensor;
    let l!: Tensor;
    const g = new Graph();
    const [value, update] = g.asDefault(() => {
      p = placeholder('float32');
      l = placeholder('float32');
      return metrics.precision(l, p, { weights: 2 });
    });
    const sess = new Session(g);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    const feeds: Feeds = [
      [
        p,
        [
          [1, 0, 1, 0],
          [1, 0, 1, 0],
        ],
      ],
      [
        l,
        [
          [0, 1, 1, 0],
          [1, 0, 0, 1],
        ],
      ],
    ];
    expect(sess.run(update, feeds).item()).toBeCloseTo(0.5, 6);
    expect(sess.run(value, feeds).item()).toBeCloseTo(0.5, 6);
  });

  it('testZeroTrueAndFalsePositivesGivesZeroPrecision / ...ZeroRecall', () => {
    expect(evaluate(() => metrics.precision(constant([0, 0, 0, 0]), constant([0, 0, 0, 0]))).value).toBe(0);
    expect(evaluate(() => metrics.recall(constant([0, 0, 0, 0]), constant([0, 0, 0, 0]))).value).toBe(0);
  });
});

describe('MeanSquaredErrorTest', () => {
  it('testSingleUpdateZeroError / WithError / WithErrorAndWeights', () => {
    expect(evaluate(() => metrics.meanSquaredError(constant([[0, 0, 0]]), constant([[0, 0, 0]]))).value).toBe(
      0,
    );
    expect(
      evaluate(() => metrics.meanSquaredError(constant([[1, 3, 2]]), constant([[2, 4, 6]]))).update,
    ).toBeCloseTo(6, 5);
    const r = evaluate(() =>
      metrics.meanSquaredError(constant([[1, 3, 2, 3]]), constant([[2, 4, 6, 8]]), {
        weights: constant([[0, 1, 0, 1]]),
      }),
    );
    expect(r.update).toBeCloseTo(13, 5);
    expect(r.value).toBeCloseTo(13, 5);
  });

  it('testMultipleBatchesOfSizeOne: 208 / 6', () => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const p = placeholder('float32', [1, 3]);
      const l = placeholder('float32', [1, 3]);
      return { p, l, mse: metrics.meanSquaredError(l, p) };
    });
    const sess = new Session(g);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    sess.run(t.mse[1], [
      [t.p, [[10, 8, 6]]],
      [t.l, [[1, 3, 2]]],
    ]);
    expect(
      sess
        .run(t.mse[1], [
          [t.p, [[-4, 3, -1]]],
          [t.l, [[2, 4, 6]]],
        ])
        .item(),
    ).toBeCloseTo(208 / 6, 4);
    expect(sess.run(t.mse[0]).item()).toBeCloseTo(208 / 6, 4);
  });

  it('bad collections and options name the metric', () =>
    new Graph().asDefault(() => {
      expect(() => metrics.mean(ones([2]), { metricsCollections: 'm' as never })).toThrow(
        "metrics.mean: option 'metricsCollections' must be an array of collection names",
      );
      expect(() => metrics.recall(ones([2]), ones([2]), { name: 3 as never })).toThrow(
        "metrics.recall: option 'name' must be a string",
      );
    }));
});

describe('in_topk_op_test.py', () => {
  const p = [
    [0.1, 0.3, 0.2, 0.4],
    [0.1, 0.2, 0.3, 0.4],
  ];
  const tie = [
    [0.1, 0.3, 0.2, 0.2],
    [0.1, 0.3, 0.2, 0.2],
  ];
  it.each([
    ['testInTop1', p, [3, 1], 1, [true, false]],
    ['testInTop2', p, [2, 2], 2, [false, true]],
    ['testInTop2Tie', tie, [2, 3], 2, [true, true]],
    [
      'testInTopNan',
      [
        [0.1, Number.NaN, 0.2, 0.4],
        [0.1, 0.2, 0.3, Number.POSITIVE_INFINITY],
      ],
      [1, 3],
      2,
      [false, false],
    ],
    ['testBadTarget', tie, [2, 4], 2, [true, false]],
    ['testTensorK', p, [0, 2], 'tensor', [false, true]],
  ] as const)('%s', (_, predictions, targets, k, expected) => {
    const g = new Graph();
    const t = g.asDefault(() =>
      inTopK(
        predictions.map((r) => [...r]),
        [...targets],
        k === 'tensor' ? constant(3, { dtype: 'int32' }) : k,
      ),
    );
    expect(t.shape).toEqual([2]);
    expect(t.dtype).toBe('bool');
    expect(new Session(g).run(t).toArray()).toEqual(expected);
  });
});

describe('inTopK arguments', () => {
  it('k must be a number or a tensor; shapes are checked when building', () =>
    new Graph().asDefault(() => {
      expect(() => inTopK([[0.1, 0.2]], [0], '1' as never)).toThrow(
        "inTopK: argument 'k' must be a number or an int32 scalar Tensor, got string 1",
      );
      expect(() => inTopK([0.1, 0.2], [0], 1)).toThrow(/must be rank 2/);
      expect(() => inTopK([[0.1, 0.2]], [0, 1], 1)).toThrow(
        /First dimension of predictions \[1,2\] must match length of targets \[2\]/,
      );
    }));
});

describe('ZeroFractionTest', () => {
  it('testZeroFraction / testZeroFractionEmpty / testUnknownSize', () => {
    const g = new Graph();
    const xs = Array.from({ length: 85 }, (_, i) => ((i * 7919) % 3 === 0 ? 0 : 1));
    const t = g.asDefault(() => {
      const value = placeholder('float32');
      return {
        value,
        z: zeroFraction(constant(xs, { shape: [5, 17] })),
        empty: zeroFraction(constant([], { shape: [0] })),
        unknown: zeroFraction(value),
      };
    });
    const sess = new Session(g);
    expect(sess.run(t.z).item()).toBeCloseTo(xs.filter((v) => v === 0).length / 85, 7);
    expect(Number.isNaN(sess.run(t.empty).item())).toBe(true);
    expect(
      sess
        .run(t.unknown, [
          [
            t.value,
            [
              [0, 1],
              [0.3, 2],
            ],
          ],
        ])
        .item(),
    ).toBeCloseTo(0.25, 7);
  });
});
