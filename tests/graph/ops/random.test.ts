import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../../helpers.js';

const stats = (a: g.NDArray) => {
  const d = a.data as Float32Array;
  let s = 0;
  for (const v of d) s += v;
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / d.length), min: Math.min(...d), max: Math.max(...d) };
};

/** Builds `make()` in a fresh graph with an optional graph seed. */
function build<T>(make: () => T, graphSeed: number | null = null): { graph: g.Graph; out: T } {
  const graph = new g.Graph();
  const out = graph.asDefault(() => {
    g.setRandomSeed(graphSeed);
    return make();
  });
  return { graph, out };
}

const runN = (graph: g.Graph, t: g.Tensor, n: number): g.NDArray[] => {
  const sess = new g.Session(graph);
  try {
    return Array.from({ length: n }, () => sess.run(t));
  } finally {
    sess.close();
  }
};
const values = (a: g.NDArray) => Array.from(a.data as ArrayLike<number>);
const same = (a: g.NDArray, b: g.NDArray) => expect(values(a)).toEqual(values(b));
const differ = (a: g.NDArray, b: g.NDArray) => expect(values(a)).not.toEqual(values(b));

describe('random ops: graph structure', () => {
  it('builds TF op types and names, with static shape and dtype', () => {
    const { graph, out } = build(() => [
      g.randomNormal([2, 3]),
      g.truncatedNormal([4]),
      g.randomUniform([5, 1]),
      g.randomUniform([2], { dtype: 'int32', maxval: 10 }),
    ]);
    expect(out.map((t) => t.op.name)).toEqual([
      'random_normal',
      'truncated_normal',
      'random_uniform',
      'random_uniform_1',
    ]);
    expect(graph.getOperationByName('random_normal/RandomStandardNormal').type).toBe('RandomStandardNormal');
    expect(graph.getOperationByName('truncated_normal/TruncatedNormal').type).toBe('TruncatedNormal');
    expect(graph.getOperationByName('random_uniform/RandomUniform').type).toBe('RandomUniform');
    expect(out[3]!.op.type).toBe('RandomUniformInt');
    expect(out.map((t) => g.formatShape(t.shape))).toEqual(['[2,3]', '[4]', '[5,1]', '[2]']);
    expect(out.map((t) => t.dtype)).toEqual(['float32', 'float32', 'float32', 'int32']);
    const values = runN(graph, out[0]!, 1)[0]!;
    expect(values.shape).toEqual([2, 3]);
  });

  it('takes the shape as an int32 tensor, refining unknown dims at run time', () => {
    const { graph, out } = build(() => {
      const shape = g.placeholder('int32', [2], { name: 'shape' });
      return { shape, y: g.randomNormal(shape, { seed: 1 }) };
    });
    expect(g.formatShape(out.y.shape)).toBe('[?,?]');
    const sess = new g.Session(graph);
    expect(sess.run(out.y, new Map([[out.shape, new Int32Array([3, 4])]])).shape).toEqual([3, 4]);
    sess.close();
  });

  it("follows TF's get_seed for the (seed, seed2) attrs", () => {
    const rnd = (t: g.Tensor) => t.op.inputs[0]!.op.inputs[0]!.op; // add <- mul <- RandomStandardNormal
    const { out: none } = build(() => g.randomNormal([2]));
    expect(rnd(none).attrs).toMatchObject({ seed: 0, seed2: 0 });
    const { out: opOnly } = build(() => g.randomNormal([2], { seed: 5 }));
    expect(rnd(opOnly).attrs).toMatchObject({ seed: g.DEFAULT_GRAPH_SEED, seed2: 5 });
    const { out: both } = build(() => g.randomNormal([2], { seed: 5 }), 7);
    expect(rnd(both).attrs).toMatchObject({ seed: 7, seed2: 5 });
    // Graph seed only: the op seed is the graph's op count when the op is made (TF's _last_id).
    const { graph, out: graphOnly } = build(() => [g.randomNormal([2]), g.randomNormal([2])], 7);
    const seeds = graphOnly.map((t) => rnd(t).attrs as { seed: number; seed2: number });
    expect(seeds[0]!.seed).toBe(7);
    expect(seeds[0]!.seed2).toBe(graph.getOperationByName('random_normal/RandomStandardNormal').id);
    expect(seeds[1]!.seed2).not.toBe(seeds[0]!.seed2);
    const { out: zeros } = build(() => g.randomNormal([2], { seed: 0 }), 0);
    expect(rnd(zeros).attrs).toMatchObject({ seed: 0, seed2: 2 ** 31 - 1 });
    const { out: int } = build(() => g.randomUniform([2], { dtype: 'int32', maxval: 3, seed: 4 }));
    expect(int.op.attrs).toMatchObject({ seed: g.DEFAULT_GRAPH_SEED, seed2: 4 });
  });

  it('rejects bad arguments at build time', () => {
    build(() => {
      expect(() => g.randomNormal([2], { dtype: 'int32' })).toThrow(/float/);
      expect(() => g.randomUniform([2], { dtype: 'int32' })).toThrow(/maxval/);
      expect(() => g.randomUniform([2], { dtype: 'bool' })).toThrow(g.TypeError);
      expect(() => g.randomNormal([2, -1])).toThrow(/non-negative/);
      expect(() => g.randomNormal(g.constant([[2]], { dtype: 'int32' }))).toThrow(/rank 1/);
      expect(() => g.randomNormal(g.constant([2.5]))).toThrow(/int32/);
    });
  });
});

describe('random ops: seeding', () => {
  const makers: [string, (seed?: number) => g.Tensor][] = [
    ['randomNormal', (seed) => g.randomNormal([50], { seed })],
    ['truncatedNormal', (seed) => g.truncatedNormal([50], { seed })],
    ['randomUniform', (seed) => g.randomUniform([50], { seed })],
    ['randomUniform int', (seed) => g.randomUniform([50], { seed, dtype: 'int32', maxval: 1000 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: same graph seed + op seed gives the same sequence in every new session`, () => {
      const a = build(() => make(3), 1);
      const b = build(() => make(3), 1); // an identically built second graph
      const [a1, a2] = runN(a.graph, a.out, 2);
      const [a1b, a2b] = runN(a.graph, a.out, 2);
      const [b1] = runN(b.graph, b.out, 1);
      differ(a1!, a2!); // each execution draws anew
      same(a1!, a1b!);
      same(a2!, a2b!);
      same(a1!, b1!);
    });
    it(`${name}: other seeds give other values; no seeds is nondeterministic`, () => {
      const first = build(() => make(3), 1);
      const [x] = runN(first.graph, first.out, 1);
      const other = build(() => make(4), 1);
      differ(x!, runN(other.graph, other.out, 1)[0]!);
      const otherGraphSeed = build(() => make(3), 2);
      differ(x!, runN(otherGraphSeed.graph, otherGraphSeed.out, 1)[0]!);
      const free = build(() => make());
      differ(runN(free.graph, free.out, 1)[0]!, runN(free.graph, free.out, 1)[0]!);
    });
  }

  it('with only a graph seed, two ops get different streams but are reproducible', () => {
    const { graph, out } = build(() => [g.randomNormal([20]), g.randomNormal([20])], 42);
    const sess = new g.Session(graph);
    const [x, y] = sess.run(out);
    sess.close();
    differ(x!, y!);
    const again = build(() => [g.randomNormal([20]), g.randomNormal([20])], 42);
    const sess2 = new g.Session(again.graph);
    const [x2, y2] = sess2.run(again.out);
    sess2.close();
    same(x!, x2!);
    same(y!, y2!);
  });

  it('fetching a random tensor twice in one run computes it once', () => {
    const { graph, out } = build(() => g.randomNormal([5], { seed: 1 }));
    const sess = new g.Session(graph);
    const [a, b] = sess.run([out, out]);
    sess.close();
    same(a!, b!);
  });
});

describe('random ops: distributions', () => {
  const N = 20000;
  it('randomNormal has the requested mean and stddev (like eager tf.randomNormal)', () => {
    const { graph, out } = build(() => g.randomNormal([N], { mean: 3, stddev: 2, seed: 1 }));
    const s = expectNoLeak(() => stats(runN(graph, out, 1)[0]!));
    const eager = tf.tidy(() => tf.moments(tf.randomNormal([N], 3, 2, 'float32', 1)));
    expect(s.mean).toBeCloseTo(eager.mean.dataSync()[0]!, 1);
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.05);
    expect(Math.abs(s.std - 2)).toBeLessThan(0.05);
    tf.dispose([eager.mean, eager.variance]);
  });

  it('truncatedNormal stays within two standard deviations', () => {
    const { graph, out } = build(() => g.truncatedNormal([N], { mean: -1, stddev: 0.5, seed: 1 }));
    const s = stats(runN(graph, out, 1)[0]!);
    expect(s.min).toBeGreaterThanOrEqual(-2 - 1e-6);
    expect(s.max).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(s.mean + 1)).toBeLessThan(0.02);
    // A normal truncated at ±2σ has stddev 0.8796σ.
    expect(Math.abs(s.std - 0.8796 * 0.5)).toBeLessThan(0.02);
  });

  it('randomUniform covers [minval, maxval)', () => {
    const { graph, out } = build(() => g.randomUniform([N], { minval: -2, maxval: 6, seed: 1 }));
    const s = stats(runN(graph, out, 1)[0]!);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(6);
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.1);
    expect(Math.abs(s.std - 8 / Math.sqrt(12))).toBeLessThan(0.05);
  });

  it('int randomUniform gives every integer of [minval, maxval), negatives included', () => {
    const { graph, out } = build(() =>
      g.randomUniform([2000], { minval: -3, maxval: 2, dtype: 'int32', seed: 1 }),
    );
    const v = runN(graph, out, 1)[0]!;
    expect(v.dtype).toBe('int32');
    expect([...new Set(v.data as Int32Array)].sort()).toEqual([-1, -2, -3, 0, 1]);
  });

  it('tensor mean and stddev are fed at run time', () => {
    const { graph, out } = build(() => {
      const mean = g.placeholder('float32', [], { name: 'mean' });
      const stddev = g.placeholder('float32', [], { name: 'stddev' });
      return { mean, stddev, y: g.randomNormal([N], { mean, stddev, seed: 2 }) };
    });
    const sess = new g.Session(graph);
    const s = stats(
      sess.run(
        out.y,
        new Map([
          [out.mean, 10],
          [out.stddev, 0.1],
        ]),
      ),
    );
    sess.close();
    expect(Math.abs(s.mean - 10)).toBeLessThan(0.01);
    expect(Math.abs(s.std - 0.1)).toBeLessThan(0.01);
  });

  it('works on the wasm backend', async () => {
    const { graph, out } = build(() => g.randomNormal([1000], { seed: 1 }), 1);
    const sess = await g.Session.create(graph, { backend: 'wasm' });
    const s = stats(sess.run(out));
    sess.close();
    expect(Math.abs(s.mean)).toBeLessThan(0.15);
    same(runN(graph, out, 1)[0]!, runN(graph, out, 1)[0]!);
  });
});

describe('dropout', () => {
  const x = Float32Array.from({ length: 4000 }, (_, i) => 1 + (i % 7));
  const build2 = (opts: g.DropoutOptions) =>
    build(() => {
      const xs = g.constant(new g.NDArray('float32', [1000, 4], x));
      return g.dropout(xs, opts);
    }, 1);

  it('drops a `rate` fraction and scales the rest by 1 / (1 - rate)', () => {
    const { graph, out } = build2({ rate: 0.3, seed: 5 });
    expect(g.formatShape(out.shape)).toBe('[1000,4]');
    const [y1, y2] = runN(graph, out, 2);
    const d = y1!.data as Float32Array;
    let zeros = 0;
    d.forEach((v, i) => {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(x[i]! / 0.7, 4);
    });
    expect(Math.abs(zeros / d.length - 0.3)).toBeLessThan(0.03);
    differ(y1!, y2!);
    same(y1!, runN(graph, out, 1)[0]!);
  });

  it('keepProb is the complement of rate; rate 0 returns x itself', () => {
    const a = build2({ rate: 0.25, seed: 5 });
    const b = build2({ keepProb: 0.75, seed: 5 });
    same(runN(a.graph, a.out, 1)[0]!, runN(b.graph, b.out, 1)[0]!);
    build(() => {
      const t = g.constant([1, 2, 3]);
      expect(g.dropout(t, { rate: 0 })).toBe(t);
    });
  });

  it('noiseShape [n, 1] keeps or drops whole rows; a tensor rate is fed', () => {
    const { graph, out } = build(() => {
      const rate = g.placeholder('float32', [], { name: 'rate' });
      const xs = g.constant(new g.NDArray('float32', [1000, 4], x));
      return { rate, y: g.dropout(xs, { rate, noiseShape: [1000, 1], seed: 2 }) };
    });
    const sess = new g.Session(graph);
    const y = sess.run(out.y, new Map([[out.rate, 0.5]])).data as Float32Array;
    sess.close();
    let dropped = 0;
    for (let r = 0; r < 1000; r++) {
      const row = Array.from(y.slice(4 * r, 4 * r + 4));
      const zeros = row.filter((v) => v === 0).length;
      expect(zeros === 0 || zeros === 4).toBe(true);
      if (zeros === 4) dropped++;
    }
    expect(Math.abs(dropped / 1000 - 0.5)).toBeLessThan(0.06);
  });

  it('rejects bad arguments', () => {
    build(() => {
      const t = g.constant([1, 2, 3]);
      expect(() => g.dropout(t, { rate: 1 })).toThrow(/range \[0, 1\)/);
      expect(() => g.dropout(t, { rate: -0.1 })).toThrow(/range/);
      expect(() => g.dropout(t, {})).toThrow(/rate or keepProb|exactly one/);
      expect(() => g.dropout(t, { rate: 0.1, keepProb: 0.9 })).toThrow(/exactly one/);
      expect(() => g.dropout(g.constant([1, 2], { dtype: 'int32' }), { rate: 0.5 })).toThrow(
        /floating point/,
      );
      expect(() => g.dropout(t, { rate: g.constant([0.5, 0.5]) })).toThrow(/rank 0/);
    });
  });
});

describe('randomShuffle', () => {
  const rows = (a: g.NDArray) => {
    const d = values(a);
    return Array.from({ length: a.shape[0]! }, (_, r) => d.slice(r * 2, r * 2 + 2).join(','));
  };
  it('permutes the first dimension: the same rows, reproducibly, a new order each run', () => {
    const data = Int32Array.from({ length: 40 }, (_, i) => i);
    const { graph, out } = build(
      () => g.randomShuffle(g.constant(new g.NDArray('int32', [20, 2], data)), { seed: 7 }),
      1,
    );
    expect(out.op.type).toBe('RandomShuffle');
    expect(g.formatShape(out.shape)).toBe('[20,2]');
    expect(out.dtype).toBe('int32');
    const [a, b] = expectNoLeak(() => runN(graph, out, 2));
    const original = rows(new g.NDArray('int32', [20, 2], data));
    expect([...rows(a!)].sort()).toEqual([...original].sort());
    expect(rows(a!)).not.toEqual(original);
    differ(a!, b!);
    same(a!, runN(graph, out, 1)[0]!);
  });
  it('leaves a scalar alone', () => {
    const { graph, out } = build(() => g.randomShuffle(g.constant(3)));
    expect(runN(graph, out, 1)[0]!.item()).toBe(3);
  });
});
