// Splits a run plan into units: maximal segments of steps that lower to ONNX, and the steps that
// run on tfjs. A tfjs step that needs nothing from the open segment (no value, no control edge,
// no shared variable) runs before it, so it does not cut the segment in two — random
// initializers, for instance, all run first and every Assign lands in one model.
import type { Operation, Plan, Step, Tensor } from '@graphmode/graph';
import { VALUE } from '@graphmode/graph';

export type Group = { readonly segment: readonly Step[] } | { readonly step: Step };

/** Variables step `s` reads or updates (through reference or variable-read inputs). */
export function variablesOf(s: Step): Operation[] {
  const out: Operation[] = [];
  for (let k = 0; k < s.kinds.length; k++) if (s.kinds[k] !== VALUE) out.push(s.op.inputs[k]!.op);
  return out;
}

export function partition(plan: Plan, lowers: (s: Step) => boolean): Group[] {
  const groups: Group[] = [];
  let open: Step[] = [];
  let ops = new Set<Operation>();
  let vars = new Set<Operation>();
  const close = () => {
    if (open.length) groups.push({ segment: open });
    open = [];
    ops = new Set();
    vars = new Set();
  };
  for (const s of plan.steps) {
    if (lowers(s)) {
      open.push(s);
      ops.add(s.op);
      for (const v of variablesOf(s)) vars.add(v);
      continue;
    }
    const needsOpen =
      s.op.inputs.some((t: Tensor) => ops.has(t.op)) ||
      s.op.controlInputs.some((c) => ops.has(c)) ||
      variablesOf(s).some((v) => vars.has(v));
    if (needsOpen) close();
    groups.push({ step: s });
  }
  close();
  return groups;
}
