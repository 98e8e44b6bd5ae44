// Data augmentation for the main job: each training digit is shifted by up to `maxShift` pixels
// in x and y (a seeded draw per image; pixels shifted in are 0, the background). With only 8,000
// training digits this is what lifts held-out accuracy from ~97% to 98%+.
import { NDArray } from '@graphmode/graph';
import { type Batch, seededRandom } from '../mnist_data.js';

const SIDE = 28;

/** `images` [n, 784] with each image moved by (dx, dy) ∈ [-maxShift, maxShift]². */
export function shiftImages(images: Float32Array, random: () => number, maxShift: number): Float32Array {
  const out = new Float32Array(images.length);
  const span = 2 * maxShift + 1;
  for (let at = 0; at < images.length; at += SIDE * SIDE) {
    const dx = Math.floor(random() * span) - maxShift;
    const dy = Math.floor(random() * span) - maxShift;
    for (let y = Math.max(0, dy); y < Math.min(SIDE, SIDE + dy); y++) {
      const src = at + (y - dy) * SIDE;
      const dst = at + y * SIDE;
      for (let x = Math.max(0, dx); x < Math.min(SIDE, SIDE + dx); x++) out[dst + x] = images[src + x - dx]!;
    }
  }
  return out;
}

/**
 * The batches of `stream` with their images shifted at random (labels unchanged). Batch i's
 * shifts are drawn from its own seed, so a run resumed at batch `first` shifts as a fresh one.
 */
export function* shifted(
  stream: Iterator<Batch>,
  maxShift: number,
  seed: number,
  first = 0,
): Generator<Batch> {
  for (let i = first; ; i++) {
    const { value } = stream.next();
    const images = shiftImages(value.images.data as Float32Array, seededRandom(seed + 7919 * i), maxShift);
    yield { images: new NDArray('float32', value.images.shape, images), labels: value.labels };
  }
}
