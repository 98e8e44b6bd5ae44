// Every control-flow construct, forward and backward, leaves no tfjs tensor behind after a run
// (per-iteration tensors, unstacked rows, saved histories and stacked outputs are all freed).
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../../helpers.js';

describe('control flow leaks nothing', () => {
  it('mapFn, scan, foldl, dynamicRnn and their gradients', () => {
    const graph = new g.Graph();
    const { fetches, feeds, init } = graph.asDefault(() => {
      const e = g.placeholder('float32', [5, 3]);
      const m = g.mapFn((r: g.Tensor) => g.reduceSum(g.square(r)), e) as g.Tensor;
      const s = g.scan((a: g.Tensor, r: g.Tensor) => g.mul(a, r), e, { reverse: true }) as g.Tensor;
      const f = g.foldl((a: g.Tensor, r: g.Tensor) => g.add(a, r), e, {
        initializer: g.zeros([3]),
      }) as g.Tensor;
      const x = g.placeholder('float32', [2, 4, 3]);
      const [out, state] = g.nn.dynamicRnn(new g.nn.rnnCell.BasicLSTMCell(3), x, {
        dtype: 'float32',
        sequenceLength: [4, 2],
      });
      const loss = g.addN([
        g.reduceSum(m),
        g.reduceSum(s),
        g.reduceSum(f),
        g.reduceSum(out),
        g.reduceSum((state as g.nn.LSTMStateTuple).c),
      ]);
      const grads = gradients(loss, [e, x, ...g.trainableVariables()]) as g.Tensor[];
      const feeds: [g.Tensor, g.NDArray][] = [
        [e, randomArray([5, 3], 'unit', 1)],
        [x, randomArray([2, 4, 3], 'unit', 2)],
      ];
      return { fetches: [loss, ...grads], feeds, init: g.globalVariablesInitializer() };
    });
    const atStart = tf.memory().numTensors;
    const sess = new g.Session(graph);
    sess.run(init);
    sess.run(fetches, feeds);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) sess.run(fetches, feeds);
    expect(tf.memory().numTensors).toBe(before);
    sess.close();
    // Constants cached for the bodies' ops belong to the session and go with it.
    expect(tf.memory().numTensors).toBe(atStart);
  });
});
