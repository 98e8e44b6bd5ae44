// MatMul gradient forms on cpu and wasm: tfjs matMul with transposeA/transposeB vs an explicit
// transpose followed by a plain matMul, for a dense layer 64×784 · 784×256 and its two grads.
// Also times graphmode's MatMul op (whose kernel picks the form per backend) through a Session.
// Run: npx tsx bench/matmul_forms.ts
import * as g from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

function time(fn: () => tfc.Tensor, reps = 20): number {
  for (let i = 0; i < 3; i++) fn().dispose();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = fn();
    r.dataSync();
    best = Math.min(best, performance.now() - t0);
    r.dispose();
  }
  return best;
}

const cases = [
  { name: 'dA = dy · Bᵀ   [64,256]·[784,256]ᵀ', a: [64, 256], b: [784, 256], ta: false, tb: true },
  { name: 'dB = Aᵀ · dy   [64,784]ᵀ·[64,256] ', a: [64, 784], b: [64, 256], ta: true, tb: false },
  { name: 'fwd  A · B     [64,784]·[784,256] ', a: [64, 784], b: [784, 256], ta: false, tb: false },
];

for (const backend of ['cpu', 'wasm']) {
  await tfc.setBackend(backend);
  for (const c of cases) {
    const a = tfc.randomNormal(c.a);
    const b = tfc.randomNormal(c.b);
    const fused = time(() => tfc.matMul(a, b, c.ta, c.tb));
    const explicit = time(() =>
      tfc.tidy(() => tfc.matMul(c.ta ? tfc.transpose(a) : a, c.tb ? tfc.transpose(b) : b)),
    );
    const graph = new g.Graph();
    const { pa, pb, y } = graph.asDefault(() => {
      const pa = g.placeholder('float32', c.a);
      const pb = g.placeholder('float32', c.b);
      return { pa, pb, y: g.matMul(pa, pb, { transposeA: c.ta, transposeB: c.tb }) };
    });
    const sess = await g.Session.create(graph, { backend: backend as 'cpu' | 'wasm' });
    const feeds = new Map([
      [pa, new g.NDArray('float32', c.a, a.dataSync() as Float32Array)],
      [pb, new g.NDArray('float32', c.b, b.dataSync() as Float32Array)],
    ]);
    for (let i = 0; i < 3; i++) sess.run(y, feeds);
    let op = Infinity;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      sess.run(y, feeds);
      op = Math.min(op, performance.now() - t0);
    }
    sess.close();
    console.log(
      `${backend.padEnd(4)} ${c.name}: transpose flags ${fused.toFixed(2)} ms, ` +
        `explicit transpose ${explicit.toFixed(2)} ms, graphmode MatMul op (session run) ${op.toFixed(2)} ms`,
    );
    a.dispose();
    b.dispose();
  }
}
