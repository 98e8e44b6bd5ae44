// Sources and flow: placeholders, identity-like ops, grouping (constants are in const.ts).

import * as tfc from '@tensorflow/tfjs-core';
import { type AttrSchema, attrOf, fixedAttr, typeOf } from '../attr_schema.js';
import { foldSame } from '../constant_value.js';
import { isTensorSource, type NameOpt, opScope, type TensorInput, toTensor } from '../convert.js';
import type { DType, Shape } from '../dtype.js';
import { checkDType, checkShape, formatShape, shapesCompatible } from '../dtype.js';
import { FailedPreconditionError, InvalidArgumentError, ValueError } from '../errors.js';
import { asOperation, buildGraphFor, getDefaultGraph, Operation, Tensor } from '../graph.js';
import { defineOp, FLOAT, requireDtype } from '../op_def.js';
import { named } from '../options.js';
import type { Variable } from '../variable.js';
import { shareTensor } from './typed_kernel.js';

// ---- sources ------------------------------------------------------------------------------

export const Placeholder = defineOp<never, { dtype: DType; shape: Shape | null }>({
  type: 'Placeholder',
  outputArgs: ['output'],
  inputs: [],
  attrs: { dtype: attrOf('type', 'dtype'), shape: attrOf('shape', 'shape', null) },
  shape: (_, a) => a.shape,
  dtype: (_, a) => a.dtype,
  kernel: (_, a, ctx) => {
    throw new InvalidArgumentError(unfedMessage(ctx.op.outputs[0]!, a.dtype, a.shape), ctx.op);
  },
});

// TF's PlaceholderOp wording: the shape is only printed when its rank is known and non-zero.
export const unfedMessage = (t: Tensor, dtype: DType, shape: Shape | null): string =>
  `You must feed a value for placeholder tensor '${t.op.name}' with dtype ${dtype}` +
  (shape === null || shape.length === 0 ? '' : ` and shape ${formatShape(shape)}`);

/**
 * A value that must be fed at run time. `shape` may hold `null` for unknown dims; omit it for
 * an unknown rank.
 * @example const x = placeholder('float32', [null, 784], { name: 'x' });
 */
export function placeholder(dtype: DType, shape?: Shape | null | NameOpt, opts: NameOpt = {}): Tensor {
  // The options object is "the last argument" even when the optional shape is left out.
  if (shape != null && !Array.isArray(shape)) [shape, opts] = [null, shape as NameOpt];
  checkDType('placeholder', dtype);
  if (shape != null) checkShape('placeholder', shape as Shape, true);
  return Placeholder.apply(
    {},
    { dtype, shape: (shape as Shape | null | undefined) ?? null },
    { name: named('placeholder', opts) ?? 'Placeholder' },
  );
}

export const PlaceholderWithDefault = defineOp<'input', { shape: Shape | null }>({
  type: 'PlaceholderWithDefault',
  outputArgs: ['output'],
  inputs: ['input'],
  attrs: { dtype: typeOf('input'), shape: attrOf('shape', 'shape') },
  shape: ({ input }, { shape }) => {
    if (!shapesCompatible(input.shape, shape)) {
      throw new ValueError(
        `default value shape ${formatShape(input.shape)} is incompatible with ${formatShape(shape)}`,
      );
    }
    return shape;
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input }) => shareTensor(input),
});

/** A placeholder that yields `input` when not fed. */
export function placeholderWithDefault(input: TensorInput, shape: Shape | null, opts: NameOpt = {}): Tensor {
  return opScope(named('placeholderWithDefault', opts), 'PlaceholderWithDefault', [input], (scope) =>
    PlaceholderWithDefault.apply({ input: toTensor(input, undefined, 'input') }, { shape }, { name: scope }),
  );
}

// ---- identity-like ------------------------------------------------------------------------

const identityLike = (type: string, attrs: AttrSchema<'input', never>, fold?: typeof foldSame) =>
  defineOp<'input'>({
    type,
    outputArgs: ['output'],
    inputs: ['input'],
    attrs,
    ...(fold ? { fold } : {}),
    shape: ({ input }) => input.shape,
    dtype: ({ input }) => input.dtype,
    kernel: ({ input }) => shareTensor(input),
  });
export const Identity = identityLike('Identity', { T: typeOf('input') }, foldSame);
export const StopGradient = identityLike('StopGradient', { T: typeOf('input') }, foldSame);
export const PreventGradient = identityLike('PreventGradient', {
  T: typeOf('input'),
  message: fixedAttr('string', ''),
});

export const identity = (x: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('identity', opts), 'Identity', [x], (scope) =>
    Identity.apply({ input: toTensor(x, undefined, 'input') }, {}, { name: scope }),
  );

/** Identity whose gradient is zero: stops backpropagation through `x`. */
export const stopGradient = (x: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(named('stopGradient', opts), 'StopGradient', [x], (scope) =>
    StopGradient.apply({ input: toTensor(x, undefined, 'input') }, {}, { name: scope }),
  );

export const CheckNumerics = defineOp<'tensor', { message: string }>({
  type: 'CheckNumerics',
  outputArgs: ['output'],
  inputs: ['tensor'],
  attrs: { T: typeOf('tensor'), message: attrOf('string', 'message') },
  shape: ({ tensor }) => tensor.shape,
  dtype: ({ tensor }) => requireDtype(tensor, FLOAT, 'tensor'),
  kernel: ({ tensor }, { message }, ctx) => {
    const data = tensor.dataSync() as Float32Array;
    let nan = false;
    let inf = false;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isNaN(v)) nan = true;
      else if (!Number.isFinite(v)) inf = true;
    }
    if (nan || inf) {
      const what = nan && inf ? 'Inf and NaN' : nan ? 'NaN' : 'Inf';
      throw new InvalidArgumentError(`${message} : Tensor had ${what} values`, ctx.op);
    }
    return tfc.clone(tensor);
  },
});

/** Identity that fails the run with `message` when `x` holds a NaN or Inf. */
export const checkNumerics = (x: TensorInput, message: string, opts: NameOpt = {}): Tensor =>
  opScope(named('checkNumerics', opts), 'CheckNumerics', [x], (scope) =>
    CheckNumerics.apply({ tensor: toTensor(x, undefined, 'tensor') }, { message }, { name: scope }),
  );

// ---- grouping -----------------------------------------------------------------------------

export const NoOp = defineOp<never>({
  type: 'NoOp',
  outputArgs: [],
  inputs: [],
  attrs: {},
  outputs: () => [],
  kernel: () => undefined,
});

/** An op that does nothing; useful as a control-dependency anchor. */
export const noOp = (opts: NameOpt = {}): Operation =>
  NoOp.applyOp({}, {}, { name: named('noOp', opts) ?? 'NoOp' });

/**
 * One op that runs after all of `inputs` (TF's `tf.group`); the last argument may be `{name}`.
 * @example const step = group(update1, update2, { name: 'train' });
 */
export function group(...args: (Operation | Tensor | Variable | NameOpt)[]): Operation {
  const last = args[args.length - 1];
  const isOpts = last && !(last instanceof Tensor) && !(last instanceof Operation) && !isTensorSource(last);
  const opts = isOpts ? (args.pop() as NameOpt) : {};
  const deps = (args as (Operation | Tensor | Variable)[]).map(asOperation);
  // As TF's name_scope(values=inputs): the group goes into its inputs' graph, not the default one.
  const graph = deps[0] ? buildGraphFor(deps[0].graph) : getDefaultGraph();
  return graph.asDefault(() =>
    graph.controlDependencies(deps, () => noOp({ name: named('group', opts) ?? 'group_deps' })),
  );
}

/**
 * Tensors equal to `inputs` (Variables read) that are only available once all of them (and `controlInputs`)
 * are computed: a NoOp gate, then an Identity per tensor with the gate as control input.
 */
export function tuple(
  inputs: readonly (Tensor | Variable | null)[],
  opts: NameOpt & { controlInputs?: readonly (Operation | Tensor | Variable)[] } = {},
): (Tensor | null)[] {
  const tensors = inputs.map((t) => (t === null ? null : toTensor(t)));
  const real = tensors.filter((t): t is Tensor => t !== null);
  if (real.length === 0) return tensors;
  const graph = buildGraphFor(real[0]!.graph);
  return graph.nameScope(named('tuple', opts, { name: 'string', controlInputs: 'any' }) ?? 'tuple', () => {
    const deps = [...real.map((t) => t.op), ...(opts.controlInputs ?? []).map(asOperation)];
    const gate = group(...deps);
    return tensors.map((t) => (t === null ? null : withDependencies([gate], t)));
  });
}

/** `tensor`'s value, computed only after `deps` have run (an Identity with control inputs). */
export function withDependencies(
  deps: readonly (Operation | Tensor | Variable)[],
  tensor: TensorInput,
  opts: NameOpt = {},
): Tensor {
  const t = toTensor(tensor);
  const graph = buildGraphFor(t.graph);
  return graph.nameScope(named('withDependencies', opts) ?? 'control_dependency', (scope) =>
    graph.colocateWith(t, () =>
      graph.controlDependencies(deps.map(asOperation), () => identity(t, { name: scope })),
    ),
  );
}

// Uninitialized variables surface when a non-ref consumer needs their value.
export const uninitializedError = (variableOp: Operation): FailedPreconditionError =>
  new FailedPreconditionError(`Attempting to use uninitialized value ${variableOp.name}`, variableOp);
