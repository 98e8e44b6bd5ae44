// Variables and their updates. A variable's value lives in the Session; ops that update it take
// the VariableV2 output as a reference input and go through the kernel context's store.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, fixedAttr, typeOf } from '../attr_schema.js';
import type { DType, Shape } from '../dtype.js';
import { formatShape, INT32_MAX, INT32_MIN, shapesCompatible } from '../dtype.js';
import { OutOfRangeError, TypeError, ValueError } from '../errors.js';
import type { Operation, Tensor } from '../graph.js';
import { defineOp, type KernelContext, sameDtype } from '../op_def.js';
import { uninitializedError } from './core.js';
import { shareTensor } from './typed_kernel.js';

export const VariableV2 = defineOp<never, { dtype: DType; shape: Shape }>({
  type: 'VariableV2',
  outputArgs: ['ref'],
  inputs: [],
  attrs: {
    shape: attrOf('shape', 'shape'),
    dtype: attrOf('type', 'dtype'),
    container: fixedAttr('string', ''),
    shared_name: fixedAttr('string', ''),
  },
  stateful: true,
  shape: (_, a) => a.shape,
  dtype: (_, a) => a.dtype,
  kernel: (_, __, ctx) => ctx.readVariable(ctx.op),
});

/** Throws unless `ref` is a variable's reference (TF: "requires l-value input"). */
export function requireRef(ref: Tensor, what = 'ref'): void {
  if (ref.op.def !== VariableV2) {
    throw new TypeError(
      `Input '${what}' requires l-value input (a variable), got '${ref.name}' from a ${ref.op.type} op`,
    );
  }
}

/** The variable op behind reference input `i` of the running op. */
export const refOp = (ctx: KernelContext, i = 0): Operation => ctx.op.inputs[i]!.op;

/** The current value of reference input `i`, failing like TF when it was never initialized. */
export function readRef(ctx: KernelContext, i = 0): tfc.Tensor {
  const v = ctx.readVariable(refOp(ctx, i));
  if (v === undefined) throw uninitializedError(refOp(ctx, i));
  return v;
}

/** Stores `value` into reference input `i` and returns the op's output (a handle the caller owns). */
export function writeRef(ctx: KernelContext, value: tfc.Tensor, i = 0): tfc.Tensor {
  ctx.writeVariable(refOp(ctx, i), value);
  return shareTensor(value);
}

export const Assign = defineOp<'ref' | 'value', { validateShape: boolean }>({
  type: 'Assign',
  outputArgs: ['output_ref'],
  inputs: ['ref', 'value'],
  attrs: {
    T: typeOf('ref'),
    validate_shape: attrOf('bool', 'validateShape', true),
    use_locking: fixedAttr('bool', true),
  },
  refInputs: ['ref'],
  stateful: true,
  shape: ({ ref, value }, { validateShape }) => {
    requireRef(ref);
    if (validateShape && !shapesCompatible(ref.shape, value.shape)) {
      throw new ValueError(
        `Shapes must be equal: ref ${formatShape(ref.shape)} vs value ${formatShape(value.shape)}`,
      );
    }
    return validateShape ? ref.shape : value.shape;
  },
  dtype: ({ ref, value }) => sameDtype(ref, value),
  kernel: ({ value }, _, ctx) => writeRef(ctx, tfc.clone(value)),
});

// tfjs's int32 add wraps (2^31-1 + 1 = -2^31): a global step would silently go negative. TF's
// int64 step never wraps; ours fails the step (and the run rolls back) instead.
function checkInt32Update(type: string, old: tfc.Tensor, v: tfc.Tensor, sign: 1 | -1, op: Operation): void {
  const a = old.dataSync() as Int32Array;
  const b = v.dataSync() as Int32Array;
  for (let i = 0; i < a.length; i++) {
    const r = a[i]! + sign * b[b.length === 1 ? 0 : i]!;
    if (r > INT32_MAX || r < INT32_MIN) {
      old.dispose();
      throw new OutOfRangeError(
        `${type}: int32 overflow: ${a[i]} ${sign > 0 ? '+' : '-'} ${b[b.length === 1 ? 0 : i]} is outside [${INT32_MIN}, ${INT32_MAX}]`,
        op,
      );
    }
  }
}

const updateOp = (type: string, combine: (old: tfc.Tensor, v: tfc.Tensor) => tfc.Tensor, sign: 1 | -1) =>
  defineOp<'ref' | 'value'>({
    type,
    outputArgs: ['output_ref'],
    inputs: ['ref', 'value'],
    attrs: { T: typeOf('ref'), use_locking: fixedAttr('bool', false) },
    refInputs: ['ref'],
    stateful: true,
    shape: ({ ref, value }) => {
      requireRef(ref);
      if (!shapesCompatible(ref.shape, value.shape)) {
        throw new ValueError(
          `Shapes must be equal: ref ${formatShape(ref.shape)} vs value ${formatShape(value.shape)}`,
        );
      }
      return ref.shape;
    },
    dtype: ({ ref, value }) => sameDtype(ref, value),
    kernel: ({ value }, _, ctx) => {
      const old = readRef(ctx);
      if (old.dtype === 'int32') checkInt32Update(type, old, value, sign, ctx.op);
      const next = combine(old, value);
      old.dispose();
      return writeRef(ctx, next);
    },
  });
export const AssignAdd = updateOp('AssignAdd', (old, v) => tfc.add(old, v), 1);
export const AssignSub = updateOp('AssignSub', (old, v) => tfc.sub(old, v), -1);

export const IsVariableInitialized = defineOp<'ref'>({
  type: 'IsVariableInitialized',
  outputArgs: ['is_initialized'],
  inputs: ['ref'],
  attrs: { dtype: typeOf('ref') },
  refInputs: ['ref'],
  stateful: true,
  shape: ({ ref }) => (requireRef(ref), []),
  dtype: () => 'bool',
  kernel: (_, __, ctx) => {
    const v = ctx.readVariable(refOp(ctx));
    v?.dispose();
    return tfc.scalar(v !== undefined, 'bool');
  },
});

export const ReportUninitializedVariables = defineOp<never, Record<never, never>, 'refs'>({
  type: 'ReportUninitializedVariables',
  outputArgs: ['output'],
  inputs: [],
  list: 'refs',
  // graphmode's own op (TF composes IsVariableInitialized and boolean_mask): no TF attrs.
  attrs: {},
  refInputs: ['refs'],
  stateful: true,
  shape: ({ refs }) => {
    for (const r of refs) requireRef(r);
    return [null];
  },
  dtype: () => 'string',
  kernel: (_, __, ctx) => {
    const names = ctx.op.inputs.filter((t) => {
      const v = ctx.readVariable(t.op);
      v?.dispose();
      return v === undefined;
    });
    return tfc.tensor1d(
      names.map((t) => t.op.name),
      'string',
    );
  },
});
