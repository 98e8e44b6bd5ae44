// One op = one declarative entry holding every fact about it: TF type name, named inputs, typed
// attrs and TF's attr schema for them, shape and dtype rules (run when the op is built, so mistakes
// surface at build time), an optional build-time folding rule and a kernel bound to tfjs-core.
// Every registry (gradients, GraphDef encoding, lowerings) is keyed by the definition object.
import type * as tfc from '@tensorflow/tfjs-core';
import { type AttrSchema, checkSchema } from './attr_schema.js';
import type { DType, Shape } from './dtype.js';
import { formatShape, INT32_MAX, INT32_MIN } from './dtype.js';
import { TypeError, ValueError } from './errors.js';
import type { CreateOpOptions, Operation, Tensor } from './graph.js';
import { buildGraphFor, getDefaultGraph } from './graph.js';

export interface OutputType {
  readonly dtype: DType;
  readonly shape: Shape | null;
}

/** What a kernel may touch besides its inputs: the session's state for this op. */
export interface KernelContext {
  readonly op: Operation;
  readonly backend: string;
  /** A tensor made once per session for this op (constants); returns a clone the caller owns. */
  cached(make: () => tfc.Tensor): tfc.Tensor;
  /** The variable's current value (a clone the caller owns), or undefined if uninitialized. */
  readVariable(variableOp: Operation): tfc.Tensor | undefined;
  /** Replaces the variable's value; the store takes ownership of `value`. Undone if the run fails. */
  writeVariable(variableOp: Operation, value: tfc.Tensor): void;
  /** How many times this op has run before in this session (random ops derive their seed from it). */
  executionCount(): number;
  /** Reports work this backend does slowly; the session warns once, naming a faster backend. */
  slow?(what: string): void;
}

/** Named inputs: fixed ones by name, plus an optional trailing list input. */
export type Named<N extends string, L extends string, T> = { readonly [K in N]: T } & {
  readonly [K in L]: readonly T[];
};

export type KernelResult = tfc.Tensor | readonly (tfc.Tensor | undefined)[] | undefined;

/** What is known of a small int tensor at build time, element by element (`null` = unknown). */
export type PartialValue = (number | null)[];

interface SpecBase<N extends string, L extends string, A extends object> {
  /** TF's op type name (`MatMul`, `AddV2`); shows in node names and dumps. */
  type: string;
  inputs: readonly N[];
  /** Name of a variadic list input that follows the fixed ones (`AddN`'s `inputs`). */
  list?: L;
  /** TF's `is_stateful` (variables, random, assignments): never deduplicated, never folded. */
  stateful?: boolean;
  /** Inputs taken by reference (a variable to update): the kernel gets no value for them. */
  refInputs?: readonly (N | L)[];
  /** TF's attrs of this op type by TF name (see attr_schema.ts); `{}` when TF declares none. */
  attrs?: AttrSchema<N | L, keyof A & string>;
  /** TF's output arg names (its OpDef's `output_arg`), which function bodies use to name tensors. */
  outputArgs?: readonly OutputArg[];
  /**
   * TF's `constant_value` for output `out`: its value from what is known of the inputs at build
   * time (read them with `partialValue` / `constantValue`), or null when it cannot be known.
   */
  fold?(ins: Named<N, L, Tensor>, attrs: A, out: Tensor): PartialValue | null;
  kernel(ins: Named<N, L, tfc.Tensor>, attrs: A, ctx: KernelContext): KernelResult;
}
interface SingleOutputSpec<N extends string, L extends string, A extends object> extends SpecBase<N, L, A> {
  shape(ins: Named<N, L, Tensor>, attrs: A): Shape | null;
  dtype(ins: Named<N, L, Tensor>, attrs: A): DType;
}
interface MultiOutputSpec<N extends string, L extends string, A extends object> extends SpecBase<N, L, A> {
  outputs(ins: Named<N, L, Tensor>, attrs: A): readonly OutputType[];
}
export type OpSpec<N extends string, L extends string, A extends object> =
  | SingleOutputSpec<N, L, A>
  | MultiOutputSpec<N, L, A>;

/**
 * One of TF's output args: a single tensor, or a list (`{ list: 'output' }`: Unpack's `num`
 * tensors, If's `Tout`) that takes every output the other args do not.
 */
export type OutputArg = string | { readonly list: string };

/** The registry's view of an op type: positional inputs, untyped by name. */
export interface OpDef<A extends object = object> {
  readonly type: string;
  readonly inputNames: readonly string[];
  readonly listInput: string | null;
  readonly stateful: boolean;
  /** TF's attr schema, or null for an op defined without one (it cannot be serialized). */
  readonly attrs: AttrSchema | null;
  /** TF's output args (see `OpSpec.outputArgs`); absent for plan-internal ops (fused kernels). */
  readonly outputArgs?: readonly OutputArg[];
  /** The folding rule bound to an output (see `OpSpec.fold`), or null when the op never folds. */
  readonly fold: ((out: Tensor) => PartialValue | null) | null;
  isRefInput(index: number): boolean;
  infer(inputs: readonly Tensor[], attrs: A, opName: string): readonly OutputType[];
  /** Runs the kernel: its raw result (one tensor, a list, or undefined for no outputs). */
  invoke(inputs: readonly (tfc.Tensor | undefined)[], attrs: A, ctx: KernelContext): KernelResult;
}

/** A typed op definition: builds ops with named inputs and typed attrs. */
export interface TypedOpDef<N extends string, L extends string, A extends object> extends OpDef<A> {
  /** Builds the op on the default graph (or the inputs' graph) and returns its first output. */
  apply(ins: Named<N, L, Tensor>, attrs: A, opts?: CreateOpOptions): Tensor;
  /** Builds the op and returns the Operation (for multi-output or output-less ops). */
  applyOp(ins: Named<N, L, Tensor>, attrs: A, opts?: CreateOpOptions): Operation<A>;
  /** The op's inputs (or gradients aligned with them) by input name. */
  named<T>(flat: readonly T[]): Named<N, L, T>;
}

const registry = new Map<string, OpDef>();

/** Every op type defined so far, by TF type name. */
export function registeredOps(): ReadonlyMap<string, OpDef> {
  return registry;
}
export function getOpDef(type: string): OpDef | undefined {
  return registry.get(type);
}

export function describeInputs(inputs: readonly Tensor[]): string {
  return inputs.map((t) => `${t.name}: ${t.dtype}${formatShape(t.shape)}`).join(', ');
}

/** Defines (and registers) an op type. See ops/math.ts for examples. */
export function defineOp<N extends string, A extends object = Record<never, never>, L extends string = never>(
  spec: OpSpec<N, L, A>,
): TypedOpDef<N, L, A> {
  if (registry.has(spec.type)) throw new ValueError(`Op type '${spec.type}' is already defined`);
  if (spec.stateful && spec.fold) throw new ValueError(`Op type '${spec.type}' is stateful and cannot fold`);
  if (spec.attrs) checkSchema(spec.type, spec.attrs, spec.inputs, spec.list ?? null);
  const names = spec.inputs;
  const list = spec.list ?? null;
  const refs = new Set((spec.refInputs ?? []).map((n) => names.indexOf(n as N)));
  const listIsRef = list !== null && (spec.refInputs ?? []).includes(list);
  const fold = spec.fold?.bind(spec);
  const literal = namedLiteral(names);
  const named = <T>(flat: readonly T[]): Named<N, L, T> => {
    const r = literal(flat);
    if (list !== null) r[list] = flat.slice(names.length);
    return r as Named<N, L, T>;
  };
  const flatten = (ins: Named<N, L, Tensor>): Tensor[] => {
    const flat = names.map((n) => (ins as Record<string, Tensor>)[n]!);
    if (list !== null) flat.push(...(ins as Record<string, readonly Tensor[]>)[list]!);
    return flat;
  };
  const intAttrs = intAttrKeys(spec.attrs);
  const def: TypedOpDef<N, L, A> = {
    type: spec.type,
    inputNames: names,
    listInput: list,
    stateful: spec.stateful ?? false,
    attrs: spec.attrs ?? null,
    outputArgs: spec.outputArgs ?? [],
    fold: fold === undefined ? null : (out) => fold(named(out.op.inputs), out.op.attrs as A, out),
    isRefInput: (i) => refs.has(i) || (listIsRef && i >= names.length),
    named,
    infer(inputs, attrs, opName) {
      if (inputs.length < names.length || (list === null && inputs.length !== names.length)) {
        throw new ValueError(
          `${spec.type} op '${opName}' expects ${names.length} inputs (${names.join(', ')}), got ${inputs.length}`,
        );
      }
      const ins = named(inputs);
      try {
        if (intAttrs.length) checkIntAttrs(intAttrs, attrs as Record<string, unknown>);
        return 'outputs' in spec
          ? spec.outputs(ins, attrs)
          : [{ shape: spec.shape(ins, attrs), dtype: spec.dtype(ins, attrs) }];
      } catch (e) {
        if (!(e instanceof ValueError || e instanceof TypeError)) throw e;
        const Ctor = e instanceof ValueError ? ValueError : TypeError;
        throw new Ctor(`${spec.type} op '${opName}': ${e.message}. Inputs: ${describeInputs(inputs)}`);
      }
    },
    invoke: (inputs, attrs, ctx) => spec.kernel(named(inputs as readonly tfc.Tensor[]), attrs, ctx),
    applyOp(ins, attrs, opts = {}) {
      const flat = flatten(ins);
      const graph = flat[0] ? buildGraphFor(flat[0].graph) : getDefaultGraph();
      return graph.createOp(def, flat, attrs, opts);
    },
    apply(ins, attrs, opts = {}) {
      const op = def.applyOp(ins, attrs, opts);
      const out = op.outputs[0];
      if (!out) throw new ValueError(`${spec.type} op '${op.name}' has no outputs; use applyOp`);
      return out;
    },
  };
  registry.set(spec.type, def as OpDef);
  return def;
}

// Builds `{ [names[0]]: flat[0], ... }` as an object literal compiled once per op type. NOTE:
// filling `{}` with computed keys is a megamorphic keyed store once many op types share the code
// (measured ~150 ns per kernel call, most of the session's per-op overhead); a literal per op type
// allocates with a fixed shape (~20 ns). Names come from op definitions and are JSON-quoted.
function namedLiteral(names: readonly string[]): <T>(flat: readonly T[]) => Record<string, T | readonly T[]> {
  const body = names.map((n, i) => `${JSON.stringify(n)}: flat[${i}]`).join(', ');
  return new Function('flat', `return { ${body} };`) as <T>(
    flat: readonly T[],
  ) => Record<string, T | readonly T[]>;
}

// ---- rule helpers shared by op families -------------------------------------------------------

/** Throws unless every tensor has the same dtype (TF's type-attr `T` check). */
export function sameDtype(...ts: readonly Tensor[]): DType {
  const d = ts[0]!.dtype;
  for (const t of ts) {
    if (t.dtype !== d) {
      throw new TypeError(`all inputs must have the same dtype, got ${ts.map((x) => x.dtype).join(' and ')}`);
    }
  }
  return d;
}

/** Throws unless the dtype is one of `allowed`. */
export function requireDtype(t: Tensor, allowed: readonly DType[], what = 'input'): DType {
  if (!allowed.includes(t.dtype)) {
    throw new TypeError(`${what} '${t.name}' has dtype ${t.dtype}, expected one of ${allowed.join(', ')}`);
  }
  return t.dtype;
}
export const FLOAT: readonly DType[] = ['float32'];
export const NUMERIC: readonly DType[] = ['float32', 'int32'];
export const INT: readonly DType[] = ['int32'];

/** Throws unless the static rank is `rank` (unknown ranks pass). */
export function requireRank(t: Tensor, rank: number, what = 'input'): void {
  if (t.shape !== null && t.shape.length !== rank) {
    throw new ValueError(`${what} '${t.name}' must be rank ${rank}, but has shape ${formatShape(t.shape)}`);
  }
}

// Our keys of the op's int / list(int) attrs: their values reach tfjs kernels as int32.
function intAttrKeys(attrs: AttrSchema | null | undefined): string[] {
  const keys: string[] = [];
  for (const a of Object.values(attrs ?? {})) {
    if ((a.type === 'int' || a.type === 'list(int)') && 'attr' in a.from) keys.push(a.from.attr);
  }
  return keys;
}

function checkIntAttrs(keys: readonly string[], attrs: Record<string, unknown>): void {
  for (const k of keys) {
    const v = attrs[k];
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === 'number' && !(Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX)) {
        throw new ValueError(`attr '${k}' = ${x} is not an int32 value`);
      }
    }
  }
}
