// The form graph rewrites work on: a run plan's ops in execution order as immutable nodes whose
// inputs and outputs are graph tensors. Passes are pure functions Program -> Program; removing a
// node substitutes one of its inputs for its output in every later node.
import type { Operation, Tensor } from '../../graph.js';
import type { OpDef } from '../../op_def.js';
import { Const } from '../../ops/const.js';
import { VariableV2 } from '../../ops/state.js';

export interface Node {
  /** The op whose context the kernel runs in (errors, per-op state); the first op of a fused chain. */
  readonly op: Operation;
  readonly def: OpDef;
  readonly attrs: object;
  readonly inputs: readonly Tensor[];
  /** The graph tensors this node computes (a fused node: its last op's outputs). */
  readonly outputs: readonly Tensor[];
  /** RunMetadata's name and type: the op's, or e.g. 'dense/MatMul+BiasAdd+Relu' for a fused node. */
  readonly name: string;
  readonly type: string;
}

export interface Program {
  readonly nodes: readonly Node[];
  /** Fetched and fed tensors: their values stay observable, so no pass rewrites them away. */
  readonly pinned: ReadonlySet<Tensor>;
  /** Ops fetched as Operations or named as control inputs: they run even if nothing reads them. */
  readonly fetchedOps: ReadonlySet<Operation>;
  readonly backend: string;
}

export type Pass = (p: Program) => Program;

export const nodeOf = (op: Operation): Node => ({
  op,
  def: op.def,
  attrs: op.attrs,
  inputs: op.inputs,
  outputs: op.outputs,
  name: op.name,
  type: op.type,
});

/** True for a variable's value read straight from the store (its value depends on when it is read). */
export const isVariable = (t: Tensor): boolean => t.op.def === VariableV2;

/** How many times each tensor is read by the program's nodes. */
export function readers(nodes: readonly Node[]): Map<Tensor, number> {
  const n = new Map<Tensor, number>();
  for (const node of nodes) for (const t of node.inputs) n.set(t, (n.get(t) ?? 0) + 1);
  return n;
}

/** The nodes with every input found in `subst` replaced (transitively) by its substitute. */
export function substitute(nodes: readonly Node[], subst: ReadonlyMap<Tensor, Tensor>): readonly Node[] {
  if (subst.size === 0) return nodes;
  const resolve = (t: Tensor): Tensor => {
    let u = t;
    for (let next = subst.get(u); next !== undefined; next = subst.get(u)) u = next;
    return u;
  };
  return nodes.map((n) => (n.inputs.some((t) => subst.has(t)) ? { ...n, inputs: n.inputs.map(resolve) } : n));
}

/** The value of a Const node's tensor as numbers, or null (not a Const, or not numeric). */
export function constNumbers(t: Tensor): readonly number[] | null {
  if (t.op.def !== Const) return null;
  const data = (t.op.attrs as { value?: { data?: unknown } }).value?.data;
  return data instanceof Float32Array || data instanceof Int32Array ? Array.from(data) : null;
}

/** Keeps the nodes for which `keep` holds, and substitutes; the common tail of removing passes. */
export function without(p: Program, removed: ReadonlySet<Node>, subst: ReadonlyMap<Tensor, Tensor>): Program {
  if (removed.size === 0) return p;
  return {
    ...p,
    nodes: substitute(
      p.nodes.filter((n) => !removed.has(n)),
      subst,
    ),
  };
}

/** Drops pure nodes that nothing reads, fetches or needs (left behind by the other passes). */
export const deadCode: Pass = (p) => {
  const reads = readers(p.nodes);
  const removed = new Set<Node>();
  for (let i = p.nodes.length - 1; i >= 0; i--) {
    const n = p.nodes[i]!;
    const live =
      n.def.stateful || p.fetchedOps.has(n.op) || n.outputs.some((t) => reads.has(t) || p.pinned.has(t));
    if (live || n.outputs.length === 0) continue;
    removed.add(n);
    for (const t of n.inputs) {
      const left = reads.get(t)! - 1;
      if (left === 0) reads.delete(t);
      else reads.set(t, left);
    }
  }
  return without(p, removed, new Map());
};
