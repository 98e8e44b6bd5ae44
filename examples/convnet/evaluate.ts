// Held-out evaluation of the main job's convnet: plain (the checkpoint's weights and batch norm's
// moving statistics) and with the weights' exponential moving averages. Batch norm's moving
// statistics were collected from the raw weights' activations, so after swapping in the averaged
// weights they are re-estimated ("recalibrated") by running the moving-average updates alone on
// training batches — evaluating averaged weights with raw-weight statistics loses accuracy.
import { GraphKeys, type Operation, type Session } from '@graphmode/graph';
import type { Batch, Split } from '../mnist_data.js';
import { chunkedAccuracy } from '../mnist_data.js';
import type { Convnet } from './model.js';

/** Accuracy over `split` in inference mode (moving statistics, no dropout), in chunks. */
export function evaluate(sess: Session, model: Convnet, split: Split, chunk = 500): number {
  return chunkedAccuracy(sess, model, split, chunk, [[model.training, false]]);
}

/**
 * Runs batch norm's moving-average updates (GraphKeys.UPDATE_OPS, training = true) on `count`
 * batches of `stream` without training: with momentum m the statistics left from before weigh
 * m^count afterwards (0.9^50 ≈ 0.5%).
 */
export function recalibrateBatchNorm(
  sess: Session,
  model: Convnet,
  stream: Iterator<Batch>,
  count: number,
): void {
  const updates = model.graph.getCollection(GraphKeys.UPDATE_OPS) as Operation[];
  for (let i = 0; i < count; i++) {
    const batch = stream.next().value as Batch;
    sess.run(updates, [
      [model.images, batch.images],
      [model.labels, batch.labels],
      [model.training, true],
    ]);
  }
}
