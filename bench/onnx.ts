// The 'onnxruntime' backend against the wasm path, in one process: an MLP 784-256-256-10 training
// step (createTrainOp, batch 64; SGD target ≤ 1.0 ms, Adam ≤ 1.5 ms) and the mnist_deep convnet
// step (batch 50; target ≤ 130 ms). Both sessions start from the same weights and take the same
// steps; the rows report the medians and the ratio onnx/wasm.
//
//   npm run bench -- onnx
//   BENCH_ONNX_CONVNET=0 npm run bench -- onnx   # MLP rows only (BENCH_ONNX_MLP=0: convnet only)
//   BENCH_ONNX_SPIN=1 npm run bench -- onnx      # idle pool threads spin (onnxruntime's default)
// Each case runs with the default threads (one per core, as onnxruntime) and with 1 thread; the
// MLP rows also run against the same step hand-written as one ONNX graph (bench/onnx_engine.ts): the engine's own
// cost, so 'onnx/hand' is what the executor adds. Figures depend on load: state the load average.
import { availableParallelism, loadavg } from 'node:os';
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { engineOptions } from '@graphmode/onnx';
import { AdamOptimizer, createTrainOp, GradientDescentOptimizer } from '@graphmode/train';
import { handBuiltStep } from './onnx_engine.js';
import { type Bench, type Row, round } from './util.js';

interface Step {
  graph: g.Graph;
  trainOp: g.Tensor;
  init: g.Operation;
  feeds: [g.Tensor, g.NDArray][];
}

const random = (shape: number[], seed: number) => {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return new g.NDArray(
    'float32',
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next),
  );
};
const labels = (n: number) =>
  new g.NDArray(
    'int32',
    [n],
    Int32Array.from({ length: n }, (_, i) => (i * 7) % 10),
  );

function dense(x: g.Tensor, units: number, name: string, act?: (t: g.Tensor) => g.Tensor): g.Tensor {
  return g.nameScope(name, () => {
    const fanIn = x.shape![1] as number;
    const w = g.variable(g.truncatedNormal([fanIn, units], { stddev: Math.sqrt(2 / fanIn) }), { name: 'w' });
    const b = g.variable(g.constant(0.1, { shape: [units] }), { name: 'b' });
    const y = g.biasAdd(g.matMul(x, w), b);
    return act ? act(y) : y;
  });
}

function mlp(opt: 'sgd' | 'adam'): Step {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    g.setRandomSeed(1);
    const x = g.placeholder('float32', [null, 784], { name: 'images' });
    const y = g.placeholder('int32', [null], { name: 'labels' });
    const logits = dense(dense(dense(x, 256, 'h1', g.relu), 256, 'h2', g.relu), 10, 'logits');
    const loss = g.losses.sparseSoftmaxCrossEntropy(y, logits);
    const optimizer =
      opt === 'sgd' ? new GradientDescentOptimizer(0.1) : new AdamOptimizer({ learningRate: 1e-3 });
    const trainOp = createTrainOp(loss, optimizer);
    return {
      graph,
      trainOp,
      init: g.globalVariablesInitializer(),
      feeds: [
        [x, random([64, 784], 1)],
        [y, labels(64)],
      ],
    };
  });
}

// TF's mnist_deep: conv 5x5x32, pool, conv 5x5x64, pool, fc 1024, fc 10; Adam 1e-4.
function convnet(): Step {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    g.setRandomSeed(1);
    const x = g.placeholder('float32', [null, 784], { name: 'images' });
    const y = g.placeholder('int32', [null], { name: 'labels' });
    const conv = (h: g.Tensor, cin: number, cout: number, name: string) =>
      g.nameScope(name, () => {
        const w = g.variable(g.truncatedNormal([5, 5, cin, cout], { stddev: 0.1 }), { name: 'w' });
        const b = g.variable(g.constant(0.1, { shape: [cout] }), { name: 'b' });
        const r = g.relu(g.biasAdd(g.conv2d(h, w, { padding: 'SAME' }), b));
        return g.maxPool(r, { ksize: 2, strides: 2, padding: 'SAME' });
      });
    const h2 = conv(conv(g.reshape(x, [-1, 28, 28, 1]), 1, 32, 'conv1'), 32, 64, 'conv2');
    const fc = dense(g.reshape(h2, [-1, 7 * 7 * 64]), 1024, 'fc1', g.relu);
    const loss = g.losses.sparseSoftmaxCrossEntropy(y, dense(fc, 10, 'fc2'));
    const trainOp = createTrainOp(loss, new AdamOptimizer({ learningRate: 1e-4 }));
    return {
      graph,
      trainOp,
      init: g.globalVariablesInitializer(),
      feeds: [
        [x, random([50, 784], 2)],
        [y, labels(50)],
      ],
    };
  });
}

async function compare(
  name: string,
  make: () => Step,
  target: number,
  reps: number,
  threads: number,
  handBuilt?: 'sgd' | 'adam',
): Promise<Row> {
  const s = make();
  engineOptions.intraOpNumThreads = threads;
  if (threads === THREADS) delete engineOptions.intraOpNumThreads; // the default
  // BENCH_ONNX_SPIN=1: onnxruntime's own default, idle pool threads spin-waiting for work.
  if (process.env.BENCH_ONNX_SPIN === '1') engineOptions.allowSpinning = true;
  // One after the other: both initialise tfjs-wasm.
  const sessions = [
    await g.Session.create(s.graph, { backend: 'wasm' }),
    await g.Session.create(s.graph, { backend: 'onnxruntime' }),
  ];
  for (const sess of sessions) sess.run(s.init);
  const fns: (() => void)[] = sessions.map((sess) => () => void sess.run(s.trainOp, s.feeds));
  if (handBuilt) {
    const [x, labels] = s.feeds.map(([, nd]) => nd.data);
    const spin = engineOptions.allowSpinning ?? false;
    fns.push(handBuiltStep(handBuilt === 'adam', x as Float32Array, labels as Int32Array, threads, spin));
  }
  const { wall, cpu } = timeWithCpu(fns, reps, Math.min(5, reps));
  const [wasm, onnx, hand] = wall;
  for (const sess of sessions) sess.close();
  return {
    case: `${name}, ${threads} thread${threads > 1 ? 's' : ''}${threads === THREADS ? ' (default)' : ''}`,
    'wasm ms': round(wasm!),
    'onnxruntime ms': round(onnx!),
    'onnx/wasm': round(onnx! / wasm!, 3),
    ...(hand === undefined ? {} : { 'hand-built ms': round(hand), 'onnx/hand': round(onnx! / hand, 3) }),
    'target ms': target,
    // CPU time per step (all threads): steadier than wall time on a shared machine.
    'wasm cpu ms': round(cpu[0]!),
    'onnx cpu ms': round(cpu[1]!),
    ...(hand === undefined ? {} : { 'hand cpu ms': round(cpu[2]!) }),
    load: loadavg()[0]!.toFixed(2),
  };
}

/**
 * Medians of wall time and of CPU time (process-wide, so pool threads count) per call, the
 * contenders taking turns in blocks of up to 10 calls: a training step follows a step of the
 * same model, not another engine's (whose ~10 MB of tensors would have evicted its caches),
 * while turns still spread a change in machine load over all of them.
 */
function timeWithCpu(fns: readonly (() => void)[], reps: number, warmup: number) {
  for (let i = 0; i < warmup; i++) for (const fn of fns) fn();
  const wall = fns.map((): number[] => []);
  const cpu = fns.map((): number[] => []);
  const block = Math.min(10, reps);
  for (let i = 0; i < reps; i += block)
    fns.forEach((fn, k) => {
      fn(); // the block's first call follows another contender: untimed
      for (let j = 0; j < block; j++) {
        const [c0, t0] = [process.cpuUsage(), performance.now()];
        fn();
        wall[k]!.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[k]!.push((c.user + c.system) / 1000);
      }
    });
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: wall.map(median), cpu: cpu.map(median) };
}

/** onnxruntime's (and the backend's) default thread count. */
const THREADS = availableParallelism();

const bench: Bench = {
  name: 'onnx',
  description: "training steps on the 'onnxruntime' backend vs wasm (medians, one process)",
  async run() {
    const rows: Row[] = [];
    for (const threads of new Set([THREADS, 1])) {
      if (process.env.BENCH_ONNX_MLP !== '0') {
        rows.push(
          await compare('MLP 784-256-256-10 SGD, batch 64', () => mlp('sgd'), 1.0, 200, threads, 'sgd'),
        );
        rows.push(
          await compare('MLP 784-256-256-10 Adam, batch 64', () => mlp('adam'), 1.5, 200, threads, 'adam'),
        );
      }
      if (process.env.BENCH_ONNX_CONVNET !== '0')
        rows.push(await compare('mnist_deep convnet Adam, batch 50', convnet, 130, 5, threads));
    }
    delete engineOptions.intraOpNumThreads;
    delete engineOptions.allowSpinning; // later benches in this process get the default back
    return rows;
  },
};
export default bench;
