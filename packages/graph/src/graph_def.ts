// GraphDef snapshots: a frozen, plain-data picture of a graph (TF's `graph.as_graph_def()`), for
// serialization, diffing and tests. Attrs are in TF's form (TF names, TF types and values, read
// from each op definition's attr schema), so a snapshot and a decoded GraphDef look alike. Later
// graph growth never shows up in an earlier snapshot.
import { freeze } from 'immer';
import type { AttrType, AttrValue, TfDType } from './attr_schema.js';
import type { Shape } from './dtype.js';
import type { Graph } from './graph.js';
import { DefEmitter, FunctionLibrary } from './graph_def_emit.js';

export { nodeAttrs } from './graph_def_emit.js';

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
  /** The function library: the bodies of If / While ops (TF's FunctionDefLibrary). */
  readonly library?: FunctionDefLibrary;
}

/** An argument of a function's signature (OpDef.ArgDef with a fixed `type`). */
export interface ArgDef {
  readonly name: string;
  readonly type: TfDType;
}

/** TF's FunctionDef: a signature, the body's nodes, and which tensor each output is (`ret`). */
export interface FunctionDef {
  readonly signature: {
    readonly name: string;
    readonly inputArg: readonly ArgDef[];
    readonly outputArg: readonly ArgDef[];
    readonly isStateful?: boolean;
  };
  /** Body nodes; inputs name an argument (`x`) or a node output by TF output arg (`op:z:0`). */
  readonly nodeDef: readonly NodeDef[];
  /** Output arg name → the tensor it returns. */
  readonly ret: Readonly<Record<string, string>>;
}

export interface FunctionDefLibrary {
  readonly function: readonly FunctionDef[];
}

/**
 * TF 1.15's TF_GRAPH_DEF_VERSION (tensorflow/core/public/version.h), the producer version
 * `as_graph_def` writes: date-based since version 30 (2019/05/09), one per day, 134 at 1.15's
 * branch cut.
 */
export const GRAPH_DEF_PRODUCER = 134;
/** TF's TF_GRAPH_DEF_VERSION_MIN_CONSUMER: 0 in every TF release (proto3 leaves it out on the wire). */
export const GRAPH_DEF_MIN_CONSUMER = 0;

/**
 * A deeply frozen snapshot of `graph`'s ops in creation order, in TF's form: control flow as
 * TF's functional ops with their bodies in the function library (graph_def_emit.ts).
 * `functionsByName`: If / While as graphmode holds them, func attrs naming their function graphs,
 * no library (for TensorBoard, which only displays them).
 */
export function snapshotGraphDef(graph: Graph, functionsByName = false): GraphDef {
  const lib = new FunctionLibrary();
  const e = new DefEmitter(graph, lib, null, functionsByName);
  e.emitAll();
  return freeze(
    {
      node: e.nodes,
      versions: { producer: GRAPH_DEF_PRODUCER, minConsumer: GRAPH_DEF_MIN_CONSUMER },
      ...(lib.functions.length > 0 ? { library: { function: lib.functions } } : {}),
    },
    true,
  );
}
