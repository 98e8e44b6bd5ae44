import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, runOnce, toTf } from '../../helpers.js';
import { forwardCases, named } from '../../op_table.js';
import { reduceOps } from '../../tables/reduce.js';
import { checkForward } from './harness.js';

describe('reductions: forward vs eager tfjs', () => {
  it.each(named(forwardCases(reduceOps)))('%s', (_, c) => checkForward(c));
});

describe('reductions: special values and names', () => {
  it('reduceLogSumExp is stable for large entries and keeps ±inf rows infinite', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() =>
      g.reduceLogSumExp(
        g.constant([
          [1000, 1000],
          [-Infinity, -Infinity],
          [Infinity, 0],
        ]),
        1,
      ),
    );
    const v = Array.from(runOnce(graph, y).data as Float32Array);
    expect(v[0]).toBeCloseTo(1000 + Math.log(2), 3);
    expect(v[1]).toBe(-Infinity);
    expect(v[2]).toBe(Infinity);
  });
  it('argMax returns the first index among ties, as int32', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() =>
      g.argMax(
        g.constant([
          [1, 5, 5],
          [7, 7, 0],
        ]),
        1,
      ),
    );
    const v = runOnce(graph, y);
    expect(v.dtype).toBe('int32');
    expect(Array.from(v.data as Int32Array)).toEqual([1, 0]);
  });
  it('names ops as TF does', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const ops = [g.reduceSum(x), g.reduceMean(x, 1), g.argMax(x, 1), g.argMin(x, 1)];
      expect(ops.map((t) => `${t.op.type}:${t.op.name}`)).toEqual([
        'Sum:Sum',
        'Mean:Mean',
        'ArgMax:ArgMax',
        'ArgMin:ArgMin',
      ]);
      expect(g.reduceLogSumExp(x, 1).op.name).toMatch(/^ReduceLogSumExp\//);
    });
  });
});

describe('reductions: build-time errors', () => {
  it('rejects out-of-range axes naming the op, the axis and the input', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3], { name: 'x' });
      expect(() => g.reduceSum(x, 2)).toThrow(g.ValueError);
      expect(() => g.reduceSum(x, 2)).toThrow(
        /Sum op 'Sum(_\d+)?': axis 2 is out of range for a tensor of rank 2.*x:0: float32\[2,3\]/,
      );
      expect(() => g.argMax(x, -3)).toThrow(/ArgMax op .*axis -3 is out of range/);
    });
  });
  it('rejects wrong dtypes', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3], { name: 'x' });
      const b = g.placeholder('bool', [2, 3], { name: 'b' });
      expect(() => g.reduceAll(x)).toThrow(g.TypeError);
      expect(() => g.reduceSum(b)).toThrow(/Sum op .*input 'b:0' has dtype bool/);
      expect(() => g.argMax(b, 0)).toThrow(g.TypeError);
      expect(() => g.reduceSum(x, g.constant([0.5]))).toThrow(/reduction_indices .* has dtype float32/);
    });
  });
  it('argMax needs a scalar axis and a non-scalar input', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      expect(() => g.argMax(x, g.constant([0, 1], { dtype: 'int32' }))).toThrow(/dimension must be a scalar/);
      expect(() => g.argMax(g.placeholder('float32', []), 0)).toThrow(/scalar/);
    });
  });
});

describe('reductions and scans on the wasm backend', () => {
  it('match eager tfjs on cpu', async () => {
    const x = randomArray([3, 4], 'positive', 5);
    const xi = randomArray([3, 4], 'int', 6);
    const graph = new g.Graph();
    const { px, pi, ys } = graph.asDefault(() => {
      const px = g.placeholder('float32', [3, 4]);
      const pi = g.placeholder('int32', [3, 4]);
      const ys = [
        g.reduceSum(px, 1),
        g.reduceMean(pi, 1),
        g.reduceMax(px, 0, { keepDims: true }),
        g.reduceMin(px),
        g.reduceProd(px, -1),
        g.reduceLogSumExp(px, 1),
        g.argMax(px, 1),
        g.argMin(px, 0),
        g.cumsum(px, -1, { reverse: true }),
        g.cumprod(px, 0, { exclusive: true }),
      ];
      return { px, pi, ys };
    });
    const sess = await g.Session.create(graph, { backend: 'wasm' });
    const got = sess.run(ys, [
      [px, x],
      [pi, xi],
    ]);
    sess.close();
    const expected = tf.tidy(() => {
      const [tx, ti] = [toTf(x), toTf(xi)];
      const m = tf.mean(ti, 1);
      return [
        tf.sum(tx, 1),
        tf.cast(tf.mul(tf.sign(m), tf.floor(tf.abs(m))), 'int32'),
        tf.max(tx, 0, true),
        tf.min(tx),
        tf.prod(tx, -1),
        tf.logSumExp(tx, 1),
        tf.argMax(tx, 1),
        tf.argMin(tx, 0),
        tf.cumsum(tx, 1, false, true),
        tf.cumprod(tx, 0, true),
      ];
    });
    got.forEach((v, i) => expectClose(v, expected[i]!, 1e-4));
    tf.dispose(expected);
  });
});
