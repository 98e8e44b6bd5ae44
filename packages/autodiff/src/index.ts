// @graphmode/autodiff: reverse-mode gradients as graph ops. Importing it registers every rule.

// LookupError lives with the other error classes; re-exported where it has always been importable.
export { LookupError } from '@graphmode/graph';
export * from './gradients.js';
export * from './indexed_slices.js';
export * from './registry.js';

import { registerArrayGradients } from './rules/array_grad.js';
import { registerControlGradients } from './rules/control_grad.js';
import { registerCoreGradients } from './rules/core_grad.js';
import { registerLinalgGradients } from './rules/linalg_grad.js';
import { registerMathGradients } from './rules/math_grad.js';
import { registerModelGradients } from './rules/model_grad.js';
import { registerNnGradients } from './rules/nn_grad.js';
import { registerRandomGradients } from './rules/random_grad.js';
import { registerReduceGradients } from './rules/reduce_grad.js';

registerCoreGradients();
registerMathGradients();
registerReduceGradients();
registerLinalgGradients();
registerArrayGradients();
registerNnGradients();
registerRandomGradients();
registerModelGradients();
registerControlGradients();
