// Constant folding: a pure node whose inputs are all constants in this plan, and whose value its
// definition's folding rule (`def.fold`, constant_value.ts) knows completely, becomes a Const
// node computing the same graph tensors. Runs first, as Grappler's constant folding does, so the
// nodes still are the graph's own ops and the folding rules (which read `op.inputs`) see the
// plan's inputs. As Grappler: stateful ops never fold, nor anything that reads a placeholder, a
// variable or a fed tensor (only Const nodes and already folded nodes count as constant), nor a
// fetched node; and no folded value above Grappler's size limit (kMaxConstantSize, 10 MiB in
// TF 1.15; the folding rules themselves stop at MAX_FOLD elements).
import { numElements } from '../../dtype.js';
import type { Tensor } from '../../graph.js';
import { NDArray } from '../../ndarray.js';
import { Const } from '../../ops/const.js';
import type { Node, Pass } from './program.js';

/** Grappler's limit on a folded constant, in bytes (constant_folding.cc, TF 1.15). */
export const MAX_FOLDED_BYTES = 10 * 1024 * 1024;

const TYPED = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** The value of `t` as a Const's NDArray, when its folding rule knows all of it; else null. */
function foldedValue(t: Tensor): NDArray | null {
  const array = TYPED[t.dtype as keyof typeof TYPED];
  const shape = t.shape;
  if (array === undefined || shape === null || shape.some((d) => d === null)) return null;
  const dims = shape as number[];
  const n = numElements(dims);
  if (n === null || n * 4 > MAX_FOLDED_BYTES) return null;
  const v = t.op.def.fold?.(t) ?? null;
  if (v === null || v.length !== n || v.some((x) => x === null)) return null;
  return new NDArray(t.dtype, [...dims], array.from(v as number[]));
}

function foldable(n: Node, constant: ReadonlySet<Tensor>, pinned: ReadonlySet<Tensor>): boolean {
  return (
    !n.def.stateful &&
    n.def !== Const &&
    n.outputs.length === 1 &&
    n.inputs.length > 0 &&
    n.inputs.every((t, k) => !n.def.isRefInput(k) && constant.has(t) && !pinned.has(t)) &&
    !pinned.has(n.outputs[0]!)
  );
}

export const fold: Pass = (p) => {
  const constant = new Set<Tensor>();
  let changed = false;
  const nodes = p.nodes.map((n): Node => {
    if (n.def === Const) {
      for (const t of n.outputs) constant.add(t);
      return n;
    }
    if (!foldable(n, constant, p.pinned)) return n;
    const value = foldedValue(n.outputs[0]!);
    if (value === null) return n;
    constant.add(n.outputs[0]!);
    changed = true;
    return { ...n, def: Const, attrs: { value }, inputs: [], type: Const.type };
  });
  return changed ? { ...p, nodes } : p;
};
