import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers.js';
import { checkForward, type ForwardCase } from './ops/harness.js';

const nd = (shape: number[], values: number[]) => new g.NDArray('float32', shape, Float32Array.from(values));

/** Builds in a fresh graph and runs the fetches once. */
function run<T extends g.Fetches>(build: () => T): g.FetchResult<T> {
  const graph = new g.Graph();
  const fetches = graph.asDefault(build);
  const sess = new g.Session(graph);
  try {
    return sess.run(fetches);
  } finally {
    sess.close();
  }
}

const eagerClipByNorm = (x: tf.Tensor, clip: number, axes?: number[]) => {
  const norm = tf.sqrt(tf.sum(tf.square(x), axes, true));
  return tf.div(tf.mul(x, clip), tf.maximum(norm, clip));
};

const cases: ForwardCase[] = [
  {
    name: 'clipByValue (scalar bounds)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.clipByValue(x, -0.5, 0.7),
    eager: (x) => tf.clipByValue(x, -0.5, 0.7),
  },
  {
    name: 'clipByValue (tensor bounds that broadcast to t)',
    inputs: [{ shape: [3, 4] }, { shape: [4], domain: [-1, -0.2] }, { shape: [3, 1], domain: [0.2, 1] }],
    build: (x, lo, hi) => g.clipByValue(x, lo, hi),
    eager: (x, lo, hi) => tf.maximum(tf.minimum(x, hi), lo),
  },
  {
    name: 'clipByNorm (clipped)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.clipByNorm(x, 0.5),
    eager: (x) => eagerClipByNorm(x, 0.5),
  },
  {
    name: 'clipByNorm (not clipped)',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.clipByNorm(x, 100),
    eager: (x) => x,
  },
  {
    name: 'clipByNorm over axes [1]',
    inputs: [{ shape: [3, 4] }],
    build: (x) => g.clipByNorm(x, 1, { axes: [1] }),
    eager: (x) => eagerClipByNorm(x, 1, [1]),
  },
  {
    name: 'globalNorm',
    inputs: [{ shape: [3, 4] }, { shape: [5] }],
    build: (a, b) => g.globalNorm([a, null, b]),
    eager: (a, b) => tf.sqrt(tf.add(tf.sum(tf.square(a)), tf.sum(tf.square(b)))),
  },
  {
    name: 'clipByGlobalNorm (first tensor)',
    inputs: [{ shape: [3, 4] }, { shape: [5] }],
    build: (a, b) => g.clipByGlobalNorm([a, b], 1)[0][0]!,
    eager: (a, b) => {
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(a)), tf.sum(tf.square(b))));
      return tf.div(tf.mul(a, 1), tf.maximum(norm, 1));
    },
  },
];

describe('clip forward (vs eager tfjs)', () => {
  for (const c of cases) it(c.name, () => checkForward(c));
});

describe("clip: TF's clip_ops_test values", () => {
  it('clipByValue', () => {
    const got = run(() =>
      g.clipByValue(
        g.constant([
          [-5, 2, 3],
          [4, 5, 6],
        ]),
        -4.4,
        4.4,
      ),
    );
    expectClose(got, nd([2, 3], [-4.4, 2, 3, 4, 4.4, 4.4]));
  });

  it('clipByValue refuses bounds that would broadcast t up', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const t = g.constant([[1, 2, 3]]);
      expect(() => g.clipByValue(t, g.constant([[0], [0]]), 5)).toThrow(/would broadcast t of shape \[1,3\]/);
    });
  });

  it('clipByNorm: clipped, not clipped, along dim 0 and dim 1, and all zeros', () => {
    const x = [
      [-3, 0, 0],
      [4, 0, 0],
    ];
    const got = run(() => [
      g.clipByNorm(g.constant(x), 4),
      g.clipByNorm(g.constant(x), 6),
      g.clipByNorm(g.constant(x), 4, { axes: [0] }),
      g.clipByNorm(
        g.constant([
          [-3, 0, 0],
          [4, 0, 3],
        ]),
        4,
        { axes: [1] },
      ),
      g.clipByNorm(
        g.constant([
          [0, 0, 0],
          [0, 0, 0],
        ]),
        1,
      ),
    ]);
    expectClose(got[0]!, nd([2, 3], [-2.4, 0, 0, 3.2, 0, 0]));
    expectClose(got[1]!, nd([2, 3], [-3, 0, 0, 4, 0, 0]));
    expectClose(got[2]!, nd([2, 3], [-2.4, 0, 0, 3.2, 0, 0]));
    expectClose(got[3]!, nd([2, 3], [-3, 0, 0, 3.2, 0, 2.4]));
    expectClose(got[4]!, nd([2, 3], [0, 0, 0, 0, 0, 0]));
  });

  it('clipByGlobalNorm: norm 5 clipped to 4, None entries pass through, TF op names', () => {
    const graph = new g.Graph();
    const { clipped, norm } = graph.asDefault(() => {
      const [clipped, norm] = g.clipByGlobalNorm(
        [
          g.constant([
            [-2, 0, 0],
            [4, 0, 0],
          ]),
          null,
          g.constant([1, -2]),
        ],
        4,
      );
      return { clipped, norm };
    });
    expect(clipped[1]).toBeNull();
    expect(clipped[0]!.op.name).toBe('clip_by_global_norm/clip_by_global_norm/_0');
    expect(clipped[2]!.op.name).toBe('clip_by_global_norm/clip_by_global_norm/_2');
    expect(norm.op.name).toBe('global_norm/global_norm');
    const sess = new g.Session(graph);
    const [a, b, n] = sess.run([clipped[0]!, clipped[2]!, norm]);
    sess.close();
    expectClose(n!, nd([], [5]));
    expectClose(a!, nd([2, 3], [-1.6, 0, 0, 3.2, 0, 0]));
    expectClose(b!, nd([2], [0.8, -1.6]));
  });

  it('clipByGlobalNorm: not clipped below the threshold; useNorm overrides the norm', () => {
    const got = run(() => {
      const t = g.constant([3, 4]);
      return [
        g.clipByGlobalNorm([t], 6)[0][0]!,
        g.clipByGlobalNorm([t], 1, { useNorm: g.constant(2) })[0][0]!,
      ];
    });
    expectClose(got[0]!, nd([2], [3, 4]));
    expectClose(got[1]!, nd([2], [1.5, 2]));
  });

  it('clipByGlobalNorm: an infinite norm makes every value NaN', () => {
    const got = run(
      () => g.clipByGlobalNorm([g.constant([1, Number.POSITIVE_INFINITY]), g.constant([1])], 1)[0][1]!,
    );
    expect(Number.isNaN((got.data as Float32Array)[0])).toBe(true);
  });

  it('globalNorm ignores null and rejects an empty list', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      expect(() => g.globalNorm([null])).toThrow(/no tensors/);
    });
    expectClose(
      run(() => g.globalNorm([null, g.constant([3, 4])])),
      nd([], [5]),
    );
  });
});
