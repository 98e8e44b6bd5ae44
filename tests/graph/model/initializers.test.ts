// Ports of TF 1.15's init_ops_test.py: each initializer's distribution (moments of large samples
// against the closed forms), determinism under graph + op seeds, argument errors; regularizers.
import {
  constant,
  type DType,
  Graph,
  getVariable,
  globalVariablesInitializer,
  type Initializer,
  initializers,
  nameScope,
  regularizers,
  Session,
  setRandomSeed,
  type Tensor,
  ValueError,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

function sample(
  init: Initializer,
  shape: number[],
  dtype: DType = 'float32',
  seed: number | null = 1,
): number[] {
  const g = new Graph();
  const w = g.asDefault(() => {
    setRandomSeed(seed);
    return getVariable('w', { shape, dtype, initializer: init });
  });
  const sess = new Session(g);
  sess.run(g.asDefault(() => globalVariablesInitializer()));
  return Array.from(sess.run(w).data as Float32Array);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe('initializers', () => {
  it('zeros, ones, constant (a short list is padded with its last value)', () => {
    expect(sample(initializers.zeros(), [2, 2])).toEqual([0, 0, 0, 0]);
    expect(sample(initializers.ones(), [3])).toEqual([1, 1, 1]);
    expect(sample(initializers.constant([1, 2]), [2, 2])).toEqual([1, 2, 2, 2]);
    expect(sample(initializers.constant(7), [2], 'int32')).toEqual([7, 7]);
    expect(sample(initializers.zeros(), [40, 40]).every((x) => x === 0)).toBe(true);
  });

  it('randomNormal / truncatedNormal / randomUniform match their moments', () => {
    const n = sample(initializers.randomNormal({ mean: 1, stddev: 2, seed: 3 }), [100, 100]);
    expect(mean(n)).toBeCloseTo(1, 1);
    expect(std(n)).toBeCloseTo(2, 1);
    const t = sample(initializers.truncatedNormal({ stddev: 2, seed: 3 }), [100, 100]);
    expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(4);
    expect(std(t)).toBeCloseTo(2 * 0.87962566103423978, 1);
    const u = sample(initializers.randomUniform({ minval: -2, maxval: 4, seed: 3 }), [100, 100]);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(4);
    expect(mean(u)).toBeCloseTo(1, 1);
  });

  it('is deterministic under the same graph seed and op seed, different otherwise', () => {
    const a = sample(initializers.glorotNormal({ seed: 5 }), [4, 4]);
    expect(sample(initializers.glorotNormal({ seed: 5 }), [4, 4])).toEqual(a);
    expect(sample(initializers.glorotNormal({ seed: 6 }), [4, 4])).not.toEqual(a);
    expect(sample(initializers.glorotNormal({ seed: 5 }), [4, 4], 'float32', 2)).not.toEqual(a);
  });

  // fans: dense [in, out]; conv [kh, kw, in, out] -> fan_in = kh·kw·in, fan_out = kh·kw·out.
  it.each([
    ['glorotUniform', initializers.glorotUniform({ seed: 1 }), [300, 200], Math.sqrt(2 / 500)],
    ['glorotNormal', initializers.glorotNormal({ seed: 1 }), [300, 200], Math.sqrt(2 / 500)],
    ['heNormal (conv fans)', initializers.heNormal({ seed: 1 }), [3, 3, 40, 50], Math.sqrt(2 / 360)],
    ['heUniform', initializers.heUniform({ seed: 1 }), [300, 200], Math.sqrt(2 / 300)],
    [
      'varianceScaling fan_out untruncated',
      initializers.varianceScaling({
        scale: 3,
        mode: 'fan_out',
        distribution: 'untruncated_normal',
        seed: 1,
      }),
      [100, 400],
      Math.sqrt(3 / 400),
    ],
    [
      'varianceScaling fan_in uniform',
      initializers.varianceScaling({ scale: 1, mode: 'fan_in', distribution: 'uniform', seed: 1 }),
      [200, 200],
      Math.sqrt(1 / 200),
    ],
  ] as const)('%s has stddev sqrt(scale / fan)', (_, init, shape, expected) => {
    const xs = sample(init, [...shape]);
    expect(Math.abs(mean(xs))).toBeLessThan(expected * 0.05);
    expect(std(xs) / expected).toBeGreaterThan(0.97);
    expect(std(xs) / expected).toBeLessThan(1.03);
  });

  it('varianceScaling truncated_normal stays within 2 of the uncorrected stddev', () => {
    const xs = sample(initializers.varianceScaling({ scale: 1, seed: 2 }), [400, 100]);
    expect(Math.max(...xs.map(Math.abs))).toBeLessThanOrEqual(
      (2 * Math.sqrt(1 / 400)) / 0.87962566103423978 + 1e-6,
    );
  });

  it('varianceScaling validates its arguments with TF’s messages', () => {
    expect(() => initializers.varianceScaling({ scale: -1 })).toThrow('`scale` must be positive float.');
    expect(() => initializers.varianceScaling({ mode: 'fan_x' as never })).toThrow(
      'Invalid `mode` argument: fan_x',
    );
    expect(() => initializers.varianceScaling({ distribution: 'poisson' as never })).toThrow(
      'Invalid `distribution` argument: poisson',
    );
    expect(() => sample(initializers.glorotUniform(), [2, 2], 'int32')).toThrow(
      'Expected floating point type, got int32',
    );
  });

  it.each([
    [[10, 10], 1],
    [[6, 12], 1.5],
    [[12, 6], 2],
    [[2, 3, 8], 1],
  ])('orthogonal %j (gain %d): rows (or columns) orthonormal times gain', (shape, gain) => {
    const w = sample(initializers.orthogonal({ gain, seed: 4 }), shape);
    const cols = shape[shape.length - 1]!;
    const rows = w.length / cols;
    // The smaller side is orthonormal: W Wᵀ = gain² I when rows <= cols, else Wᵀ W = gain² I.
    const [n, len, at] =
      rows <= cols
        ? [rows, cols, (i: number, k: number) => w[i * cols + k]!]
        : [cols, rows, (i: number, k: number) => w[k * cols + i]!];
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
        expect(dot).toBeCloseTo(i === j ? gain * gain : 0, 4);
      }
  });

  it('orthogonal testGain / testInitializerIdentical: the same seed scaled by gain', () => {
    const a = sample(initializers.orthogonal({ seed: 1 }), [10, 10]);
    expect(sample(initializers.orthogonal({ seed: 1 }), [10, 10])).toEqual(a);
    const b = sample(initializers.orthogonal({ gain: 3.14, seed: 1 }), [10, 10]);
    b.forEach((v, i) => expect(v).toBeCloseTo(3.14 * a[i]!, 5));
    expect(sample(initializers.orthogonal({ seed: 2 }), [10, 10])).not.toEqual(a);
  });

  it('orthogonal needs rank >= 2', () => {
    expect(() => sample(initializers.orthogonal(), [4])).toThrow(
      'The tensor to initialize must be at least two-dimensional',
    );
  });

  it('rejects unknown options', () => {
    expect(() => initializers.glorotUniform({ sed: 1 } as never)).toThrow(
      "initializers.glorotUniform: unknown option 'sed'; accepted options: seed",
    );
  });
});

describe('regularizers', () => {
  const w = [
    [1, -2],
    [3, -4],
  ];
  const value = (reg: ReturnType<typeof regularizers.l1>) => {
    const g = new Graph();
    const t = g.asDefault(() => reg(constant(w)));
    return t === null ? null : { name: t.name, v: new Session(g).run(t).item() };
  };
  it('l1 = scale·Σ|w|, l2 = scale·Σw²/2, l1L2 = both, named as TF names them', () => {
    expect(value(regularizers.l1(0.5))).toEqual({ name: 'l1_regularizer:0', v: 5 });
    expect(value(regularizers.l2(0.5))).toEqual({ name: 'l2_regularizer:0', v: 7.5 });
    expect(value(regularizers.l1L2(0.5, 0.5))).toEqual({ name: 'l1_l2_regularizer:0', v: 12.5 });
    expect(value(regularizers.l1L2(0, 0.5))).toEqual({ name: 'l1_l2_regularizer:0', v: 7.5 });
  });
  it('scale 0 gives a regularizer returning null; a negative scale is an error', () => {
    expect(value(regularizers.l1(0))).toBeNull();
    expect(value(regularizers.l2(0))).toBeNull();
    expect(value(regularizers.l1L2(0, 0))).toBeNull();
    expect(() => regularizers.l2(-1)).toThrow(
      new ValueError('Setting a scale less than 0 on a regularizer: -1'),
    );
  });
});

describe('initializer arguments from plain JS', () => {
  it('names the initializer, the option and what it takes', () => {
    expect(() => initializers.randomNormal({ stddev: '1' as never })).toThrow(
      "initializers.randomNormal: option 'stddev' must be a number, got the string '1'",
    );
    expect(() => initializers.varianceScaling({ mode: 1 as never })).toThrow(
      "initializers.varianceScaling: option 'mode' must be a string",
    );
    expect(() => initializers.orthogonal({ gain: null as never })).toThrow(
      "initializers.orthogonal: option 'gain' must be a number",
    );
    expect(() => initializers.constant('abc' as never)).toThrow(
      'initializers.constant: value must be a number, a boolean or (nested) arrays of them',
    );
    expect(sample(initializers.constant([[1], [2]] as never), [2, 1])).toEqual([1, 2]);
    // init_ops_test.py testConstantInitializerTooManyValues (TF1: verify_shape false)
    expect(() => sample(initializers.constant([1, 2, 3, 4, 5, 6, 7]), [2, 3])).toThrow(
      'Too many elements provided. Needed at most 6, but received 7',
    );
  });
});

describe('regularizers_test.py', () => {
  const run = (t: Tensor | null) => (t === null ? null : (new Session(t.graph).run(t).item() as number));
  it('test_l1 / test_l2: values and errors', () =>
    new Graph().asDefault(() => {
      const w = constant([1, -1, 4, 2]);
      expect(run(regularizers.l1(0.5)(w))).toBeCloseTo(8 * 0.5, 6);
      expect(run(regularizers.l2(0.42)(w))).toBeCloseTo((22 / 2) * 0.42, 5);
      expect(() => regularizers.l1(-1)).toThrow(ValueError);
      expect(() => regularizers.l1L2(-1, 0.5)).toThrow(ValueError);
      expect(() => regularizers.l1L2(0.5, -1)).toThrow(ValueError);
    }));

  it('test_l1_l2 (and scale zeros): values and op names; testL1L2RegularizerWithScope', () =>
    new Graph().asDefault(() => {
      const t = constant(1, { shape: [5, 5, 5] });
      const both = regularizers.l1L2(1, 1)(t)!;
      expect(both.op.name).toBe('l1_l2_regularizer');
      expect(run(both)).toBeCloseTo(125 + 125 / 2, 4);
      const l2only = regularizers.l1L2(0, 1)(t)!;
      expect(l2only.op.name).toBe('l1_l2_regularizer_1');
      expect(run(l2only)).toBeCloseTo(125 / 2, 4);
      expect(run(regularizers.l1L2(1, 0)(t))).toBeCloseTo(125, 4);
      expect(regularizers.l1L2(0, 0)(t)).toBeNull();
      const scoped = nameScope('foo', () => regularizers.l1L2(1, 1, 'l1_l2')(t)!);
      expect(scoped.op.name).toBe('foo/l1_l2');
      expect(run(scoped)).toBeCloseTo(125 + 125 / 2, 4);
    }));

  it('test_sum_regularizer', () =>
    new Graph().asDefault(() => {
      const l1f = regularizers.l1(0.1);
      const l2f = regularizers.l2(0.2);
      expect(regularizers.sumRegularizer([])).toBeNull();
      expect(regularizers.sumRegularizer([null])).toBeNull();
      const w = constant([-3]);
      expect(regularizers.sumRegularizer([regularizers.l1(0)])!(w)).toBeNull();
      expect(run(regularizers.sumRegularizer([l1f])!(w))).toBeCloseTo(0.3, 6);
      expect(run(regularizers.sumRegularizer([l1f, null])!(w))).toBeCloseTo(0.3, 6);
      expect(run(regularizers.sumRegularizer([l1f, regularizers.l2(0)])!(w))).toBeCloseTo(0.3, 6);
      expect(run(regularizers.sumRegularizer([l1f, l2f])!(w))).toBeCloseTo(0.3 + (0.2 * 9) / 2, 6);
    }));
});

describe('regularizer arguments from plain JS', () => {
  it('names the regularizer and the scale', () => {
    expect(() => regularizers.l1('0.1' as never)).toThrow(
      'regularizers.l1: scale must be a number, got string 0.1',
    );
    expect(() => regularizers.l2(Number.NaN)).toThrow(
      'regularizers.l2: scale must be a number, got number NaN',
    );
    expect(() => regularizers.l1L2(0.1, null as never)).toThrow(
      'regularizers.l1L2: scale_l2 must be a number',
    );
  });
});
