// Folding (TF's constant_value) dispatches to each definition's `fold` rule.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: () => T): T => new g.Graph().asDefault(fn);

describe('fold rules on op definitions', () => {
  it('constantValue uses the definition of the op that made the tensor', () =>
    inGraph(() => {
      let calls = 0;
      const Twice = g.defineOp<'x'>({
        type: 'FoldTestTwice',
        inputs: ['x'],
        attrs: {},
        shape: ({ x }) => x.shape,
        dtype: ({ x }) => x.dtype,
        fold: ({ x }) => {
          calls++;
          return g.partialValue(x)?.map((v) => (v === null ? null : 2 * v)) ?? null;
        },
        kernel: ({ x }) => x,
      });
      const y = Twice.apply({ x: g.constant([1, 2, 3], { dtype: 'int32' }) }, {});
      expect(g.constantValue(y)).toEqual([2, 4, 6]);
      expect(calls).toBe(1);
      // A tensor of unknown value folds to null through the rule.
      expect(g.constantValue(Twice.apply({ x: g.placeholder('int32', [3]) }, {}))).toBeNull();
      // Known shapes flow through: reshape(shape(x)) of a placeholder with a known shape.
      const s = g.shape(g.placeholder('float32', [2, 5]));
      expect(g.constantValue(Twice.apply({ x: g.reshape(s, [2]) }, {}))).toEqual([4, 10]);
    }));

  it('an op without a fold rule is not folded', () =>
    inGraph(() => {
      const x = g.constant([1, 2], { dtype: 'int32' });
      expect(g.Transpose.fold).toBeNull();
      expect(g.constantValue(g.transpose(x))).toBeNull();
      expect(g.constantValue(g.identity(x))).toEqual([1, 2]);
    }));

  it('a stateful op cannot declare a fold rule', () => {
    expect(() =>
      g.defineOp<never>({
        type: 'FoldTestStateful',
        inputs: [],
        stateful: true,
        outputs: () => [],
        fold: () => [1],
        kernel: () => undefined,
      }),
    ).toThrow(/FoldTestStateful' is stateful and cannot fold/);
  });

  it('int arithmetic, casts and slices of shapes fold element by element', () =>
    inGraph(() => {
      const s = g.shape(g.placeholder('float32', [null, 3, 4]));
      expect(g.constantShape(g.sub(s, 1))).toEqual([null, 2, 3]);
      expect(g.constantValue(g.maximum(g.gather(s, [1, 2]), 3))).toEqual([3, 4]);
      expect(g.constantValue(g.mod(g.constant([7, -7], { dtype: 'int32' }), 3))).toEqual([1, 2]);
      expect(g.constantValue(g.cast(g.constant([1.7, -1.7]), 'int32'))).toEqual([1, -1]);
      expect(g.constantValue(g.cast(g.constant([0, 2], { dtype: 'int32' }), 'bool'))).toEqual([0, 1]);
      expect(g.constantValue(g.neg(g.size(g.placeholder('float32', [2, 3]))))).toEqual([-6]);
      expect(g.constantValue(g.concat([g.gather(s, [1]), [5, 6]], 0))).toEqual([3, 5, 6]);
      expect(g.constantValue(g.fill([2], 7))).toEqual([7, 7]);
      expect(g.constantValue(g.slice(g.constant([1, 2, 3, 4], { dtype: 'int32' }), [1], [2]))).toEqual([
        2, 3,
      ]);
    }));
});
