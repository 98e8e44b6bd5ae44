// Convnet training step on wasm: TF's `mnist_deep` (5×5×32 conv+relu, 2×2 max-pool, 5×5×64
// conv+relu, pool, fc 1024 relu, fc 10; batch 50; Adam) through `sess.run(trainOp)`, against
// the same model in eager tfjs and against a FLOP floor measured in this process: the step's
// FLOPs at the GFLOP/s tfjs-wasm reaches on a [1024,800]×[800,64] matMul.
// Targets: step ≤ 2× floor, MaxPoolGrad ≤ 5 ms, every conv gradient kernel ≥ 15 GFLOP/s.
//
//   npm run bench -- convnet
//   npx tsx bench/convnet.ts            # standalone; prints the per-op table too
//
// BENCH_CONVNET_STEPS=<n> times n steps (default 10); BENCH_CONVNET_BACKEND=cpu runs on cpu;
// BENCH_CONVNET_EAGER=none skips eager tfjs (on cpu its filter gradient takes ~30 s per step).
import { pathToFileURL } from 'node:url';
import '@graphmode/autodiff';
import {
  biasAdd,
  conv2d,
  Graph,
  globalVariablesInitializer,
  losses,
  matMul,
  maxPool,
  NDArray,
  type Operation,
  type PoolAttrs,
  placeholder,
  RunMetadata,
  relu,
  reshape,
  Session,
  type Tensor,
  variable,
} from '@graphmode/graph';
import { AdamOptimizer, createTrainOp } from '@graphmode/train';
import '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs-core';
import { type Batch, loadMnist, seededRandom, takeRows } from '../examples/mnist_data.js';
import { maxPoolGradByArgmax } from '../packages/graph/src/ops/pool_argmax.js';
import { type Bench, type Row, round, timeMedian } from './util.js';

const BATCH = 50;
const LR = 1e-4;
const STEPS = Number(process.env.BENCH_CONVNET_STEPS ?? 10);
const BACKEND = (process.env.BENCH_CONVNET_BACKEND ?? 'wasm') as 'cpu' | 'wasm';
const EAGER = process.env.BENCH_CONVNET_EAGER !== 'none';

/** Parameter shapes in creation order: conv1 w/b, conv2 w/b, fc1 w/b, fc2 w/b. */
const SHAPES: number[][] = [
  [5, 5, 1, 32],
  [32],
  [5, 5, 32, 64],
  [64],
  [7 * 7 * 64, 1024],
  [1024],
  [1024, 10],
  [10],
];

// TF's mnist_deep: truncated-normal(0.1) weights, 0.1 biases; a seeded uniform of the same spread here.
function initialWeights(): Float32Array[] {
  const random = seededRandom(7);
  return SHAPES.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    return i % 2 === 0
      ? Float32Array.from({ length: n }, () => (2 * random() - 1) * 0.1)
      : new Float32Array(n).fill(0.1);
  });
}

/** Multiply-adds ×2 of one training step (forward, input and filter gradients; no gradient for the images). */
function stepFlops(): number {
  const conv = (hw: number, k: number, ci: number, co: number) => 2 * BATCH * hw * hw * k * k * ci * co;
  const fc = (i: number, o: number) => 2 * BATCH * i * o;
  const [c1, c2, f1, f2] = [conv(28, 5, 1, 32), conv(14, 5, 32, 64), fc(3136, 1024), fc(1024, 10)];
  return c1 + c2 + f1 + f2 + /* dW */ (c1 + c2 + f1 + f2) + /* dX */ (c2 + f1 + f2);
}

/** Median wall ms of `fn`, and its mean process CPU ms (which competing processes do not inflate). */
function timeBoth(fn: () => void, reps: number): Times {
  fn();
  const cpu0 = process.cpuUsage();
  const wall = timeMedian(fn, reps, 1);
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 / (reps + 1) };
}
interface Times {
  wall: number;
  cpu: number;
}

/** GFLOP/s (by wall and by CPU time) of tfjs's matMul [1024,800]×[800,64] on the current backend. */
function matMulGflops(): Times {
  const a = tfc.randomUniform([1024, 800]);
  const b = tfc.randomUniform([800, 64]);
  const t = timeBoth(() => {
    const y = tfc.matMul(a, b);
    y.dataSync();
    y.dispose();
  }, 30);
  a.dispose();
  b.dispose();
  const flops = 2 * 1024 * 800 * 64;
  return { wall: flops / t.wall / 1e6, cpu: flops / t.cpu / 1e6 };
}

/**
 * CPU ms of the kernel of both mnist_deep MaxPoolGrads (2×2 stride 2 SAME), called directly on
 * the current backend: the per-op figure from RunMetadata is wall time, which waiting for a core
 * inflates on a busy machine.
 */
function maxPoolGradCpu(): number {
  const a = { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'SAME' } as PoolAttrs;
  const pools = [
    [BATCH, 28, 28, 32],
    [BATCH, 14, 14, 64],
  ].map(([b, h, w, c]) => ({
    x: tfc.randomUniform([b!, h!, w!, c!]) as tfc.Tensor4D,
    dy: tfc.randomUniform([b!, h! / 2, w! / 2, c!]),
  }));
  const t = timeBoth(() => {
    for (const { x, dy } of pools) maxPoolGradByArgmax(x, dy, a).dispose();
  }, 20);
  for (const { x, dy } of pools) tfc.dispose([x, dy]);
  return t.cpu;
}

interface Trainer {
  step(b: Batch): number;
  dispose(): void;
}

function graphModel(init: Float32Array[]) {
  const graph = new Graph();
  const parts = graph.asDefault(() => {
    const images = placeholder('float32', [null, 784], { name: 'images' });
    const labels = placeholder('int32', [null], { name: 'labels' });
    const p = SHAPES.map((s, i) => variable(new NDArray('float32', s, init[i]!), { name: `p${i}` }));
    const convBlock = (x: Tensor, w: Tensor, b: Tensor) =>
      maxPool(relu(biasAdd(conv2d(x, w, { padding: 'SAME' }), b)), { ksize: 2, strides: 2, padding: 'SAME' });
    let h = reshape(images, [-1, 28, 28, 1]);
    h = convBlock(h, p[0]!.value(), p[1]!.value());
    h = convBlock(h, p[2]!.value(), p[3]!.value());
    h = relu(biasAdd(matMul(reshape(h, [-1, 3136]), p[4]!), p[5]!));
    const logits = biasAdd(matMul(h, p[6]!), p[7]!);
    const loss = losses.sparseSoftmaxCrossEntropy(labels, logits);
    return { images, labels, loss, trainOp: createTrainOp(loss, new AdamOptimizer({ learningRate: LR })) };
  });
  return { graph, ...parts };
}

async function graphTrainer(init: Float32Array[]) {
  const m = graphModel(init);
  const sess = await Session.create(m.graph, { backend: BACKEND });
  sess.run(m.graph.asDefault(() => globalVariablesInitializer()));
  const feeds = (b: Batch): [Tensor, NDArray][] => [
    [m.images, b.images],
    [m.labels, b.labels],
  ];
  const trainer: Trainer = {
    step: (b) => Number(sess.run(m.trainOp, feeds(b)).item()),
    dispose: () => sess.close(),
  };
  return { trainer, sess, feeds, trainOp: m.trainOp };
}

// tfjs-wasm has no Conv2DBackpropFilter kernel, so eager tfjs cannot train a convnet there at all.
// For the ratio, the bench gives it one made of its own public ops (stride 1, SAME, as here):
// dW[r, c, i, o] = sum over b, y, x of xPad[b, y + r, x + c, i] * dy[b, y, x, o].
function shimFilterGrad(): void {
  if (tfc.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return;
  tfc.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tfc.Tensor4D; dy: tfc.Tensor4D };
      const [kh, kw] = attrs!.filterShape as number[];
      return tfc.tidy(() => {
        const pad = (k: number): [number, number] => [
          Math.floor((k! - 1) / 2),
          k! - 1 - Math.floor((k! - 1) / 2),
        ];
        const xp = tfc.pad(x, [[0, 0], pad(kh!), pad(kw!), [0, 0]]);
        const g = tfc.conv2d(
          tfc.transpose(xp, [3, 1, 2, 0]) as tfc.Tensor4D,
          tfc.transpose(dy, [1, 2, 0, 3]) as tfc.Tensor4D,
          1,
          'valid',
        );
        return tfc.transpose(g, [1, 2, 0, 3]);
      }) as unknown as tfc.TensorInfo;
    },
  });
}

function eagerTrainer(init: Float32Array[]): Trainer {
  shimFilterGrad();
  const p = init.map((v, i) => tfc.variable(tfc.tensor(v, SHAPES[i]!)));
  const optimizer = tfc.train.adam(LR);
  const block = (x: tfc.Tensor4D, w: tfc.Variable, b: tfc.Variable) =>
    tfc.maxPool(
      tfc.relu(tfc.add(tfc.conv2d(x, w as tfc.Tensor4D, 1, 'same'), b)) as tfc.Tensor4D,
      2,
      2,
      'same',
    );
  const forward = (x: tfc.Tensor) => {
    let h = block(tfc.reshape(x, [-1, 28, 28, 1]), p[0]!, p[1]!);
    h = block(h, p[2]!, p[3]!);
    const f = tfc.relu(tfc.add(tfc.matMul(tfc.reshape(h, [-1, 3136]), p[4]!), p[5]!));
    return tfc.add(tfc.matMul(f, p[6]!), p[7]!);
  };
  return {
    step(b) {
      const loss = tfc.tidy(() => {
        const x = tfc.tensor(b.images.data as Float32Array, [BATCH, 784]);
        const y = tfc.oneHot(tfc.tensor1d(b.labels.data as Int32Array, 'int32'), 10);
        return optimizer.minimize(() => tfc.losses.softmaxCrossEntropy(y, forward(x)) as tfc.Scalar, true)!;
      });
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    },
    dispose() {
      optimizer.dispose();
      for (const v of p) v.dispose();
    },
  };
}

const timeSteps = (t: Trainer, batches: Batch[], steps: number): Times => {
  let i = 0;
  t.step(batches[i++]!);
  return timeBoth(() => t.step(batches[i++ % batches.length]!), steps);
};

/** FLOPs of a matMul or conv (or conv gradient) op, from its operands' shapes; batch from `BATCH`. */
function convFlops(op: Operation): number {
  const dims = (t: Tensor) => (t.shape ?? []).map((d) => d ?? BATCH);
  const byType: Record<string, () => [number[], number[]]> = {
    Conv2D: () => [dims(op.outputs[0]!), dims(op.inputs[1]!)],
    Conv2DBackpropInput: () => [dims(op.inputs[2]!), dims(op.inputs[1]!)],
    Conv2DBackpropFilter: () => [dims(op.inputs[2]!), dims(op.outputs[0]!)],
  };
  if (op.type === 'MatMul') {
    const [[m, n], a] = [dims(op.outputs[0]!), dims(op.inputs[0]!)];
    return 2 * m! * n! * a[(op.attrs as { transposeA: boolean }).transposeA ? 0 : 1]!;
  }
  const f = byType[op.type];
  if (!f) return 0;
  const [[b, oh, ow, co], [kh, kw, ci]] = f() as [number[], number[]];
  return 2 * b! * oh! * ow! * co! * kh! * kw! * ci!;
}

/**
 * Traced steps: time per op type (each node's fastest of `TRACES` runs), GFLOP/s of matMul/conv
 * ops; then each conv gradient node.
 */
const TRACES = 3;
function perOp(sess: Session, trainOp: Tensor, feeds: [Tensor, NDArray][]): Row[] {
  const best = new Map<string, { type: string; ms: number }>();
  for (let i = 0; i < TRACES; i++) {
    const meta = new RunMetadata();
    sess.run(trainOp, feeds, { runMetadata: meta });
    for (const s of meta.stepStats) {
      const ms = Math.min(s.durationMicros / 1000, best.get(s.nodeName)?.ms ?? Number.POSITIVE_INFINITY);
      best.set(s.nodeName, { type: s.opType, ms });
    }
  }
  const ops = new Map(sess.graph.getOperations().map((o) => [o.name, o]));
  const rows = new Map<string, { ms: number; n: number; flops: number }>();
  for (const [name, { type, ms }] of best) {
    const op = ops.get(name.split('+')[0]!);
    const r = rows.get(type) ?? { ms: 0, n: 0, flops: 0 };
    rows.set(type, { ms: r.ms + ms, n: r.n + 1, flops: r.flops + (op ? convFlops(op) : 0) });
  }
  const row = (type: string, r: { ms: number; n: number; flops: number }): Row => ({
    'op type': type,
    ops: r.n,
    ms: round(r.ms, 2),
    'GFLOP/s': r.flops ? round(r.flops / r.ms / 1e6, 1) : '',
  });
  // The target is per kernel: each conv gradient node on its own row too, named by its filter.
  const convGrads = [...best]
    .filter(([, { type }]) => type.startsWith('Conv2DBackprop'))
    .map(([name, { type, ms }]) => {
      const op = ops.get(name.split('+')[0]!)!;
      const f = (type === 'Conv2DBackpropFilter' ? op.outputs[0]! : op.inputs[1]!).shape ?? [];
      return row(`  ${type} ${f.join('×')}`, { ms, n: 1, flops: convFlops(op) });
    });
  return [
    ...[...rows.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 14)
      .map(([type, r]) => row(type, r)),
    ...convGrads,
  ];
}

let lastPerOp: Row[] = [];

const bench: Bench = {
  name: 'convnet',
  description: `mnist_deep batch ${BATCH}, Adam, ${BACKEND}: step vs FLOP floor (≤ 2×) and eager tfjs; per-op times`,
  async run() {
    const { train } = loadMnist({ testSize: 1000 });
    const random = seededRandom(5);
    const batches = Array.from({ length: 4 }, () =>
      takeRows(
        train,
        Array.from({ length: BATCH }, () => Math.floor(random() * train.size)),
      ),
    );
    const init = initialWeights();
    const g = await graphTrainer(init);
    const previous = tfc.getBackend();
    await tfc.setBackend(BACKEND);
    const gflops = matMulGflops();
    const poolGradCpu = maxPoolGradCpu();
    const eager = EAGER ? eagerTrainer(init) : null;
    const first = g.trainer.step(batches[0]!);
    const drift = eager ? Math.abs(first - eager.step(batches[0]!)) : Number.NaN;
    const graphMs = timeSteps(g.trainer, batches, STEPS);
    const eagerMs = eager
      ? timeSteps(eager, batches, Math.max(3, Math.ceil(STEPS / 2)))
      : { wall: Number.NaN, cpu: Number.NaN };
    const before = tfc.memory().numTensors;
    for (let i = 0; i < 3; i++) g.trainer.step(batches[i]!);
    const leak = tfc.memory().numTensors - before;
    lastPerOp = perOp(g.sess, g.trainOp, g.feeds(batches[1]!));
    g.trainer.dispose();
    eager?.dispose();
    await tfc.setBackend(previous);
    const floor = { wall: stepFlops() / gflops.wall / 1e6, cpu: stepFlops() / gflops.cpu / 1e6 };
    const maxPoolGrad = lastPerOp.find((r) => r['op type'] === 'MaxPoolGrad')?.ms ?? 0;
    const convGrads = lastPerOp.filter((r) => String(r['op type']).startsWith('  Conv2DBackprop'));
    // Per-op times are wall times (the fastest of a few traced steps): on a busy machine they
    // still include waiting for a core.
    return [
      {
        backend: BACKEND,
        'GFLOP/step': round(stepFlops() / 1e9, 2),
        'matMul GFLOP/s wall/cpu': `${round(gflops.wall, 1)}/${round(gflops.cpu, 1)}`,
        'floor ms wall/cpu': `${round(floor.wall, 1)}/${round(floor.cpu, 1)}`,
        'graph ms/step wall/cpu': `${round(graphMs.wall, 1)}/${round(graphMs.cpu, 1)}`,
        'graph/floor wall/cpu': `${round(graphMs.wall / floor.wall, 2)}/${round(graphMs.cpu / floor.cpu, 2)}`,
        'eager ms/step wall/cpu': `${round(eagerMs.wall, 1)}/${round(eagerMs.cpu, 1)}`,
        'graph/eager cpu': round(graphMs.cpu / eagerMs.cpu, 3),
        'MaxPoolGrad ms wall/cpu': `${maxPoolGrad}/${round(poolGradCpu, 2)}`,
        'min conv-grad GFLOP/s': Math.min(...convGrads.map((r) => Number(r['GFLOP/s']))),
        met:
          Math.min(graphMs.wall / floor.wall, graphMs.cpu / floor.cpu) <= 2 &&
          Math.min(Number(maxPoolGrad), poolGradCpu) <= 5 &&
          convGrads.every((r) => Number(r['GFLOP/s']) >= 15)
            ? 'yes'
            : 'NO',
        'tensor growth': leak,
        '|Δloss| step 1': Number(drift.toExponential(2)),
      },
      ...lastPerOp,
    ];
  },
};
export default bench;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`## ${bench.name}: ${bench.description}`);
  console.table(await bench.run());
}
