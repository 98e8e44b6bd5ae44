// An execution plan for one (feeds, fetches) signature: the ops the fetches need (pruned through
// data and control edges, stopping at fed tensors), in creation order, with a slot per live value
// and everything the run loop needs per step precomputed, so the loop itself allocates little.

import type { DType, Shape } from '../dtype.js';
import { InvalidArgumentError } from '../errors.js';
import type { Operation, Tensor } from '../graph.js';
import type { OpDef } from '../op_def.js';
import { Placeholder, unfedMessage } from '../ops/core.js';
import { VariableV2 } from '../ops/state.js';
import { staticOutputBytes } from './guards.js';
import { rewrite } from './rewrites/index.js';
import { nodeOf } from './rewrites/program.js';

/** How a step obtains input k. */
export const VALUE = 0; // from its slot
export const REF = 1; // a variable reference: the kernel gets nothing and uses the store
export const VARIABLE = 2; // the variable's value, read from the store when the step runs

export interface Step {
  readonly op: Operation;
  /** For RunMetadata: the op's name and type, or a fused node's (e.g. 'dense/MatMul+BiasAdd+Relu'). */
  readonly name: string;
  readonly type: string;
  readonly def: OpDef;
  readonly attrs: object;
  /** The graph tensor of each input (a rewritten node's inputs may differ from its op's). */
  readonly sources: readonly Tensor[];
  /** Slot of each input (VALUE inputs), in input order; -1 for the others. */
  readonly inputs: readonly number[];
  /** VALUE, REF or VARIABLE per input. */
  readonly kinds: readonly number[];
  /** True when some input is VARIABLE (its fresh read is freed after the step). */
  readonly readsVariables: boolean;
  /** Slot of each output, or -1 when nobody reads it (freed at once). */
  readonly outputs: readonly number[];
  /** Static shape to check each output against; null when it says nothing (unknown rank). */
  readonly checks: readonly (Shape | null)[];
  /** Slots whose last reader is this step. */
  readonly free: readonly number[];
  /** Bytes of its largest statically known output, checked against the memory limit before it runs. */
  readonly bytes: number;
}

export interface Plan {
  readonly steps: readonly Step[];
  readonly numSlots: number;
  readonly slotOf: ReadonlyMap<Tensor, number>;
  readonly graphVersion: number;
}

// Variables are not steps: their value lives in the session, and each consumer reads it when it
// runs, so an update ordered before the consumer (by control dependencies) is seen, as in TF.
export const readsVariable = (t: Tensor, fed: ReadonlySet<Tensor>): boolean =>
  t.op.def === VariableV2 && !fed.has(t);

export interface PlanOptions {
  /** Run the graph rewrites (API.md §8). */
  rewrites: boolean;
  backend: string;
}

/** Prunes, orders, rewrites and allocates slots. Throws when a needed placeholder is not fed. */
export function makePlan(
  fetchTensors: readonly Tensor[],
  fetchOps: readonly Operation[],
  fed: ReadonlySet<Tensor>,
  graphVersion: number,
  options: PlanOptions = { rewrites: false, backend: 'cpu' },
): Plan {
  const ops = [...collectNeeded(fetchTensors, fetchOps, fed)]
    .filter((op) => op.def !== VariableV2)
    .sort((a, b) => a.id - b.id);
  checkPlaceholdersFed(ops, fed);
  const program = {
    nodes: ops.map(nodeOf),
    pinned: new Set([...fed, ...fetchTensors]),
    fetchedOps: new Set([...fetchOps, ...ops.flatMap((op) => op.controlInputs)]),
    backend: options.backend,
  };
  const nodes = options.rewrites ? rewrite(program).nodes : program.nodes;

  const slotOf = new Map<Tensor, number>();
  const slot = (t: Tensor): number => {
    let s = slotOf.get(t);
    if (s === undefined) slotOf.set(t, (s = slotOf.size));
    return s;
  };
  for (const t of fed) slot(t);
  for (const t of fetchTensors) if (!readsVariable(t, fed)) slot(t);
  const lastReader = new Map<number, number>();
  const kindsOf = nodes.map((op, i) =>
    op.inputs.map((t, k) => {
      if (op.def.isRefInput(k)) return REF;
      if (readsVariable(t, fed)) return VARIABLE;
      lastReader.set(slot(t), i);
      return VALUE;
    }),
  );
  // Fetched values survive the loop: they are converted, then freed, after the last step.
  for (const t of fetchTensors) if (slotOf.has(t)) lastReader.delete(slotOf.get(t)!);

  const freeAt: number[][] = nodes.map(() => []);
  for (const [s, i] of lastReader) freeAt[i]!.push(s);
  const steps = nodes.map((op, i): Step => {
    const kinds = kindsOf[i]!;
    return {
      op: op.op,
      name: op.name,
      type: op.type,
      def: op.def,
      attrs: op.attrs,
      sources: op.inputs,
      inputs: op.inputs.map((t, k) => (kinds[k] === VALUE ? slotOf.get(t)! : -1)),
      kinds,
      readsVariables: kinds.includes(VARIABLE),
      outputs: op.outputs.map((t) => (fed.has(t) || !slotOf.has(t) ? -1 : slotOf.get(t)!)),
      checks: op.outputs.map((t) => t.shape),
      free: freeAt[i]!,
      bytes: staticOutputBytes(op),
    };
  });
  return { steps, numSlots: slotOf.size, slotOf, graphVersion };
}

function checkPlaceholdersFed(ops: readonly Operation[], fed: ReadonlySet<Tensor>): void {
  const missing = ops.filter((op) => op.def === Placeholder && !fed.has(op.outputs[0]!));
  if (missing.length === 0) return;
  const first = missing[0]!;
  const attrs = first.attrs as { dtype: DType; shape: Shape | null };
  const others = missing.slice(1).map((o) => `'${o.name}'`);
  throw new InvalidArgumentError(
    unfedMessage(first.outputs[0]!, attrs.dtype, attrs.shape) +
      (others.length ? ` (also unfed: ${others.join(', ')})` : ''),
    first,
  );
}

// Iterative, so a 100k-op chain does not overflow the stack.
const allFed = (op: Operation, fed: ReadonlySet<Tensor>): boolean =>
  op.outputs.length > 0 && op.outputs.every((t) => fed.has(t));

function collectNeeded(
  fetchTensors: readonly Tensor[],
  fetchOps: readonly Operation[],
  fed: ReadonlySet<Tensor>,
): Set<Operation> {
  const needed = new Set<Operation>();
  const stack: Operation[] = [...fetchOps];
  for (const t of fetchTensors) if (!fed.has(t)) stack.push(t.op);
  while (stack.length) {
    const op = stack.pop()!;
    if (needed.has(op)) continue;
    needed.add(op);
    for (const t of op.inputs) if (!fed.has(t) && !needed.has(t.op)) stack.push(t.op);
    // A control edge on an op whose outputs are all fed is satisfied by the feed, as in TF (a
    // fed placeholder under controlDependencies, e.g. tf.metrics.mean of a placeholder).
    for (const c of op.controlInputs) if (!needed.has(c) && !allFed(c, fed)) stack.push(c);
  }
  return needed;
}
