// Random sources have no gradient (TF's NotDifferentiable in random_ops.py): the samples do not
// depend on the shape input, and a tensor mean or stddev gets its gradient through the Mul and
// AddV2 the builders emit around the draw.
import {
  RandomShuffle,
  RandomStandardNormal,
  RandomUniform,
  RandomUniformInt,
  TruncatedNormal,
} from '@graphmode/graph';
import { notDifferentiable } from '../registry.js';

export function registerRandomGradients(): void {
  notDifferentiable(RandomStandardNormal, RandomUniform, TruncatedNormal, RandomUniformInt, RandomShuffle);
}
