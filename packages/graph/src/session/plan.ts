// An execution plan for one (feeds, fetches) signature: the ops the fetches need (pruned through
// data and control edges, stopping at fed tensors), in creation order, with a slot per live value
// and, per step, the slots whose last reader it is.

import type { DType, Shape } from '../dtype.js';
import { InvalidArgumentError } from '../errors.js';
import type { Operation, Tensor } from '../graph.js';
import { unfedMessage } from '../ops/core.js';

export interface Step {
  readonly op: Operation;
  /** Slot of each input, in input order. */
  readonly inputs: readonly number[];
  /** Slot of each output, or -1 when nobody reads it (freed at once). */
  readonly outputs: readonly number[];
  /** Slots whose last reader is this step. */
  readonly free: readonly number[];
}

export interface Plan {
  readonly steps: readonly Step[];
  readonly numSlots: number;
  readonly slotOf: ReadonlyMap<Tensor, number>;
  readonly graphVersion: number;
}

/** Prunes, orders and allocates slots. Throws when a needed placeholder is not fed. */
export function makePlan(
  fetchTensors: readonly Tensor[],
  fetchOps: readonly Operation[],
  fed: ReadonlySet<Tensor>,
): Plan {
  const needed = collectNeeded(fetchTensors, fetchOps, fed);
  const ops = [...needed].sort((a, b) => a.id - b.id);
  const missing = ops.filter((op) => op.type === 'Placeholder' && !fed.has(op.outputs[0]!));
  if (missing.length) {
    const first = missing[0]!;
    const attrs = first.attrs as { dtype: DType; shape: Shape | null };
    throw new InvalidArgumentError(
      `${unfedMessage(first.outputs[0]!, attrs.dtype, attrs.shape)}` +
        (missing.length > 1
          ? ` (also unfed: ${missing
              .slice(1)
              .map((o) => `'${o.name}'`)
              .join(', ')})`
          : ''),
      first,
    );
  }

  const slotOf = new Map<Tensor, number>();
  const slot = (t: Tensor): number => {
    let s = slotOf.get(t);
    if (s === undefined) slotOf.set(t, (s = slotOf.size));
    return s;
  };
  for (const t of fed) slot(t);
  for (const t of fetchTensors) slot(t);
  const lastReader = new Map<number, number>();
  ops.forEach((op, i) => {
    for (const t of op.inputs) lastReader.set(slot(t), i);
  });
  // Fetched values survive the loop: they are converted, then freed, after the last step.
  for (const t of fetchTensors) lastReader.delete(slotOf.get(t)!);

  const freeAt: number[][] = ops.map(() => []);
  for (const [s, i] of lastReader) freeAt[i]!.push(s);
  const steps = ops.map((op, i): Step => {
    const outputs = op.outputs.map((t) => (fed.has(t) || !slotOf.has(t) ? -1 : slotOf.get(t)!));
    return { op, inputs: op.inputs.map((t) => slotOf.get(t)!), outputs, free: freeAt[i]! };
  });
  return {
    steps,
    numSlots: slotOf.size,
    slotOf,
    graphVersion: fetchOps[0]?.graph.version ?? fetchTensors[0]?.graph.version ?? 0,
  };
}

// Iterative, so a 100k-op chain does not overflow the stack.
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
    for (const c of op.controlInputs) if (!needed.has(c)) stack.push(c);
  }
  return needed;
}
