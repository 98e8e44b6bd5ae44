// The variables of TF 1.15's moving_averages_test name tests: v0 = 10, v1 = 30, v2 = 20 (not
// trainable) and the tensor v0 + v1 named 'add', in the default graph and current scope.
import { add, type Tensor, type Variable, variable } from '@graphmode/graph';

export function emaVariables(): { v0: Variable; v1: Variable; v2: Variable; tensor2: Tensor } {
  const v0 = variable(10, { name: 'v0' });
  const v1 = variable(30, { name: 'v1' });
  const v2 = variable(20, { name: 'v2', trainable: false });
  return { v0, v1, v2, tensor2: add(v0, v1, { name: 'add' }) };
}
