// saveGraphModel / loadGraphModel neither use nor change tfjs's global backend: the weights go
// to and from tfjs's weights format as bytes, without tfjs tensors. Here the global backend is a
// trap whose every kernel and tensor write throws (tfjs's KernelBackend base class).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as g from '@graphmode/graph';
import { loadGraphModel, saveGraphModel } from '@graphmode/train';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { mlp } from '../../fixtures/models.js';

class Trap extends tfc.KernelBackend {}
tfc.registerBackend('trap', () => new Trap(), -1);

describe('graph model files and the tfjs global backend', () => {
  it("save and load never touch the global backend, and write tfjs-core's weights bytes", async () => {
    await tfc.setBackend('trap');
    expect(() => tfc.tensor([1, 2])).toThrow(); // what the former tfjs-tensor path would meet
    const m = mlp();
    const want = m.sess.run(m.y, [[m.x, m.input]]);
    const dir = mkdtempSync(join(tmpdir(), 'graph-model-backend-'));
    await saveGraphModel(m.sess, dir, { inputs: { x: m.x }, outputs: { y: m.y } });
    const loaded = await loadGraphModel(dir);
    expect(tfc.getBackend()).toBe('trap');
    const sess = new g.Session(loaded.graph);
    expect(
      Array.from(sess.run(loaded.outputs.y!, [[loaded.inputs.x!, m.input]]).data as Float32Array),
    ).toEqual(Array.from(want.data as Float32Array));
    // The shard is what tfjs-core's own encoder writes for the same weights.
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const group = model.weightsManifest[0];
    const shard = readFileSync(join(dir, group.paths[0]));
    await tfc.setBackend('cpu'); // tfjs's own encoder, for comparison, needs a real backend
    const weights = loaded.graph
      .getOperations()
      .filter((op) => op.type === 'Const')
      .map((op) => op.attrs as { value: g.NDArray });
    expect(weights.length).toBe(group.weights.length);
    const byName = new Map(
      loaded.graph.getOperations().map((op) => [op.name, (op.attrs as { value?: g.NDArray }).value] as const),
    );
    const tensors = group.weights.map((w: { name: string }) => {
      const v = byName.get(w.name)!;
      return { name: w.name, tensor: tfc.tensor(v.data as Float32Array, v.shape, v.dtype) };
    });
    const theirs = await tfc.io.encodeWeights(tensors);
    expect(new Uint8Array(theirs.data)).toEqual(new Uint8Array(shard));
    expect(theirs.specs).toEqual(group.weights);
    tfc.dispose(tensors.map((t: { tensor: tfc.Tensor }) => t.tensor));
    m.sess.close();
    sess.close();
  });
});
