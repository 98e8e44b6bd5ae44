// Binding a kernel's result to a plan's slots, shared by the Session's run loop and the loop that
// runs control-flow bodies: each output is checked against its static shape, stored in its slot
// (a clone when the kernel handed back one of its inputs) or freed when nothing reads it.
import * as tfc from '@tensorflow/tfjs-core';
import { formatShape } from '../dtype.js';
import { InvalidArgumentError } from '../errors.js';
import type { KernelResult } from '../op_def.js';
import { type Step, VARIABLE } from './plan.js';

/** Frees the fresh variable reads a step was given (VARIABLE inputs). */
export function disposeVariableReads(step: Step, ins: readonly (tfc.Tensor | undefined)[]): void {
  for (let k = 0; k < ins.length; k++) if (step.kinds[k] === VARIABLE) ins[k]?.dispose();
}

/** Binds every output of a list result; on a failure the outputs not yet bound are freed. */
export function bindOutputs(
  step: Step,
  outs: readonly (tfc.Tensor | undefined)[],
  ins: readonly (tfc.Tensor | undefined)[],
  values: (tfc.Tensor | undefined)[],
): void {
  for (let j = 0; j < outs.length; j++) {
    try {
      bindOutput(step, j, outs[j], ins, values);
    } catch (e) {
      for (let r = j + 1; r < outs.length; r++) if (!isInput(outs[r], ins)) outs[r]?.dispose();
      throw e;
    }
  }
}

/** Stores output j in its slot after checking it against the static shape; unread outputs are freed. */
export function bindOutput(
  step: Step,
  j: number,
  out: tfc.Tensor | undefined,
  ins: readonly (tfc.Tensor | undefined)[],
  values: (tfc.Tensor | undefined)[],
): void {
  if (out === undefined) return;
  // A kernel may hand back an input object; that object still belongs to its own slot.
  const aliased = isInput(out, ins);
  const slot = j < step.outputs.length ? step.outputs[j]! : -1;
  const expected = j < step.checks.length ? step.checks[j]! : null;
  if (expected !== null && !fits(expected, out.shape)) {
    if (!aliased) out.dispose();
    throw new InvalidArgumentError(
      `${step.op.type} produced output ${j} of shape ${formatShape(out.shape)}, incompatible with its static shape ${formatShape(expected)}`,
      step.op,
    );
  }
  if (slot >= 0) values[slot] = aliased ? tfc.clone(out) : out;
  else if (!aliased) out.dispose();
}

function isInput(t: tfc.Tensor | undefined, ins: readonly (tfc.Tensor | undefined)[]): boolean {
  for (let k = 0; k < ins.length; k++) if (ins[k] === t) return true;
  return false;
}

function fits(expected: readonly (number | null)[], actual: readonly number[]): boolean {
  if (expected.length !== actual.length) return false;
  for (let i = 0; i < expected.length; i++) {
    const d = expected[i];
    if (d !== null && d !== actual[i]) return false;
  }
  return true;
}

/** Binds a kernel's raw result: one tensor, a list, or nothing. */
export function bindResult(
  step: Step,
  out: KernelResult,
  ins: readonly (tfc.Tensor | undefined)[],
  values: (tfc.Tensor | undefined)[],
): void {
  if (out instanceof tfc.Tensor) bindOutput(step, 0, out, ins, values);
  else if (out !== undefined) bindOutputs(step, out, ins, values);
}
