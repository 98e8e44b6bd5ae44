// The synchronous path into onnxruntime-node (packages/onnx/src/ort.ts) against its public async
// API: same results, same failures, and the pinned version is the installed one.
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxGraph } from '../../packages/onnx/src/model.js';
import { PINNED_ORT_VERSION, SyncModel } from '../../packages/onnx/src/ort.js';

const require = createRequire(import.meta.url);

function model() {
  const g = new OnnxGraph();
  g.addInput('a', 'float32', [null, 3]);
  g.addInput('b', 'float32', [3, 2]);
  const [y] = g.node('MatMul', ['a', 'b'], {}, 'mm');
  const [z] = g.node('Relu', [y!], {}, 'relu');
  g.addOutput(z!, 'float32', null);
  return { bytes: g.encode('t'), out: z! };
}

describe('onnxruntime-node binding', () => {
  it('is the pinned version', () => {
    expect((require('onnxruntime-node/package.json') as { version: string }).version).toBe(
      PINNED_ORT_VERSION,
    );
  });

  it('runs synchronously with the results of the public async InferenceSession', async () => {
    const { bytes, out } = model();
    const a = new ort.Tensor('float32', Float32Array.from([1, -2, 3, 4, 5, -6]), [2, 3]);
    const b = new ort.Tensor('float32', Float32Array.from([1, 2, -3, 4, 5, -6]), [3, 2]);
    const sync = new SyncModel(bytes, [out]);
    let settled = false;
    const got = sync.run({ a, b })[out]!;
    settled = true; // reached without awaiting anything
    const pub = await ort.InferenceSession.create(bytes);
    const want = (await pub.run({ a, b }))[out]!;
    expect(settled).toBe(true);
    expect(got).toBeInstanceOf(ort.Tensor);
    expect(got.dims).toEqual(want.dims);
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    expect(Array.from(got.data as Float32Array)).toEqual([22, 0, 0, 64]);
    sync.dispose();
  });

  it('throws synchronously, naming the node, where the public API rejects', async () => {
    const { bytes, out } = model();
    const a = new ort.Tensor('float32', new Float32Array(4), [1, 4]);
    const b = new ort.Tensor('float32', new Float32Array(6), [3, 2]);
    expect(() => new SyncModel(bytes, [out]).run({ a, b })).toThrow(/mm|dimension|Invalid/i);
    const pub = await ort.InferenceSession.create(bytes);
    await expect(pub.run({ a, b })).rejects.toThrow();
  });
});
