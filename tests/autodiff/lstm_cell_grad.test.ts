// Gradients through dynamicRnn with TF 1.15's full LSTMCell (peepholes, cell and projection
// clipping, projection) against eager tfjs gradients of the same cell unrolled step by step; and
// second order (a gradient penalty) against central finite differences of the first order.
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lstmCellStep, randomizeWeights, unroll } from '../graph/control/rnn_reference.js';
import { expectClose, randomArray, toTf } from '../helpers.js';

const { nn } = g;

describe('LSTMCell gradients', () => {
  it('peepholes, cellClip, numProj, projClip: every weight and the inputs match eager tfjs', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const [B, T, D, N, P] = [2, 4, 3, 5, 3];
      const opts = { usePeepholes: true, cellClip: 0.6, numProj: P, projClip: 0.4 };
      const x = g.placeholder('float32', [B, T, D]);
      const [out, state] = nn.dynamicRnn(new nn.rnnCell.LSTMCell(N, opts), x, { dtype: 'float32' });
      const probeValue = randomArray([B, T, P], 'unit', 5);
      const { c } = state as g.nn.LSTMStateTuple;
      const loss = g.add(g.reduceSum(g.mul(out, g.constant(probeValue))), g.reduceSum(g.square(c)));
      const vars = g.trainableVariables();
      const grads = gradients(loss, [...vars, x]) as g.Tensor[];
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const w = randomizeWeights(sess, graph);
      const names = Object.keys(w);
      expect(names).toEqual(['kernel', 'bias', 'w_f_diag', 'w_i_diag', 'w_o_diag', 'projection']);
      const xv = randomArray([B, T, D], [-2, 2], 7);
      const got = sess.run(grads, [[x, xv]]);
      const step = lstmCellStep({ peepholes: true, cellClip: 0.6, projClip: 0.4 });
      const eagerLoss = (...args: tf.Tensor[]) => {
        const we = Object.fromEntries(names.map((n, i) => [n, args[i]!]));
        const r = unroll(step, args[names.length]!, [tf.zeros([B, N]), tf.zeros([B, P])], we);
        return tf.add(tf.sum(tf.mul(r.outputs, toTf(probeValue))), tf.sum(tf.square(r.state[0]!)));
      };
      const want = tf.grads(eagerLoss)([...names.map((n) => w[n]!), toTf(xv)]);
      want.forEach((wg, i) => expectClose(got[i]!, wg, 2e-4));
      sess.close();
    });
  });

  it('second order through dynamicRnn: a gradient penalty on the inputs matches finite differences', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const [B, T, D, N] = [2, 3, 2, 3];
      const x = g.placeholder('float32', [B, T, D]);
      const cell = new nn.rnnCell.LSTMCell(N, { usePeepholes: true, numProj: 2 });
      const [out] = nn.dynamicRnn(cell, x, { dtype: 'float32' });
      const loss = g.reduceSum(g.mul(out, g.constant(randomArray([B, T, 2], 'unit', 4))));
      const [dx] = gradients(loss, x) as g.Tensor[];
      const penalty = g.reduceSum(g.square(dx!));
      const kernel = g.trainableVariables()[0]!;
      const [dk] = gradients(penalty, kernel) as g.Tensor[];
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      randomizeWeights(sess, graph);
      const xv = randomArray([B, T, D], 'unit', 9);
      const got = Array.from(sess.run(dk!, [[x, xv]]).data as Float32Array);
      // Central differences of the penalty over a few kernel entries.
      const k0 = sess.run(kernel);
      const base = k0.data as Float32Array;
      const h = 1e-2;
      for (const idx of [0, 5, 13, 22, base.length - 1]) {
        const at = (d: number) => {
          const v = base.slice();
          v[idx] = v[idx]! + d;
          sess.run(kernel.assign(new g.NDArray('float32', k0.shape, v)));
          return sess.run(penalty, [[x, xv]]).item() as number;
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(got[idx]! - fd)).toBeLessThanOrEqual(2e-2 * (1 + Math.abs(fd)));
      }
      sess.close();
    });
  });
});
