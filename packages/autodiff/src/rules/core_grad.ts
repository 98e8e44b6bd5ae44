// Gradients of sources, identity-like and state ops (ops/core.ts, ops/state.ts).
import {
  Assign,
  AssignAdd,
  AssignSub,
  CheckNumerics,
  Const,
  checkNumerics,
  Identity,
  IsVariableInitialized,
  LookupError,
  NoOp,
  Placeholder,
  PlaceholderWithDefault,
  PreventGradient,
  ReportUninitializedVariables,
  StopGradient,
  VariableV2,
} from '@graphmode/graph';
import { defineGradient, notDifferentiable } from '../registry.js';

export function registerCoreGradients(): void {
  // dy passes through unchanged, sparse or not.
  defineGradient(Identity, (_, dy) => ({ input: dy }), { sparseInput: true });
  defineGradient(PlaceholderWithDefault, (_, dy) => ({ input: dy }));
  // NaNs in the gradient are reported like NaNs in the forward value.
  defineGradient(CheckNumerics, ({ attrs }, dy) => ({
    tensor: checkNumerics(
      dy,
      `Not a number (NaN) or infinity (Inf) values detected in gradient. ${attrs.message}`,
    ),
  }));
  defineGradient(PreventGradient, ({ op }) => {
    throw new LookupError(
      `Gradient explicitly disabled. Reason: ${op.name} (PreventGradient) is on the gradient path`,
    );
  });
  notDifferentiable(
    StopGradient,
    Const,
    Placeholder,
    NoOp,
    VariableV2,
    Assign,
    AssignAdd,
    AssignSub,
    IsVariableInitialized,
    ReportUninitializedVariables,
  );
}
