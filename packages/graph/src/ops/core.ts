// Sources and flow: constants, placeholders, identity-like ops, grouping. Also `toTensor`, the
// conversion every builder applies to its TensorLike / Variable arguments.
import * as tfc from '@tensorflow/tfjs-core';
import type { DType, Shape } from '../dtype.js';
import { formatShape, shapesCompatible } from '../dtype.js';
import { FailedPreconditionError, InvalidArgumentError, TypeError, ValueError } from '../errors.js';
import { asOperation, buildGraphFor, type Graph, getDefaultGraph, Operation, Tensor } from '../graph.js';
import type { TensorLike } from '../ndarray.js';
import { NDArray } from '../ndarray.js';
import { defineOp, FLOAT, requireDtype } from '../op_def.js';
import type { Variable } from '../variable.js';

/** Anything a builder accepts where a tensor is expected. */
export type TensorInput = Tensor | Variable | TensorLike;
export interface NameOpt {
  name?: string;
}

/** Objects that stand for a tensor (Variables read their value). */
interface TensorSource {
  asTensor(): Tensor;
}
const isTensorSource = (x: unknown): x is TensorSource =>
  typeof x === 'object' && x !== null && typeof (x as Partial<TensorSource>).asTensor === 'function';

/** TF's `convert_to_tensor`: Tensors pass, Variables read, plain values become constants of `dtype`. */
export function toTensor(x: TensorInput, dtype?: DType, name?: string): Tensor {
  if (x instanceof Tensor) {
    if (dtype !== undefined && x.dtype !== dtype) {
      throw new TypeError(
        `Tensor conversion requested dtype ${dtype} for Tensor '${x.name}' with dtype ${x.dtype}`,
      );
    }
    return x;
  }
  if (isTensorSource(x)) return toTensor(x.asTensor(), dtype);
  return constant(x, { ...(dtype ? { dtype } : {}), ...(name ? { name } : {}) });
}

/** An int32 tensor argument (axes, shapes, sizes), converted like TF's `convert_to_tensor(dtype=int32)`. */
export const intTensor = (v: TensorInput, name: string): Tensor => toTensor(v, 'int32', name);

/**
 * Converts a pair, giving a plain JS operand the other one's dtype (binary ops' dtype hint).
 * `names` name the constants made from plain operands (TF names them after the op's inputs).
 */
export function toTensorPair(
  a: TensorInput,
  b: TensorInput,
  names: readonly [string, string] = ['x', 'y'],
): [Tensor, Tensor] {
  const aIsSym = a instanceof Tensor || isTensorSource(a);
  const bIsSym = b instanceof Tensor || isTensorSource(b);
  // The constant goes into the symbolic operand's graph, which need not be the default one.
  if (aIsSym && !bIsSym) {
    const ta = toTensor(a);
    return [ta, buildGraphFor(ta.graph).asDefault(() => toTensor(b, ta.dtype, names[1]))];
  }
  if (bIsSym && !aIsSym) {
    const tb = toTensor(b);
    return [buildGraphFor(tb.graph).asDefault(() => toTensor(a, tb.dtype, names[0])), tb];
  }
  return [toTensor(a, undefined, names[0]), toTensor(b, undefined, names[1])];
}

/**
 * Whether `v` is an options object given in place of an omitted optional positional argument
 * (`reduceSum(x, { keepDims: true })`): a plain object, not a tensor, Variable, array or NDArray.
 */
export function isOptions(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  return !(v instanceof Tensor) && !(v instanceof NDArray) && !(v instanceof Operation) && !isTensorSource(v);
}

/**
 * `[positional, options]` for a builder whose options object may stand in for an omitted
 * optional positional argument (then the positional is undefined).
 * @example const [axis, opts] = optionalArg<Axis, ReduceOptions>(axisOrOpts, maybeOpts);
 */
export function optionalArg<P, O extends object>(arg: P | O | undefined, opts: O): [P | undefined, O] {
  return isOptions(arg) ? [undefined, arg as O] : [arg as P | undefined, opts];
}

/** The graph of the first Tensor, Variable or Operation in `values` (searching nested arrays). */
export function graphOf(values: readonly unknown[]): Graph | undefined {
  for (const v of values) {
    if (v instanceof Tensor || v instanceof Operation) return buildGraphFor(v.graph);
    if (isTensorSource(v)) return buildGraphFor(v.asTensor().graph);
    if (Array.isArray(v)) {
      const g = graphOf(v);
      if (g) return g;
    }
  }
  return undefined;
}

/** Runs `fn` with the graph of `values` (see `graphOf`) as the default: composites that open their own scope. */
export function inGraphOf<T>(values: readonly unknown[], fn: () => T): T {
  const graph = graphOf(values);
  return graph ? graph.asDefault(fn) : fn();
}

/**
 * TF's `_apply_op_helper` / `name_scope(name, default_name, values)`: builds in the graph of the
 * first symbolic value in `values` (else the default graph), inside a fresh name scope
 * `name ?? defaultName`. `fn` converts its plain arguments there (so their constants are named
 * `Reshape/shape`, not `shape`) and names the op `{ name: scope }`: a name ending in '/' is taken
 * verbatim, so the op gets exactly the scope's name ('Reshape', then 'Reshape_1').
 * @example
 * opScope(opts.name, 'Reshape', [x, shape], (scope) =>
 *   Reshape.apply({ tensor: toTensor(x), shape: toTensor(shape, 'int32', 'shape') }, {}, { name: scope }));
 */
export function opScope<T>(
  name: string | undefined,
  defaultName: string,
  values: readonly unknown[],
  fn: (scope: string) => T,
): T {
  const graph = graphOf(values) ?? getDefaultGraph();
  // Skipping a redundant asDefault keeps builders within creation_site's short stack walk.
  if (graph === getDefaultGraph()) return graph.nameScope(name ?? defaultName, fn);
  return graph.asDefault(() => graph.nameScope(name ?? defaultName, fn));
}

// ---- sources ------------------------------------------------------------------------------

export const Const = defineOp<never, { value: NDArray }>({
  type: 'Const',
  inputs: [],
  shape: (_, { value }) => value.shape,
  dtype: (_, { value }) => value.dtype,
  kernel: (_, { value }, ctx) => ctx.cached(() => tfc.tensor(value.data, value.shape, value.dtype)),
});

/**
 * A constant tensor. With a `shape`, a shorter `value` is padded with its last element (TF1), so
 * a scalar fills the shape.
 * @example constant([[1, 2], [3, 4]]); constant(0, { shape: [3], dtype: 'int32' })
 */
export function constant(
  value: TensorLike,
  opts: { dtype?: DType; shape?: readonly number[]; name?: string } = {},
): Tensor {
  let nd = NDArray.from(value, opts.dtype);
  // The graph owns its constants: a caller's NDArray may be mutated later.
  if (nd === value) nd = new NDArray(nd.dtype, [...nd.shape], nd.data.slice());
  if (opts.shape) {
    const n = opts.shape.reduce((a, b) => a * b, 1);
    if (nd.size === n) nd = new NDArray(nd.dtype, [...opts.shape], nd.data);
    else if (nd.size > 0 && nd.size < n) nd = new NDArray(nd.dtype, [...opts.shape], fillData(nd, n));
    else {
      throw new ValueError(
        `constant: ${nd.size} values cannot fill shape ${formatShape(opts.shape)} (need at most ${n} values)`,
      );
    }
  }
  return Const.apply({}, { value: nd }, { name: opts.name ?? 'Const' });
}

// TF1's constant: a value shorter than the shape is padded with its last element.
function fillData(nd: NDArray, n: number): NDArray['data'] {
  const last = nd.data[nd.size - 1]!;
  if (Array.isArray(nd.data)) return [...nd.data, ...Array<string>(n - nd.size).fill(last as string)];
  const out = new (nd.data.constructor as Float32ArrayConstructor)(n);
  out.set(nd.data as Float32Array);
  out.fill(last as number, nd.size);
  return out;
}

export const Placeholder = defineOp<never, { dtype: DType; shape: Shape | null }>({
  type: 'Placeholder',
  inputs: [],
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
  return Placeholder.apply(
    {},
    { dtype, shape: (shape as Shape | null | undefined) ?? null },
    { name: opts.name ?? 'Placeholder' },
  );
}

export const PlaceholderWithDefault = defineOp<'input', { shape: Shape | null }>({
  type: 'PlaceholderWithDefault',
  inputs: ['input'],
  shape: ({ input }, { shape }) => {
    if (!shapesCompatible(input.shape, shape)) {
      throw new ValueError(
        `default value shape ${formatShape(input.shape)} is incompatible with ${formatShape(shape)}`,
      );
    }
    return shape;
  },
  dtype: ({ input }) => input.dtype,
  kernel: ({ input }) => tfc.clone(input),
});

/** A placeholder that yields `input` when not fed. */
export function placeholderWithDefault(input: TensorInput, shape: Shape | null, opts: NameOpt = {}): Tensor {
  return opScope(opts.name, 'PlaceholderWithDefault', [input], (scope) =>
    PlaceholderWithDefault.apply({ input: toTensor(input, undefined, 'input') }, { shape }, { name: scope }),
  );
}

// ---- identity-like ------------------------------------------------------------------------

const identityLike = (type: string) =>
  defineOp<'input'>({
    type,
    inputs: ['input'],
    shape: ({ input }) => input.shape,
    dtype: ({ input }) => input.dtype,
    kernel: ({ input }) => tfc.clone(input),
  });
export const Identity = identityLike('Identity');
export const StopGradient = identityLike('StopGradient');
export const PreventGradient = identityLike('PreventGradient');

export const identity = (x: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(opts.name, 'Identity', [x], (scope) =>
    Identity.apply({ input: toTensor(x, undefined, 'input') }, {}, { name: scope }),
  );

/** Identity whose gradient is zero: stops backpropagation through `x`. */
export const stopGradient = (x: TensorInput, opts: NameOpt = {}): Tensor =>
  opScope(opts.name, 'StopGradient', [x], (scope) =>
    StopGradient.apply({ input: toTensor(x, undefined, 'input') }, {}, { name: scope }),
  );

export const CheckNumerics = defineOp<'tensor', { message: string }>({
  type: 'CheckNumerics',
  inputs: ['tensor'],
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
  opScope(opts.name, 'CheckNumerics', [x], (scope) =>
    CheckNumerics.apply({ tensor: toTensor(x, undefined, 'tensor') }, { message }, { name: scope }),
  );

// ---- grouping -----------------------------------------------------------------------------

export const NoOp = defineOp<never>({
  type: 'NoOp',
  inputs: [],
  outputs: () => [],
  kernel: () => undefined,
});

/** An op that does nothing; useful as a control-dependency anchor. */
export const noOp = (opts: NameOpt = {}): Operation => NoOp.applyOp({}, {}, { name: opts.name ?? 'NoOp' });

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
    graph.controlDependencies(deps, () => noOp({ name: opts.name ?? 'group_deps' })),
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
  return graph.nameScope(opts.name ?? 'tuple', () => {
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
  return graph.nameScope(opts.name ?? 'control_dependency', (scope) =>
    graph.colocateWith(t, () =>
      graph.controlDependencies(deps.map(asOperation), () => identity(t, { name: scope })),
    ),
  );
}

// Uninitialized variables surface when a non-ref consumer needs their value.
export const uninitializedError = (variableOp: Operation): FailedPreconditionError =>
  new FailedPreconditionError(`Attempting to use uninitialized value ${variableOp.name}`, variableOp);
