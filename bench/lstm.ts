// One LSTM training-step computation (batch 32, 64 units, 50 steps, 32 input features): forward
// and backward of nn.dynamicRnn (one While loop each way) versus the same model written with
// eager tfjs ops (unrolled in JS) and differentiated by tf.grads, same weights, same backend.
import { gradients } from '@graphmode/autodiff';
import {
  Graph,
  globalVariablesInitializer,
  NDArray,
  nn,
  placeholder,
  reduceSum,
  Session,
  square,
  type Tensor,
  trainableVariables,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { type Bench, type Row, round, timeInterleaved } from './util.js';

const [B, T, D, U] = [32, 50, 32, 64];
const REPS = Number(process.env.BENCH_REPS ?? 5);

function eagerLoss(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Scalar {
  let c = tf.zeros([B, U]);
  let h = tf.zeros([B, U]);
  const steps = tf.unstack(x, 1);
  let total = tf.scalar(0);
  for (const xt of steps) {
    const [i, j, f, o] = tf.split(tf.add(tf.matMul(tf.concat([xt, h], 1), kernel), bias), 4, 1);
    c = tf.add(tf.mul(c, tf.sigmoid(tf.add(f!, 1))), tf.mul(tf.sigmoid(i!), tf.tanh(j!)));
    h = tf.mul(tf.tanh(c), tf.sigmoid(o!));
    total = tf.add(total, tf.sum(tf.square(h)));
  }
  return total as tf.Scalar;
}

async function measure(backend: 'cpu' | 'wasm'): Promise<Row> {
  const graph = new Graph();
  const { x, grads, init } = graph.asDefault(() => {
    const x = placeholder('float32', [B, T, D]);
    const [out] = nn.dynamicRnn(new nn.rnnCell.BasicLSTMCell(U), x, { dtype: 'float32' });
    const loss = reduceSum(square(out));
    return {
      x,
      grads: gradients(loss, trainableVariables()) as Tensor[],
      init: globalVariablesInitializer(),
    };
  });
  const sess = await Session.create(graph, { backend });
  sess.run(init);
  const [kernel, bias] = sess.run(
    graph.getCollection<{ value(): Tensor }>('variables').map((v) => v.value()),
  );
  const xv = new NDArray(
    'float32',
    [B, T, D],
    Float32Array.from({ length: B * T * D }, (_, k) => Math.sin(k)),
  );
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  const xe = tf.tensor(xv.data, xv.shape);
  const ke = tf.tensor(kernel!.data, kernel!.shape);
  const be = tf.tensor(bias!.data, bias!.shape);
  const eagerGrad = tf.grads((k: tf.Tensor, b: tf.Tensor) => eagerLoss(xe, k, b));
  const eager = () => {
    const gs = eagerGrad([ke, be]);
    gs.forEach((g) => g.dataSync());
    tf.dispose(gs);
  };
  const graphStep = () => sess.run(grads, [[x, xv]]);
  const [tGraph, tEager] = timeInterleaved([graphStep, eager], REPS, 1) as [number, number];
  tf.dispose([xe, ke, be]);
  sess.close();
  await tf.setBackend(previous);
  return {
    backend,
    'graph ms': round(tGraph),
    'eager ms': round(tEager),
    'graph/eager': round(tGraph / tEager),
  };
}

const bench: Bench = {
  name: 'lstm',
  description: 'LSTM (batch 32, 64 units, 50 steps) forward + backward: dynamicRnn vs eager tfjs',
  async run(): Promise<Row[]> {
    const backends = (process.env.BENCH_LSTM_BACKENDS ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];
    const rows: Row[] = [];
    for (const b of backends) rows.push(await measure(b));
    return rows;
  },
};
export default bench;
