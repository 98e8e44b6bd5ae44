// Gradients of nn.dynamicRnn (a While loop) against eager tfjs gradients of the same model
// unrolled step by step, with the same weights: kernel, bias, inputs and initial state.
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { gruStep, lstmStep, unroll } from '../graph/control/rnn_reference.js';
import { expectClose, randomArray, toTf } from '../helpers.js';

const { nn } = g;

function compare(kind: 'lstm' | 'gru', seqLen?: number[]) {
  const graph = new g.Graph();
  graph.asDefault(() => {
    const [B, T, D, U] = [3, 6, 4, 5];
    const x = g.placeholder('float32', [B, T, D]);
    const cell = kind === 'lstm' ? new nn.rnnCell.BasicLSTMCell(U) : new nn.rnnCell.GRUCell(U);
    const h0 = g.placeholder('float32', [B, U]);
    const initialState = kind === 'lstm' ? { c: h0, h: g.zeros([B, U]) } : h0;
    const [out, state] = nn.dynamicRnn(cell, x, {
      initialState,
      ...(seqLen ? { sequenceLength: seqLen } : {}),
    });
    const last = kind === 'lstm' ? (state as { c: g.Tensor }).c : (state as g.Tensor);
    const probeValue = randomArray([B, T, U], 'unit', 5);
    const probe = g.constant(probeValue);
    const loss = g.add(g.reduceSum(g.mul(out, probe)), g.reduceSum(g.square(last)));
    const vars = g.trainableVariables();
    const grads = gradients(loss, [...vars, x, h0]) as g.Tensor[];

    const sess = new g.Session(graph);
    sess.run(g.globalVariablesInitializer());
    const xv = randomArray([B, T, D], 'unit', 7);
    const hv = randomArray([B, U], 'unit', 8);
    const got = sess.run(grads, [
      [x, xv],
      [h0, hv],
    ]);
    const names =
      kind === 'lstm' ? ['kernel', 'bias'] : ['gatesKernel', 'gatesBias', 'candidateKernel', 'candidateBias'];
    const w0 = vars.map((v) => toTf(sess.run(v)));
    const step = kind === 'lstm' ? lstmStep : gruStep;
    const eagerLoss = (...args: tf.Tensor[]) => {
      const w = Object.fromEntries(names.map((n, i) => [n, args[i]!]));
      const [xe, he] = args.slice(names.length);
      const s0 = kind === 'lstm' ? [he!, tf.zeros([B, U])] : [he!];
      const r = unroll(step, xe!, s0, w, seqLen);
      return tf.add(tf.sum(tf.mul(r.outputs, toTf(probeValue))), tf.sum(tf.square(r.state[0]!)));
    };
    const want = tf.grads(eagerLoss)([...w0, toTf(xv), toTf(hv)]);
    want.forEach((w, i) => expectClose(got[i]!, w, 2e-4));
    sess.close();
  });
}

describe('dynamicRnn gradients vs eager tfjs on the unrolled model', () => {
  it('BasicLSTMCell: kernel, bias, inputs and initial cell state', () => compare('lstm'));
  it('BasicLSTMCell with sequence lengths', () => compare('lstm', [6, 3, 1]));
  it('GRUCell', () => compare('gru'));
});
