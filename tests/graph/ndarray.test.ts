// NDArray: conversion from every TensorLike, dtype rules, item() and toArray().
import { NDArray, TypeError, ValueError } from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

describe('NDArray', () => {
  it('converts nested arrays, typed arrays and scalars with inferred dtypes', () => {
    const a = NDArray.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([a.dtype, a.shape, a.size, a.rank]).toEqual(['float32', [2, 3], 6, 2]);
    expect(a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(NDArray.from(Int32Array.of(1, 2)).dtype).toBe('int32');
    expect(NDArray.from([Int32Array.of(1, 2), Int32Array.of(3, 4)]).shape).toEqual([2, 2]);
    expect(NDArray.from(true).dtype).toBe('bool');
    expect(NDArray.from([true, false]).toArray()).toEqual([true, false]);
    expect(NDArray.from(['a', 'b']).toArray()).toEqual(['a', 'b']);
    expect(NDArray.from(7).item()).toBe(7);
    expect(NDArray.from([]).shape).toEqual([0]);
  });

  it('converts to a requested dtype, refusing lossy or mixed values', () => {
    expect(NDArray.from([1, 2], 'int32').data).toEqual(Int32Array.of(1, 2));
    expect(() => NDArray.from([1.5], 'int32')).toThrow(TypeError);
    expect(() => NDArray.from(['a'], 'float32')).toThrow(TypeError);
    expect(() => NDArray.from([1, 'a'])).toThrow(/Mixed element types/);
    expect(NDArray.from([1.7, -1.7], 'float32').cast('int32').toArray()).toEqual([1, -1]);
    expect(NDArray.from([true, false]).cast('float32').toArray()).toEqual([1, 0]);
  });

  it('rejects ragged arrays and data that does not fill the shape', () => {
    expect(() => NDArray.from([[1, 2], [3]])).toThrow(ValueError);
    expect(() => NDArray.from([[1, 2], 3])).toThrow(/Ragged/);
    expect(() => new NDArray('float32', [2, 2], Float32Array.of(1, 2, 3))).toThrow(
      /do not fill shape \[2,2\]/,
    );
  });

  it('item() needs exactly one element', () => {
    expect(new NDArray('float32', [1, 1], Float32Array.of(3)).item()).toBe(3);
    expect(() => NDArray.from([1, 2]).item()).toThrow(/one element/);
  });
});
