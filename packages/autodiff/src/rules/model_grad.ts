// Ops of graph/src/model/model_ops.ts. InTopKV2 is a boolean test (TF's NotDifferentiable). Qr
// only builds orthogonal initial values here (a variable's initializer, which no gradient path
// reaches), so TF's QrGrad is not ported and Qr is declared not differentiable.
import { notDifferentiable } from '../registry.js';

export function registerModelGradients(): void {
  notDifferentiable('InTopKV2', 'Qr');
}
