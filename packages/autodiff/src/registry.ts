// Import-time hook: importing @graphmode/train registers its own ops' rules in this table (its
// Apply*, scatter and summary ops are notDifferentiable), and that is the only side effect of
// importing it, as registering the graph ops' rules is @graphmode/autodiff's.
//
// The gradient rule table. Contract for every rule (TF's RegisterGradient, derivatives.yaml-style):
//
// - A rule receives the forward op and one incoming gradient `dy` per op output. Outputs that got
//   no gradient arrive as zeros when they are float (TF's ZerosLikeOutsideLoop), so float `dy`s
//   are never null; int/bool outputs' `dy` may be null.
// - `dy` is dense unless the rule was registered with `{ sparseInput: true }`: the driver turns
//   IndexedSlices into a dense tensor first.
// - It returns one gradient per op input, in input order (or, with `defineGradient`, by input
//   name): a Tensor, an IndexedSlices, or null where none exists (TF's None; int inputs, indices).
// - A returned gradient has its input's shape, except under `{ broadcasts: true }`, where it may
//   have the op output's broadcast shape: the driver then sums it down to the input's shape.
// - Rules build ordinary graph ops with the same builders users call, so gradients of gradients
//   work; they run inside the `gradients/<op>_grad/` name scope set up by the driver.
//
// The table is keyed by op definition. TF's string API (`registerGradient('MyOp', rule)`) resolves
// the type name to its registered definition, so the op must be defined (defineOp) first. Importing
// this package registers the built-in ops' rules; importing @graphmode/train adds its ops' entries
// (all notDifferentiable) — the only other registration at import.
import type { Named, OpDef, Operation, Tensor, TypedOpDef } from '@graphmode/graph';
import { getOpDef, ValueError } from '@graphmode/graph';
import type { Gradient } from './indexed_slices.js';

/** TF-style rule: `(op, ...dys) => one gradient (or null) per input`. */
export type GradientRule = (op: Operation, ...dys: (Tensor | null)[]) => readonly (Gradient | null)[];

export interface RuleOptions {
  /** The rule may return broadcast-shaped gradients; the driver reduces them to input shapes. */
  broadcasts?: boolean;
  /** The rule accepts IndexedSlices `dy` (pass-through ops such as Identity). */
  sparseInput?: boolean;
}

export interface RegisteredRule extends RuleOptions {
  readonly rule: GradientRule | null;
}

const rules = new Map<OpDef, RegisteredRule>();

/** An op type given by definition, or by TF type name (resolved to the registered definition). */
export type OpTypeRef = OpDef | string;

function resolve(op: OpTypeRef, caller: string): OpDef {
  if (typeof op !== 'string') return op;
  const def = getOpDef(op);
  if (def === undefined) {
    throw new ValueError(
      `${caller}: no op type '${op}' is defined; define it with defineOp before registering`,
    );
  }
  return def;
}

/** Registers the gradient of `opType` (replacing any earlier rule, as tests may do). */
export function registerGradient(opType: OpTypeRef, rule: GradientRule, options: RuleOptions = {}): void {
  rules.set(resolve(opType, 'registerGradient'), { rule, ...options });
}

/** Declares op types as having no gradient: they contribute nothing (TF's NotDifferentiable). */
export function notDifferentiable(...opTypes: OpTypeRef[]): void {
  const defs = opTypes.map((t) => resolve(t, 'notDifferentiable'));
  for (const def of defs) rules.set(def, { rule: null });
}

export const lookupGradient = (def: OpDef): RegisteredRule | undefined => rules.get(def);
export const registeredGradients = (): ReadonlyMap<OpDef, RegisteredRule> => rules;

/** What a named rule sees: the forward inputs by name, typed attrs, outputs and all output grads. */
export interface GradArgs<N extends string, L extends string, A extends object> {
  readonly ins: Named<N, L, Tensor>;
  readonly attrs: Readonly<A>;
  readonly op: Operation<A>;
  /** The op's first output (the saved forward value, e.g. for Sigmoid, Exp, Softmax). */
  readonly y: Tensor;
  readonly dys: readonly (Tensor | null)[];
}
type NamedGrads<N extends string, L extends string> = { readonly [K in N]?: Gradient | null } & {
  readonly [K in L]?: readonly (Gradient | null)[];
};

/**
 * Registers a rule written against an op definition's named inputs:
 * `defineGradient(Sigmoid, ({ y }, dy) => ({ x: mul(dy, mul(y, sub(1, y))) }))`.
 * Inputs missing from the returned record get no gradient.
 */
export function defineGradient<N extends string, L extends string, A extends object>(
  def: TypedOpDef<N, L, A>,
  rule: (args: GradArgs<N, L, A>, dy: Tensor) => NamedGrads<N, L>,
  options: RuleOptions = {},
): void {
  registerGradient(
    def,
    (op, ...dys) => {
      const typed = op as Operation<A>;
      const out = rule(
        { ins: def.named(op.inputs), attrs: typed.attrs, op: typed, y: op.outputs[0]!, dys },
        dys[0]!,
      );
      const flat: (Gradient | null)[] = def.inputNames.map(
        (n) => (out as Record<string, Gradient | null>)[n] ?? null,
      );
      if (def.listInput !== null) {
        const list = (out as Record<string, readonly (Gradient | null)[] | undefined>)[def.listInput];
        const n = op.inputs.length - def.inputNames.length;
        if (list !== undefined && list.length !== n) {
          throw new ValueError(
            `Gradient rule for ${def.type} returned ${list.length} gradients for list input '${def.listInput}' of ${n} tensors`,
          );
        }
        flat.push(...(list ?? Array<null>(n).fill(null)));
      }
      for (const key of Object.keys(out)) {
        if (!def.inputNames.includes(key) && key !== def.listInput) {
          throw new ValueError(
            `Gradient rule for ${def.type} returned a gradient for unknown input '${key}'`,
          );
        }
      }
      return flat;
    },
    options,
  );
}
