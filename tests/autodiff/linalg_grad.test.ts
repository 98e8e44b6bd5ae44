import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, toTf } from '../helpers.js';
import { gradCases, named } from '../op_table.js';
import { linalgOps } from '../tables/linalg.js';
import { checkGradient } from './harness.js';

describe('linalg gradients vs eager tfjs and finite differences', () => {
  it.each(named(gradCases(linalgOps)))('%s', (_, c) => checkGradient(c));
});

describe('linalg gradients on the wasm backend', () => {
  it('matMul gradients (transposed forms) match tfjs', async () => {
    const va = randomArray([6, 7], 'normal', 3);
    const vb = randomArray([7, 5], 'normal', 4);
    const graph = new g.Graph();
    const { a, b, grads } = graph.asDefault(() => {
      const a = g.placeholder('float32', [6, 7]);
      const b = g.placeholder('float32', [7, 5]);
      const y = g.reduceSum(g.square(g.matMul(a, b)));
      return { a, b, grads: gradients(y, [a, b]) as g.Tensor[] };
    });
    const sess = await g.Session.create(graph, { backend: 'wasm' });
    const got = sess.run(grads, [
      [a, va],
      [b, vb],
    ]);
    sess.close();
    const expected = tf.tidy(() =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([toTf(va), toTf(vb)]),
    );
    got.forEach((v, i) => expectClose(v, expected[i]!, 1e-4));
    tf.dispose(expected);
    expect(got).toHaveLength(2);
  });
});
