// The main job's model: a LeNet-style convnet with batch norm and dropout, built as TF 1.x
// scripts build it — `tf.layers`, an exponentially decayed Adam step and `create_train_op`, which
// runs batch norm's moving-average updates (GraphKeys.UPDATE_OPS) before each step.
import '@graphmode/autodiff';
import {
  argMax,
  cast,
  controlDependencies,
  equal,
  Graph,
  layers,
  losses,
  oneHot,
  placeholder,
  reduceMean,
  relu,
  reshape,
  setRandomSeed,
  type Tensor,
  trainableVariables,
  withDependencies,
} from '@graphmode/graph';
import {
  AdamOptimizer,
  createTrainOp,
  ExponentialMovingAverage,
  exponentialDecay,
  getOrCreateGlobalStep,
  summary,
} from '@graphmode/train';
import { NUM_CLASSES } from '../mnist_data.js';
import { warmupCosineDecay } from './schedule.js';

export interface ConvnetOptions {
  /** Filters of the two 5×5 conv layers; default [16, 32]. */
  filters?: readonly [number, number];
  /** Units of the hidden dense layer; default 128. */
  hiddenUnits?: number;
  /**
   * Batch norm's moving-average momentum; default 0.9, not TF's 0.99: after a few hundred steps
   * 0.99 still carries 5–15% of the initial statistics (mean 0, variance 1) into inference.
   */
  batchNormMomentum?: number;
  /** Padding of the second conv layer: 'valid' (LeNet's 14×14 → 10×10, default) or 'same'. */
  conv2Padding?: 'valid' | 'same';
  /** Dropout rate after the hidden layer while training; default 0.1 (the shifted digits and batch norm regularize already). */
  dropoutRate?: number;
  /** Adam's initial (peak) learning rate; default 3e-3. */
  learningRate?: number;
  /**
   * 'cosine' (default): a linear warmup over `warmupSteps` (default 20, at most a tenth of the run), then a cosine decay to 0
   * at `totalSteps` (see schedule.ts); 'exponential': times `decayRate` every `decaySteps` steps.
   */
  schedule?: 'exponential' | 'cosine';
  decaySteps?: number;
  decayRate?: number;
  warmupSteps?: number;
  /** The step the cosine schedule reaches 0 at (the run's length); default 850. */
  totalSteps?: number;
  /**
   * Batch norm after max pooling (conv → pool → BN → relu, default) rather than before
   * (conv → BN → relu → pool): it normalizes a quarter of the values, ~25% less CPU per step.
   */
  normalizeAfterPool?: boolean;
  /**
   * TF's label smoothing of the one-hot targets (`losses.softmaxCrossEntropy`): default 0.1, which
   * lifted every seed of the sweep (docs/main-job.md); 0 uses the sparse loss on the labels.
   */
  labelSmoothing?: number;
  /**
   * Keep an ExponentialMovingAverage of the trainable weights with this decay (numUpdates = the
   * global step), updated after each step; evaluation can restore it (variablesToRestore).
   */
  emaDecay?: number;
  /** The graph seed, which makes initial weights and dropout masks reproducible; default 1. */
  seed?: number;
}

export interface Convnet {
  graph: Graph;
  /** [batch, 784] pixels in [0, 1]. */
  images: Tensor;
  /** [batch] int32 digits. */
  labels: Tensor;
  /** Bool scalar: batch statistics and dropout when true, moving statistics and no dropout when false. */
  training: Tensor;
  /** Fetch (with training = true) to take one step; evaluates to the batch's loss. */
  trainOp: Tensor;
  loss: Tensor;
  /** Fraction of the batch classified correctly. */
  accuracy: Tensor;
  learningRate: Tensor;
  /** The weights' moving averages when `emaDecay` is set. */
  ema: ExponentialMovingAverage | null;
}

/** Builds the convnet, its summaries and its train op in a fresh graph. */
export function buildConvnet(opts: ConvnetOptions = {}): Convnet {
  const graph = new Graph();
  return graph.asDefault(() => {
    setRandomSeed(opts.seed ?? 1);
    const images = placeholder('float32', [null, 28 * 28], { name: 'images' });
    const labels = placeholder('int32', [null], { name: 'labels' });
    const training = placeholder('bool', [], { name: 'training' });
    const [f1, f2] = opts.filters ?? [16, 32];

    // conv → batch norm → relu → pool, twice; the conv's bias is redundant before batch norm's beta.
    // Max pooling commutes with relu, and with batch norm's per-channel affine map as long as
    // gamma > 0, so pooling first normalizes a quarter of the values for nearly the same model.
    const bn = (x: Tensor) =>
      layers.batchNormalization(x, { training, momentum: opts.batchNormMomentum ?? 0.9 });
    const block = (x: Tensor, filters: number, padding: 'valid' | 'same'): Tensor => {
      const conv = layers.conv2d(x, filters, 5, { padding, useBias: false });
      if (opts.normalizeAfterPool ?? true) return relu(bn(layers.maxPooling2d(conv, 2, 2)));
      return layers.maxPooling2d(relu(bn(conv)), 2, 2);
    };
    let h = block(block(reshape(images, [-1, 28, 28, 1]), f1, 'same'), f2, opts.conv2Padding ?? 'valid');
    h = layers.dense(layers.flatten(h), opts.hiddenUnits ?? 128, { activation: relu });
    h = layers.dropout(h, { rate: opts.dropoutRate ?? 0.1, training });
    const logits = layers.dense(h, NUM_CLASSES);

    const smoothing = opts.labelSmoothing ?? 0.1;
    const loss = smoothing
      ? losses.softmaxCrossEntropy(oneHot(labels, NUM_CLASSES), logits, {
          labelSmoothing: smoothing,
        })
      : losses.sparseSoftmaxCrossEntropy(labels, logits);
    const accuracy = reduceMean(cast(equal(argMax(logits, 1), labels), 'float32'), undefined, {
      name: 'accuracy',
    });
    const globalStep = getOrCreateGlobalStep();
    const learningRate =
      (opts.schedule ?? 'cosine') === 'cosine'
        ? warmupCosineDecay(
            opts.learningRate ?? 3e-3,
            globalStep.value(),
            opts.warmupSteps ?? Math.min(20, Math.floor((opts.totalSteps ?? 850) / 10)),
            opts.totalSteps ?? 850,
          )
        : exponentialDecay(
            opts.learningRate ?? 3e-3,
            globalStep,
            opts.decaySteps ?? 100,
            opts.decayRate ?? 0.75,
          );
    let trainOp = createTrainOp(loss, new AdamOptimizer({ learningRate }));
    let ema: ExponentialMovingAverage | null = null;
    if (opts.emaDecay) {
      // TF's pattern: `with control_dependencies([train_op]): ema.apply(...)` averages the
      // weights after the step; the train op still evaluates to the loss.
      const averages = new ExponentialMovingAverage(opts.emaDecay, { numUpdates: globalStep });
      const step = trainOp;
      const maintain = controlDependencies([step], () => averages.apply(trainableVariables()));
      trainOp = withDependencies([maintain], step);
      ema = averages;
    }

    // A summary's tag is its op name, made unique: 'accuracy' and 'dense/kernel' are taken.
    summary.scalar('loss', loss);
    summary.scalar('batch_accuracy', accuracy);
    summary.scalar('learning_rate', learningRate);
    for (const v of trainableVariables()) summary.histogram(`weights/${v.op.name}`, v.value());
    return { graph, images, labels, training, trainOp, loss, accuracy, learningRate, ema };
  });
}
