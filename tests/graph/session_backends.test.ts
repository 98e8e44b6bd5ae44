// A session runs its kernels on its own backend, whatever tfjs's global backend is, and leaves
// the global one as it found it.
import { add, constant, defineOp, Graph, mul, Session, type Tensor, variable } from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';

// Records the engine's backend while its kernel runs: where the session really computes.
const BackendProbe = defineOp<'x'>({
  type: 'TestBackendProbe',
  inputs: ['x'],
  shape: ({ x }) => x.shape,
  dtype: ({ x }) => x.dtype,
  kernel: ({ x }) => {
    seen.push(tf.getBackend());
    return tf.add(x!, 0);
  },
});
const seen: string[] = [];

function model(): { g: Graph; y: Tensor; init: ReturnType<typeof variable>['initializer'] } {
  const g = new Graph();
  return g.asDefault(() => {
    const w = variable([1, 2, 3], { name: 'w' });
    const y = BackendProbe.apply({ x: mul(add(w, constant(1)), 2) }, {}, { name: 'probe' });
    return { g, y, init: w.initializer };
  });
}

const initialBackend = tf.getBackend() as string | undefined; // undefined until tfjs chooses one
afterAll(async () => {
  if (initialBackend) await tf.setBackend(initialBackend);
});

describe('defaults', () => {
  it('new Session() runs on cpu, Session.create() on wasm (API.md §2)', async () => {
    const sync = new Session(new Graph());
    const created = await Session.create(new Graph());
    expect([sync.backend, created.backend]).toEqual(['cpu', 'wasm']);
    sync.close();
    created.close();
  });
});

describe('session backend versus the global one', () => {
  for (const [global, own] of [
    ['wasm', 'cpu'],
    ['cpu', 'wasm'],
  ] as const) {
    it(`global ${global}, session ${own}: kernels run on ${own}, results right, global unchanged`, async () => {
      const { g, y, init } = model();
      const sess = await Session.create(g, { backend: own });
      await tf.setBackend(global);
      const before = tf.memory().numTensors;
      seen.length = 0;
      sess.run(init);
      expect(sess.run(y).toArray()).toEqual([4, 6, 8]);
      expect(seen).toEqual([own]);
      expect(tf.getBackend()).toBe(global);
      // An eager op afterwards computes on the global backend again.
      tf.tidy(() => {
        const eager = tf.add(tf.scalar(1), tf.scalar(2));
        expect(tf.engine().state.tensorInfo.get(eager.dataId)!.backend).toBe(tf.engine().registry[global]);
      });
      sess.close();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a failed run restores the global backend too', async () => {
    const g = new Graph();
    const bad = g.asDefault(() => {
      const Fail = defineOp<'x'>({
        type: 'TestFail',
        inputs: ['x'],
        shape: ({ x }) => x.shape,
        dtype: ({ x }) => x.dtype,
        kernel: () => {
          throw new Error('boom');
        },
      });
      return Fail.apply({ x: constant(1) }, {}, {});
    });
    const sess = await Session.create(g, { backend: 'cpu' });
    await tf.setBackend('wasm');
    expect(() => sess.run(bad)).toThrow(/boom/);
    expect(tf.getBackend()).toBe('wasm');
    sess.close();
  });
});
