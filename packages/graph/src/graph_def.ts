// GraphDef snapshots: a frozen, plain-data picture of a graph (TF's `graph.as_graph_def()`), for
// serialization, diffing and tests. Later graph growth never shows up in an earlier snapshot.
import { freeze } from 'immer';
import type { Shape } from './dtype.js';
import type { Graph, Operation } from './graph.js';

export interface NodeDef {
  readonly name: string;
  /** The TF op type. */
  readonly op: string;
  /** Inputs as TF writes them: 'op' for output 0, 'op:1', and '^op' for control inputs. */
  readonly input: readonly string[];
  readonly device: string;
  readonly attr: Readonly<Record<string, unknown>>;
  readonly outputShapes: readonly (Shape | null)[];
}

export interface GraphDef {
  readonly node: readonly NodeDef[];
  /** TF 1.15's GraphDef producer version. */
  readonly versions: { readonly producer: number };
}

export const GRAPH_DEF_PRODUCER = 134;

const nodeDef = (op: Operation): NodeDef => ({
  name: op.name,
  op: op.type,
  input: [
    ...op.inputs.map((t) => (t.valueIndex === 0 ? t.op.name : t.name)),
    ...op.controlInputs.map((c) => `^${c.name}`),
  ],
  device: op.device,
  attr: Object.fromEntries(Object.entries(op.attrs) as [string, unknown][]),
  outputShapes: op.outputs.map((t) => t.shape),
});

/** A deeply frozen snapshot of `graph`'s ops in creation order. */
export function snapshotGraphDef(graph: Graph): GraphDef {
  return freeze(
    { node: graph.getOperations().map(nodeDef), versions: { producer: GRAPH_DEF_PRODUCER } },
    true,
  );
}
