// Does a fused gradient-helper op (TF's SigmoidGrad: one graph node running 3 tfjs kernels in a
// tidy) beat the composite dy * y * (1 - y) (3 graph nodes)? Both launch 3 tfjs kernels.
import * as g from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';

const SigmoidGradFused = g.defineOp<'y' | 'dy'>({
  type: 'BenchSigmoidGrad',
  inputs: ['y', 'dy'],
  shape: ({ y }) => y.shape,
  dtype: ({ y }) => y.dtype,
  kernel: ({ y, dy }) => tfc.tidy(() => tfc.mul(dy, tfc.mul(y, tfc.sub(1, y)))),
});

async function bench(backend: 'cpu' | 'wasm', fused: boolean, shape: number[], chain = 20, reps = 30) {
  const graph = new g.Graph();
  const { x, out } = graph.asDefault(() => {
    const x = g.placeholder('float32', shape);
    const y = g.sigmoid(x);
    let dy: g.Tensor = x;
    for (let i = 0; i < chain; i++) {
      dy = fused ? SigmoidGradFused.apply({ y, dy }, {}) : g.mul(dy, g.mul(y, g.sub(1, y)));
    }
    return { x, out: dy };
  });
  const sess = await g.Session.create(graph, { backend });
  const feed = new Map([[x, g.NDArray.from(tfc.randomNormal(shape).arraySync() as number[][])]]);
  for (let i = 0; i < 3; i++) sess.run(out, feed);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) sess.run(out, feed);
  const ms = (performance.now() - t0) / reps;
  sess.close();
  return ms;
}

// Alternate the two forms over several rounds and keep each one's best, so JIT warm-up and
// GC noise do not favour whichever runs second.
for (const backend of ['cpu', 'wasm'] as const) {
  for (const shape of [
    [8, 16],
    [64, 256],
  ]) {
    let comp = Infinity;
    let fused = Infinity;
    for (let round = 0; round < 5; round++) {
      comp = Math.min(comp, await bench(backend, false, shape));
      fused = Math.min(fused, await bench(backend, true, shape));
    }
    console.log(
      `${backend} ${JSON.stringify(shape)} x20: composite ${comp.toFixed(2)} ms, fused ${fused.toFixed(2)} ms`,
    );
  }
}
