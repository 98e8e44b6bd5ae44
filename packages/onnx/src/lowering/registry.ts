// The lowering table: op definition → how it becomes ONNX nodes. A rule reads its op's inputs as
// ONNX value names from the context, emits nodes named after the op, and returns one value name
// per op output (null for an output it does not produce). `accepts` declines op instances a rule
// cannot lower (unknown static shapes, non-constant axes); those ops run on tfjs instead.
import type { DType, NDArray, OpDef, Operation } from '@graphmode/graph';
import type { AttrValue } from '../model.js';

export interface LowerContext {
  readonly op: Operation;
  /** The ONNX value of input k (for a variable: its value as of this op). */
  input(k: number): string;
  /** The value of the variable behind reference input k, as of this op. */
  readRef(k: number): string;
  /** Makes `value` the new value of the variable behind reference input k. */
  writeRef(k: number, value: string): void;
  /** Emits one node named after the op; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    outputs?: number,
  ): string[];
  /** Shorthand for a single-output node. */
  n1(opType: string, inputs: readonly string[], attrs?: Record<string, AttrValue>): string;
  int64s(values: readonly number[]): string;
  /** An initializer holding `value`. */
  constant(value: NDArray): string;
  scalar(value: number, dtype: DType): string;
  /**
   * After the segment runs, `verdict` sees the values of the scalar `flags` (host numbers) and
   * returns an error message (the run then fails, naming this op) or null.
   */
  check(flags: readonly string[], verdict: (values: readonly number[]) => string | null): void;
}

export type LoweringResult = string | readonly (string | null)[];
export type Lowering<A extends object> = (cx: LowerContext, attrs: Readonly<A>) => LoweringResult;
interface Entry {
  readonly lower: Lowering<object>;
  readonly accepts: (op: Operation) => boolean;
}

const table = new Map<OpDef, Entry>();

/** Registers the lowering of `def`; `accepts` (default: always) can decline single instances. */
export function defineLowering<A extends object>(
  def: OpDef<A>,
  lower: Lowering<A>,
  accepts: (op: Operation<A>) => boolean = () => true,
): void {
  table.set(def as OpDef, {
    lower: lower as Lowering<object>,
    accepts: accepts as (op: Operation) => boolean,
  });
}

/** Registers one rule for several definitions. */
export function defineLowerings<A extends object>(
  defs: readonly OpDef<A>[],
  lower: Lowering<A>,
  accepts?: (op: Operation<A>) => boolean,
): void {
  for (const d of defs) defineLowering(d, lower, accepts);
}

/** The op definitions that have a lowering rule. */
export const loweredDefs = (): ReadonlySet<OpDef> => new Set(table.keys());

/** The rule that lowers this op instance, or undefined when it runs on tfjs. */
export function loweringOf(op: Operation): Entry | undefined {
  const entry = table.get(op.def);
  if (entry === undefined) return undefined;
  // ONNX string tensors have almost no operators; such ops stay on tfjs.
  if (op.inputs.some((t) => t.dtype === 'string') || op.outputs.some((t) => t.dtype === 'string'))
    return undefined;
  return entry.accepts(op) ? entry : undefined;
}

// ---- helpers shared by rule files ---------------------------------------------------------

/** Static rank of input k, or null. */
export const rankOf = (op: Operation, k: number): number | null => op.inputs[k]!.shape?.length ?? null;
export const hasRank = (k: number) => (op: Operation) => rankOf(op, k) !== null;
export const isFloat = (op: Operation) => op.inputs.every((t) => t.dtype === 'float32');
export const castInt64 = (cx: LowerContext, v: string) => cx.n1('Cast', [v], { to: 7 });
export const castInt32 = (cx: LowerContext, v: string) => cx.n1('Cast', [v], { to: 6 });
