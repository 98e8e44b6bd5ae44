// The fast check (`npm run mlp`; the main job, `npm start`, is the convnet of mnist_convnet.ts):
// a TF1-style MLP (784-256-256-10) that learns handwritten digits.
//
//   npm run mlp                       # cpu backend, 300 Adam steps of 64 digits
//   npm run mlp -- --backend wasm     # the same on the wasm backend
//   npm run mlp -- --backend onnxruntime   # each step compiled to one ONNX model (@graphmode/onnx)
//   npm run mlp -- --steps 300
//
// The whole model — forward pass, gradients, gradient clipping, Adam updates and the global
// step — is built once as a graph; each training step is one `sess.run(trainOp, feeds)`.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import '@graphmode/autodiff';
import {
  argMax,
  biasAdd,
  cast,
  equal,
  Graph,
  globalVariablesInitializer,
  losses,
  matMul,
  nameScope,
  placeholder,
  randomUniform,
  reduceMean,
  relu,
  Session,
  setRandomSeed,
  type Tensor,
  variable,
  zeros,
} from '@graphmode/graph';
import { AdamOptimizer, clipGradientNormsFn, createTrainOp } from '@graphmode/train';
import { batches, chunkedAccuracy, IMAGE_SIZE, loadMnist, NUM_CLASSES, type Split } from './mnist_data.js';

export interface Classifier {
  graph: Graph;
  images: Tensor;
  labels: Tensor;
  /** Fetch to take one training step; evaluates to the batch's loss before the update. */
  trainOp: Tensor;
  accuracy: Tensor;
  init: ReturnType<typeof globalVariablesInitializer>;
}

/** A fully connected layer: act(x · W + b), with Glorot-uniform weights as in tf.layers.dense. */
function dense(x: Tensor, units: number, name: string, activation?: (t: Tensor) => Tensor): Tensor {
  return nameScope(name, () => {
    const fanIn = x.shape![1] as number;
    const limit = Math.sqrt(6 / (fanIn + units));
    const w = variable(randomUniform([fanIn, units], { minval: -limit, maxval: limit }), { name: 'kernel' });
    const b = variable(zeros([units]), { name: 'bias' });
    const y = biasAdd(matMul(x, w), b);
    return activation ? activation(y) : y;
  });
}

export interface ClassifierOptions {
  /** Width of each hidden layer; default [256, 256]. */
  hiddenUnits?: readonly number[];
  learningRate?: number;
  /** Each gradient is clipped to this L2 norm before Adam sees it; default 5. */
  clipNorm?: number;
  /** The graph seed, which makes the initial weights reproducible. */
  seed?: number;
}

/** Builds the classifier and its training step in a fresh graph. */
export function buildClassifier(opts: ClassifierOptions = {}): Classifier {
  const graph = new Graph();
  return graph.asDefault(() => {
    setRandomSeed(opts.seed ?? 7);
    const images = placeholder('float32', [null, IMAGE_SIZE], { name: 'images' });
    const labels = placeholder('int32', [null], { name: 'labels' });

    let hidden = images;
    for (const [i, units] of (opts.hiddenUnits ?? [256, 256]).entries()) {
      hidden = dense(hidden, units, `hidden${i + 1}`, relu);
    }
    const logits = dense(hidden, NUM_CLASSES, 'logits');

    const loss = losses.sparseSoftmaxCrossEntropy(labels, logits);
    const trainOp = createTrainOp(loss, new AdamOptimizer({ learningRate: opts.learningRate ?? 1e-3 }), {
      transformGradsFn: clipGradientNormsFn(opts.clipNorm ?? 5),
    });
    const accuracy = reduceMean(cast(equal(argMax(logits, 1), labels), 'float32'), undefined, {
      name: 'accuracy',
    });
    return { graph, images, labels, trainOp, accuracy, init: globalVariablesInitializer() };
  });
}

/** Accuracy on every row of `split`, in chunks so no single matMul gets too large. */
export function evaluate(sess: Session, model: Classifier, split: Split, chunk = 1000): number {
  return chunkedAccuracy(sess, model, split, chunk);
}

export interface TrainOptions {
  steps: number;
  batchSize?: number;
  /** Called after each step with the step number (1-based) and the batch loss. */
  onStep?: (step: number, loss: number) => void;
}

/** Runs `steps` training steps on minibatches of `train`; returns the loss of each step. */
export function trainClassifier(
  sess: Session,
  model: Classifier,
  train: Split,
  opts: TrainOptions,
): number[] {
  const stream = batches(train, opts.batchSize ?? 64);
  const history: number[] = [];
  for (let i = 0; i < opts.steps; i++) {
    const batch = stream.next().value!;
    const loss = sess.run(model.trainOp, [
      [model.images, batch.images],
      [model.labels, batch.labels],
    ]);
    history.push(Number(loss.item()));
    opts.onStep?.(i + 1, history[i]!);
  }
  return history;
}

/** One status line: rewritten in place on a terminal, printed every `every` steps otherwise. */
function progress(total: number, every: number): (step: number, loss: number) => void {
  const start = performance.now();
  let smoothed = Number.NaN;
  return (step, loss) => {
    smoothed = Number.isNaN(smoothed) ? loss : 0.9 * smoothed + 0.1 * loss;
    const tty = process.stdout.isTTY;
    if (!(tty || step % every === 0 || step === total)) return;
    const rate = step / ((performance.now() - start) / 1000);
    const width = 24;
    const done = Math.round((width * step) / total);
    const line = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] step ${String(step).padStart(5)}/${total}  loss ${smoothed.toFixed(4)}  ${rate.toFixed(1)} steps/s`;
    if (tty) process.stdout.write(`\r${line}${step === total ? '\n' : ''}`);
    else console.log(line);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'cpu' },
      steps: { type: 'string', default: '300' },
      'batch-size': { type: 'string', default: '64' },
      'learning-rate': { type: 'string', default: '0.001' },
    },
  });
  const backend = values.backend;
  if (backend !== 'cpu' && backend !== 'wasm' && backend !== 'onnxruntime')
    throw new Error(`--backend must be cpu, wasm or onnxruntime, got ${backend}`);
  // Only this backend loads a native engine, so only it imports the package that registers it.
  if (backend === 'onnxruntime') await import('@graphmode/onnx');
  const steps = Number(values.steps);
  const batchSize = Number(values['batch-size']);
  const learningRate = Number(values['learning-rate']);
  if (!(Number.isInteger(steps) && steps > 0))
    throw new Error(`--steps must be a positive integer, got ${values.steps}`);

  const t0 = performance.now();
  const { train, test } = loadMnist({ testSize: 2000 });
  console.log(`mnist: ${train.size} training digits, ${test.size} held out (${seconds(t0)} s to load)`);

  const model = buildClassifier({ learningRate });
  console.log(`graph: ${model.graph.getOperations().length} ops; backend ${backend}`);
  const sess = await Session.create(model.graph, { backend });
  sess.run(model.init);

  const t1 = performance.now();
  trainClassifier(sess, model, train, { steps, batchSize, onStep: progress(steps, 50) });
  const trainSeconds = (performance.now() - t1) / 1000;
  const accuracy = evaluate(sess, model, test);
  sess.close();

  console.log(
    `trained ${steps} steps in ${trainSeconds.toFixed(1)} s (${(steps / trainSeconds).toFixed(1)} steps/s)`,
  );
  console.log(`test accuracy: ${(100 * accuracy).toFixed(2)}% on ${test.size} held-out digits`);
  console.log(`total wall time: ${seconds(t0)} s`);
}

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
