// Importing @graphmode/graph has no side effects on tfjs: the global backend stays as the user
// set it, the wasm backend is loaded only when a session asks for it, and tfjs's "install
// tfjs-node" banner is not printed by our runs (but still is at the user's own first tensor).
// Each case runs in a fresh Node process, since a test process has already imported everything.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const BANNER = 'looks like you are running TensorFlow.js in Node.js';

/** Runs an ESM snippet under tsx (tsconfig paths resolve @graphmode/* to the sources). */
function runNode(code: string): { out: Record<string, unknown>; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`child process failed (${r.status}): ${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

const BUILD_AND_RUN = `
  const x = g.placeholder('float32', [null], { name: 'x' });
  const y = g.mul(g.add(x, 1), 2);
  const sess = new g.Session();
  const value = sess.run(y, { 'x:0': [1, 2] }).toArray();
  sess.close();`;

describe('importing @graphmode/graph', () => {
  it('keeps a global wasm backend, and a cpu session run leaves it wasm', () => {
    const { out } = runNode(`
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-wasm';
      await tf.setBackend('wasm');
      const g = await import('@graphmode/graph');
      const afterImport = tf.getBackend();
      ${BUILD_AND_RUN}
      console.log(JSON.stringify({ afterImport, afterRun: tf.getBackend(), value }));`);
    expect(out).toEqual({ afterImport: 'wasm', afterRun: 'wasm', value: [4, 6] });
  });

  it('loads no wasm for a cpu-only user, prints no banner in our run, yet the user’s first tensor gets it', () => {
    const { out, stderr } = runNode(`
      import * as tf from '@tensorflow/tfjs-core';
      const g = await import('@graphmode/graph');
      const afterImport = { backends: tf.engine().backendNames(), chosen: tf.getBackend() ?? null };
      ${BUILD_AND_RUN}
      const afterRun = { backends: tf.engine().backendNames(), chosen: tf.getBackend() };
      console.error('--- user code from here ---');
      tf.tensor([1]).dispose();
      console.log(JSON.stringify({ afterImport, afterRun, value }));`);
    expect(out).toEqual({
      afterImport: { backends: ['cpu'], chosen: null },
      // tfjs's own lazy choice (its only registered backend), made when the session needed one.
      afterRun: { backends: ['cpu'], chosen: 'cpu' },
      value: [4, 6],
    });
    const [ours, users] = stderr.split('--- user code from here ---');
    expect(ours).not.toContain(BANNER);
    expect(users).toContain(BANNER);
  });

  it('loads wasm on demand in Session.create, leaving the global backend cpu', () => {
    const { out, stderr } = runNode(`
      import * as tf from '@tensorflow/tfjs-core';
      const g = await import('@graphmode/graph');
      const x = g.placeholder('float32', [null], { name: 'x' });
      const y = g.mul(g.add(x, 1), 2);
      const before = tf.engine().backendNames();
      const sess = await g.Session.create(g.getDefaultGraph(), { backend: 'wasm' });
      const value = sess.run(y, { 'x:0': [1, 2] }).toArray();
      console.log(JSON.stringify({ before, after: tf.engine().backendNames().sort(), chosen: tf.getBackend(), value }));`);
    expect(out).toEqual({ before: ['cpu'], after: ['cpu', 'wasm'], chosen: 'cpu', value: [4, 6] });
    expect(stderr).not.toContain(BANNER);
  });
});
