// Eager tfjs reference RNN steps (TF 1.15's rnn_cell_impl formulas, written independently of the
// graph cells), unrolled over time: the oracle for dynamicRnn's values and gradients.
import type * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { randomArray, toTf } from '../../helpers.js';

export type Weights = Record<string, tf.Tensor>;
type Step = (x: tf.Tensor, state: tf.Tensor[], w: Weights) => { out: tf.Tensor; state: tf.Tensor[] };

const lin = (x: tf.Tensor, h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
  tf.add(tf.matMul(tf.concat([x, h], 1), k), b);

export const lstmStep: Step = (x, [c, h], w) => {
  const [i, j, f, o] = tf.split(lin(x, h!, w.kernel!, w.bias!), 4, 1);
  const nc = tf.add(tf.mul(c!, tf.sigmoid(tf.add(f!, 1))), tf.mul(tf.sigmoid(i!), tf.tanh(j!)));
  const nh = tf.mul(tf.tanh(nc), tf.sigmoid(o!));
  return { out: nh, state: [nc, nh] };
};

export const gruStep: Step = (x, [h], w) => {
  const [r, u] = tf.split(tf.sigmoid(lin(x, h!, w.gatesKernel!, w.gatesBias!)), 2, 1);
  const c = tf.tanh(lin(x, tf.mul(r!, h!), w.candidateKernel!, w.candidateBias!));
  const nh = tf.add(tf.mul(u!, h!), tf.mul(tf.sub(1, u!), c));
  return { out: nh, state: [nh] };
};

export const rnnStep: Step = (x, [h], w) => {
  const nh = tf.tanh(lin(x, h!, w.kernel!, w.bias!));
  return { out: nh, state: [nh] };
};

/** Unrolled over [batch, time, depth] inputs; past seqLen[b] outputs are 0 and the state is kept. */
export function unroll(step: Step, x: tf.Tensor, state0: tf.Tensor[], w: Weights, seqLen?: number[]) {
  const [batch, time] = x.shape as [number, number, number];
  let state = state0;
  const outs: tf.Tensor[] = [];
  for (let t = 0; t < time; t++) {
    const xt = tf.squeeze(tf.slice(x, [0, t, 0], [batch, 1, -1]), [1]);
    const r = step(xt, state, w);
    if (!seqLen) {
      outs.push(r.out);
      state = r.state;
      continue;
    }
    const alive = tf.tensor2d(
      seqLen.map((n) => [t < n ? 1 : 0]),
      [batch, 1],
    );
    outs.push(tf.mul(r.out, alive));
    state = r.state.map((s, k) => tf.add(tf.mul(s, alive), tf.mul(state[k]!, tf.sub(1, alive))));
  }
  return { outputs: tf.stack(outs, 1), state };
}

export interface RefOptions {
  peepholes?: boolean;
  cellClip?: number;
  projClip?: number;
  forgetBias?: number;
  act?: (x: tf.Tensor) => tf.Tensor;
}

/** TF's LSTMCell.call, eagerly: weights kernel, bias, w_f_diag, w_i_diag, w_o_diag, projection. */
export const lstmCellStep =
  (o: RefOptions) =>
  (x: tf.Tensor, [c, m]: tf.Tensor[], w: Weights) => {
    const act = o.act ?? tf.tanh;
    const z = tf.add(tf.matMul(tf.concat([x, m!], 1), w.kernel!), w.bias!);
    const [i, j, f, og] = tf.split(z, 4, 1) as tf.Tensor[];
    const peep = (gate: tf.Tensor, d: string, s: tf.Tensor) =>
      o.peepholes ? tf.add(gate, tf.mul(w[d]!, s)) : gate;
    const fGate = tf.sigmoid(peep(tf.add(f!, o.forgetBias ?? 1), 'w_f_diag', c!));
    let nc = tf.add(tf.mul(fGate, c!), tf.mul(tf.sigmoid(peep(i!, 'w_i_diag', c!)), act(j!)));
    if (o.cellClip !== undefined) nc = tf.clipByValue(nc, -o.cellClip, o.cellClip);
    let nm = tf.mul(tf.sigmoid(peep(og!, 'w_o_diag', nc)), act(nc));
    if (w.projection) {
      nm = tf.matMul(nm, w.projection);
      if (o.projClip !== undefined) nm = tf.clipByValue(nm, -o.projClip, o.projClip);
    }
    return { out: nm, state: [nc, nm] };
  };

/** Every variable set to seeded values in [-s, s] (biases and diagonals too), read back by short name. */
export function randomizeWeights(sess: g.Session, graph: g.Graph, scale = 1): Weights {
  const w: Weights = {};
  graph.getCollection<g.Variable>('variables').forEach((v, k) => {
    const value = randomArray(v.shape as number[], [-scale, scale], 20 + k);
    sess.run(v.assign(value));
    const short = v.op.name.replace(/^.*lstm_cell\//, '').replace('/kernel', '');
    w[short] = toTf(value);
  });
  return w;
}
