// GraphDef snapshots: a frozen, plain-data picture of a graph (TF's `graph.as_graph_def()`), for
// serialization, diffing and tests. Attrs are in TF's form (TF names, TF types and values, read
// from each op definition's attr schema), so a snapshot and a decoded GraphDef look alike. Later
// graph growth never shows up in an earlier snapshot.
import { freeze } from 'immer';
import { type AttrType, type AttrValue, tfAttrValues } from './attr_schema.js';
import type { Shape } from './dtype.js';
import type { Graph, Operation } from './graph.js';

/** One TF attr: its TF type and value (a `func` attr holds the function's name). */
export interface TfAttr {
  readonly type: AttrType;
  readonly value: AttrValue;
}

export interface NodeDef {
  readonly name: string;
  /** The TF op type. */
  readonly op: string;
  /** Inputs as TF writes them: 'op' for output 0, 'op:1', and '^op' for control inputs. */
  readonly input: readonly string[];
  readonly device: string;
  /** TF's attrs by TF name (`T`, `transpose_a`, `_class`), as TF's op registry declares them. */
  readonly attr: Readonly<Record<string, TfAttr>>;
  /** Static output shapes (TF's `_output_shapes` attr); empty when unknown (a decoded node without it). */
  readonly outputShapes: readonly (Shape | null)[];
}

export interface GraphDef {
  readonly node: readonly NodeDef[];
  /** TF 1.15's GraphDef versions (producer 134; min_consumer 0, which proto3 leaves out). */
  readonly versions: { readonly producer: number; readonly minConsumer?: number };
  /**
   * The FunctionDefLibrary message of a decoded GraphDef, kept as protobuf's plain object so it
   * is written back unchanged; graphmode does not build function bodies from it.
   */
  readonly library?: Readonly<Record<string, unknown>>;
}

/** TF 1.15's TF_GRAPH_DEF_VERSION, the producer version `as_graph_def` writes. */
export const GRAPH_DEF_PRODUCER = 134;

/** The name of a function held by a func attr: a name already, or a function graph's name. */
const funcName = (f: unknown): string => (typeof f === 'string' ? f : (f as { name: string }).name);

/** TF's attrs of `op` (none for an op defined without a schema), plus `_class` for colocation. */
export function nodeAttrs(op: Operation): Record<string, TfAttr> {
  const attr: Record<string, TfAttr> = {};
  if (op.def.attrs !== null) {
    for (const [name, { type, value }] of tfAttrValues(op)) {
      if (type === 'func') attr[name] = { type, value: funcName(value) };
      else if (type === 'list(func)') attr[name] = { type, value: (value as unknown[]).map(funcName) };
      else attr[name] = { type, value };
    }
  }
  // TF records colocation (`colocate_with`) as the `_class` attr: ['loc:@op', ...].
  if (op.colocationGroups.length > 0) attr._class = { type: 'list(string)', value: op.colocationGroups };
  return attr;
}

const nodeDef = (op: Operation): NodeDef => ({
  name: op.name,
  op: op.type,
  input: [
    ...op.inputs.map((t) => (t.valueIndex === 0 ? t.op.name : t.name)),
    ...op.controlInputs.map((c) => `^${c.name}`),
  ],
  device: op.device,
  attr: nodeAttrs(op),
  outputShapes: op.outputs.map((t) => t.shape),
});

/** A deeply frozen snapshot of `graph`'s ops in creation order. */
export function snapshotGraphDef(graph: Graph): GraphDef {
  return freeze(
    { node: graph.getOperations().map(nodeDef), versions: { producer: GRAPH_DEF_PRODUCER } },
    true,
  );
}
