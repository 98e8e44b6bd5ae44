// Core ops: constants, placeholders, identity-like ops, checkNumerics and grouping.
import {
  checkNumerics,
  constant,
  Graph,
  group,
  InvalidArgumentError,
  identity,
  NDArray,
  noOp,
  placeholder,
  placeholderWithDefault,
  Session,
  stopGradient,
  type Tensor,
  TypeError,
  tuple,
  ValueError,
  variable,
  withDependencies,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

function run<T>(build: () => T, fetch: (parts: T) => Tensor, feeds?: [Tensor, number[]][]) {
  const g = new Graph();
  const parts = g.asDefault(build);
  const sess = new Session(g);
  const before = tf.memory().numTensors;
  try {
    return sess.run(fetch(parts), feeds);
  } finally {
    sess.close();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  }
}

describe('sources', () => {
  it('constant: values, dtype, shape fill, and a private copy of an NDArray', () => {
    const g = new Graph();
    const src = new NDArray('float32', [2], Float32Array.of(1, 2));
    const { c, filled, ints } = g.asDefault(() => ({
      c: constant(src, { name: 'c' }),
      filled: constant(7, { shape: [2, 2], dtype: 'int32' }),
      ints: constant([1, 2], { dtype: 'int32' }),
    }));
    (src.data as Float32Array)[0] = 100;
    const sess = new Session(g);
    expect(sess.run(c).toArray()).toEqual([1, 2]);
    expect(sess.run(filled).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect([filled.dtype, filled.shape, ints.dtype, c.op.type]).toEqual(['int32', [2, 2], 'int32', 'Const']);
    expect(() => g.asDefault(() => constant([1, 2, 3], { shape: [2] }))).toThrow(ValueError);
    sess.close();
  });

  it('placeholder: static shape with unknown dims; placeholderWithDefault passes its input', () => {
    const g = new Graph();
    const { x, d } = g.asDefault(() => ({
      x: placeholder('float32', [null, 2], { name: 'x' }),
      d: placeholderWithDefault(constant([1, 2]), [null], { name: 'd' }),
    }));
    expect([x.shape, placeholder('int32').shape]).toEqual([[null, 2], null]);
    const sess = new Session(g);
    expect(sess.run(d).toArray()).toEqual([1, 2]);
    expect(sess.run(d, [[d, [5, 6, 7]]]).toArray()).toEqual([5, 6, 7]);
    expect(() => g.asDefault(() => placeholderWithDefault(constant([1, 2]), [3]))).toThrow(ValueError);
  });
});

describe('identity-like and checks', () => {
  it('identity and stopGradient pass values through', () => {
    expect(
      run(
        () => identity(constant([1, 2])),
        (t) => t,
      ).toArray(),
    ).toEqual([1, 2]);
    expect(
      run(
        () => stopGradient(constant(3)),
        (t) => t,
      ).item(),
    ).toBe(3);
  });

  it('checkNumerics fails the run on NaN/Inf with TF’s message and passes finite values', () => {
    expect(
      run(
        () => checkNumerics(constant([1, 2]), 'msg'),
        (t) => t,
      ).toArray(),
    ).toEqual([1, 2]);
    expect(() =>
      run(
        () => checkNumerics(constant([1, Number.NaN]), 'bad loss'),
        (t) => t,
      ),
    ).toThrow(/bad loss : Tensor had NaN values/);
    expect(() =>
      run(
        () => checkNumerics(constant([Number.POSITIVE_INFINITY]), 'x'),
        (t) => t,
      ),
    ).toThrow(InvalidArgumentError);
    expect(() => new Graph().asDefault(() => checkNumerics(constant([1], { dtype: 'int32' }), 'm'))).toThrow(
      TypeError,
    );
  });
});

describe('grouping', () => {
  it('group, tuple and withDependencies wire control inputs like TF', () => {
    const g = new Graph();
    const { w, grp, tup, dep, a } = g.asDefault(() => {
      const w = variable(0, { name: 'w' });
      const a = w.assignAdd(1);
      const b = noOp({ name: 'b' });
      const grp = group(a, b, { name: 'train' });
      const tup = tuple([constant(5), null], { controlInputs: [a] });
      const dep = withDependencies([a], constant(9, { name: 'nine' }));
      return { w, grp, tup, dep, a };
    });
    expect(grp.name).toBe('train');
    expect(grp.type).toBe('NoOp');
    expect(grp.controlInputs).toEqual([a.op, g.getOperationByName('b')]);
    expect(tup[1]).toBeNull();
    expect(tup[0]!.op.name).toMatch(/^tuple\/control_dependency/);
    expect(dep.op.name).toBe('control_dependency');
    expect(dep.op.controlInputs).toEqual([a.op]);
    const sess = new Session(g);
    sess.run(w.initializer);
    expect(sess.run(grp)).toBeNull();
    expect(sess.run(tup[0]!).item()).toBe(5);
    expect(sess.run(dep).item()).toBe(9);
    expect(sess.run(w).item()).toBe(3);
  });
});
