// Argument conversion shared by every builder: TF's `convert_to_tensor` (TensorLike and Variable
// arguments become tensors), binary ops' dtype hint, options objects standing in for omitted
// positional arguments, the graph and name scope a builder works in, and `readInts` for kernels
// reading shape-like int inputs.
import type * as tfc from '@tensorflow/tfjs-core';
import type { DType } from './dtype.js';
import { TypeError } from './errors.js';
import { buildGraphFor, type Graph, getDefaultGraph, Operation, Tensor } from './graph.js';
import { NDArray, type TensorLike } from './ndarray.js';
import { constant } from './ops/const.js';
import type { Variable } from './variable.js';

/** Anything a builder accepts where a tensor is expected. */
export type TensorInput = Tensor | Variable | TensorLike;
export interface NameOpt {
  name?: string;
}

/** Objects that stand for a tensor (Variables read their value). */
interface TensorSource {
  asTensor(): Tensor;
}
export const isTensorSource = (x: unknown): x is TensorSource =>
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

/** Reads a small int tensor's value inside a kernel (axes, shapes, sizes). */
export const readInts = (t: tfc.Tensor): number[] => Array.from(t.dataSync() as Int32Array);
