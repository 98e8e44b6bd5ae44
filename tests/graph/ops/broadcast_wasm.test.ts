// BroadcastTo on wasm runs as a broadcasting Mul by ones (wasm's Tile, behind tfc.broadcastTo, is
// ~10× slower): the same values as eager tfjs's broadcastTo, bit for bit, -0 and NaN included.
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

const cases: { from: number[]; to: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
  { from: [1, 1, 1, 3], to: [2, 4, 5, 3], dtype: 'float32' },
  { from: [3], to: [2, 3], dtype: 'float32' },
  { from: [2, 1], to: [3, 2, 4], dtype: 'int32' },
  { from: [], to: [2, 2], dtype: 'float32' },
  { from: [1, 2], to: [3, 2], dtype: 'bool' },
];

describe('BroadcastTo on wasm', () => {
  for (const { from, to, dtype } of cases) {
    it(`${dtype} [${from}] → [${to}] equals eager tfjs`, async () => {
      const n = from.reduce((a, b) => a * b, 1);
      const special = [-0, Number.NaN, -2.5, 7, Number.POSITIVE_INFINITY];
      const input =
        dtype === 'bool'
          ? Array.from({ length: n }, (_, i) => i % 2 === 0)
          : Array.from({ length: n }, (_, i) => (dtype === 'int32' ? 3 - i : special[i % 5]!));
      const graph = new g.Graph();
      const y = graph.asDefault(() => g.broadcastTo(g.constant(input, { dtype, shape: from }), to));
      const sess = await g.Session.create(graph, { backend: 'wasm' });
      const got = sess.run(y);
      sess.close();
      const want = tf.broadcastTo(tf.tensor(input, from, dtype), to);
      expect(got.shape).toEqual(to);
      expect(got.dtype).toBe(dtype);
      const same = Array.from(got.data as ArrayLike<number>).map((v, i) =>
        Object.is(v, (want.dataSync() as ArrayLike<number>)[i]),
      );
      expect(same.every(Boolean)).toBe(true);
      want.dispose();
    });
  }
});
