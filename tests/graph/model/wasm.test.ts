// The model-building ops on the wasm backend against cpu: a conv + batch norm + pool + dense net
// (forward, one createTrainOp step with its update ops), inTopK, orthogonal initial values.
import * as g from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer } from '@graphmode/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, randomArray } from '../../helpers.js';

function run(backend: 'cpu' | 'wasm'): g.NDArray[] {
  const graph = new g.Graph();
  const xv = randomArray([4, 6, 6, 2], 'normal', 5);
  const labels = [0, 1, 2, 1];
  const fetches = graph.asDefault(() => {
    g.setRandomSeed(7);
    const x = g.constant(xv);
    let h = g.layers.conv2d(x, 3, 3, { padding: 'same', activation: g.relu });
    h = g.layers.batchNormalization(h, { training: true });
    h = g.layers.maxPooling2d(h, 2, 2);
    const logits = g.layers.dense(g.layers.flatten(h), 3);
    const loss = g.losses.sparseSoftmaxCrossEntropy(g.constant(labels, { dtype: 'int32' }), logits);
    const train = createTrainOp(loss, new GradientDescentOptimizer(0.1));
    const top = g.inTopK(logits, g.constant(labels, { dtype: 'int32' }), 2);
    const orth = g.getVariable('orth', {
      shape: [5, 3],
      initializer: g.initializers.orthogonal({ seed: 1 }),
    });
    return { train, top, orth, init: g.globalVariablesInitializer(), vars: g.globalVariables() };
  });
  const sess = new g.Session(graph, { backend });
  try {
    sess.run(fetches.init);
    const [loss, top] = sess.run([fetches.train, fetches.top]);
    return [
      loss!,
      g.NDArray.from(Array.from(top!.data as Uint8Array)),
      ...sess.run(fetches.vars),
      sess.run(fetches.orth),
    ];
  } finally {
    sess.close();
  }
}

describe('model building on wasm', () => {
  beforeAll(async () => {
    (await g.Session.create(new g.Graph(), { backend: 'wasm' })).close();
  });
  it('matches cpu for a training step of a conv / batch norm / dense net, inTopK and orthogonal', () => {
    const cpu = run('cpu');
    const wasm = run('wasm');
    expect(wasm).toHaveLength(cpu.length);
    wasm.forEach((w, i) => expectClose(w, cpu[i]!, 1e-4));
  });
});
