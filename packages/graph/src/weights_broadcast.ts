// The static half of TF's weights_broadcast_ops, shared by losses and metrics.
import { formatShape, type Shape } from './dtype.js';
import { ValueError } from './errors.js';

/**
 * TF's assert_broadcastable, checked on static shapes: weights are a scalar, or of the values'
 * rank with each dim 1 or the values'. Unknown ranks and dims pass.
 */
export function assertBroadcastable(weights: Shape | null, values: Shape | null): void {
  if (weights === null || values === null || weights.length === 0) return;
  const prefix = 'weights can not be broadcast to values.';
  const shapes = `values.shape=${formatShape(values)}. weights.shape=${formatShape(weights)}.`;
  if (weights.length !== values.length) {
    throw new ValueError(`${prefix} values.rank=${values.length}. weights.rank=${weights.length}. ${shapes}`);
  }
  weights.forEach((d, i) => {
    if (d !== null && d !== 1 && values[i] !== null && d !== values[i])
      throw new ValueError(`${prefix} Mismatch at dim ${i}. ${shapes}`);
  });
}
