// Common-subexpression elimination: a pure node with the same op definition, attrs and inputs as
// an earlier one is dropped and the earlier one's outputs read instead. Stateful ops, variable
// reads (their value depends on when they run) and constants (cached per session anyway) stay.
import type { Tensor } from '../../graph.js';
import { Const } from '../../ops/const.js';
import { isVariable, type Node, type Pass, without } from './program.js';

// Identity of defs and tensors inside a key string.
const ids = new WeakMap<object, number>();
let nextId = 0;
const stableId = (x: object): number => {
  let id = ids.get(x);
  if (id === undefined) ids.set(x, (id = nextId++));
  return id;
};

function mergeable(n: Node): boolean {
  return (
    !n.def.stateful &&
    n.def !== Const &&
    n.inputs.every((t, k) => !n.def.isRefInput(k) && !isVariable(t)) &&
    n.outputs.length > 0
  );
}

function key(n: Node): string | null {
  let attrs: string;
  try {
    attrs = JSON.stringify(n.attrs);
  } catch {
    return null;
  }
  return `${stableId(n.def)}|${n.inputs.map((t) => stableId(t)).join(',')}|${attrs}`;
}

export const cse: Pass = (p) => {
  const seen = new Map<string, Node>();
  const removed = new Set<Node>();
  const subst = new Map<Tensor, Tensor>();
  const resolve = (t: Tensor): Tensor => subst.get(t) ?? t;
  for (const n of p.nodes) {
    if (!mergeable(n)) continue;
    // Inputs as rewritten so far, so chains of duplicates collapse in one pass.
    const k = key({ ...n, inputs: n.inputs.map(resolve) });
    if (k === null) continue;
    const first = seen.get(k);
    if (first === undefined) {
      seen.set(k, n);
      continue;
    }
    if (n.outputs.some((t) => p.pinned.has(t))) continue;
    removed.add(n);
    n.outputs.forEach((t, i) => subst.set(t, first.outputs[i]!));
  }
  return without(p, removed, subst);
};
