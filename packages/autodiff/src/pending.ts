// Which ops lie between xs and ys, and how many gradient contributions each still waits for
// (TF's `_PendingCount`). Gradients only flow through float tensors: integer and bool tensors
// are constants to the differentiator.
import type { Operation, Tensor } from '@graphmode/graph';

export const isBackpropagatable = (t: Tensor): boolean => t.dtype === 'float32';

export interface Reach {
  /** Ops on a float path from some x to some y. */
  readonly between: ReadonlySet<Operation>;
  /** For each op in `between`: how many ops in `between` consume its outputs (per input edge). */
  readonly pending: Map<Operation, number>;
  /** The y ops reachable from the xs. */
  readonly reachableYs: ReadonlySet<Operation>;
}

export function pendingCounts(yOps: readonly Operation[], xOps: readonly Operation[]): Reach {
  const reached = new Set<Operation>();
  const queue = [...xOps];
  while (queue.length) {
    const op = queue.pop()!;
    if (reached.has(op)) continue;
    reached.add(op);
    for (const out of op.outputs) {
      if (isBackpropagatable(out)) for (const c of out.consumers) queue.push(c);
    }
  }
  const reachableYs = new Set(yOps.filter((op) => reached.has(op)));

  // Walk back from the ys through data inputs, keeping only reached ops.
  const between = new Set<Operation>();
  const back = [...yOps];
  while (back.length) {
    const op = back.pop()!;
    if (!reached.has(op) || between.has(op)) continue;
    between.add(op);
    for (const t of op.inputs) back.push(t.op);
  }
  const pending = new Map<Operation, number>();
  for (const op of between) {
    for (const t of op.inputs) if (between.has(t.op)) pending.set(t.op, (pending.get(t.op) ?? 0) + 1);
  }
  return { between, pending, reachableYs };
}

/** xs whose inputs receive no gradient from `between`, plus the explicit stop ops (TF's `_StopOps`). */
export function stopOps(
  xOps: readonly Operation[],
  stopGradientOps: readonly Operation[],
  pending: ReadonlyMap<Operation, number>,
): Set<Operation> {
  const stops = new Set<Operation>();
  for (const op of xOps) if (op.inputs.every((t) => (pending.get(t.op) ?? 0) === 0)) stops.add(op);
  for (const op of stopGradientOps) stops.add(op);
  return stops;
}
