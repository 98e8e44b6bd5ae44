// What importGraphDef shares with the importers of function-calling nodes (If / While, whose
// bodies come from the GraphDef's function library): the import context and the registry of
// node importers keyed by op definition.
import type { Graph, Operation, Tensor } from '../graph.js';
import type { FunctionDef, NodeDef } from '../graph_def.js';
import type { OpDef } from '../op_def.js';

/** TensorList ops: TF's While keeps per-iteration values in them; they map onto our While's slots. */
export const TENSOR_LIST_OPS = new Set([
  'TensorListFromTensor',
  'TensorListReserve',
  'EmptyTensorList',
  'TensorListStack',
  'TensorListLength',
  'TensorListGetItem',
  'TensorListSetItem',
  'TensorListPushBack',
]);

/** The TensorList ops whose output is a list (a variant handle, a While's list loop variable). */
export const LIST_HANDLE_OPS = new Set([
  'TensorListFromTensor',
  'TensorListReserve',
  'EmptyTensorList',
  'TensorListSetItem',
  'TensorListPushBack',
]);

export interface ImportContext {
  /** The GraphDef's functions by name. */
  readonly functions: ReadonlyMap<string, FunctionDef>;
  /** The scope's nodes by name (a While importer reads its TensorList producers and consumers). */
  readonly nodes: ReadonlyMap<string, NodeDef>;
  /** Tensors standing for node outputs that are not ops here ('stack:0' → a While output). */
  readonly aliases: Map<string, Tensor>;
  /** Tensors of variant inputs, resolved by the While importer from their producers. */
  resolve(ref: string): Tensor;
}

/** Builds the op for a function-calling node from its (non-variant) inputs. */
export type NodeImporter = (
  graph: Graph,
  node: NodeDef,
  def: OpDef,
  inputs: readonly (Tensor | null)[],
  name: string,
  ctx: ImportContext,
) => Operation;

export const nodeImporters = new Map<OpDef, NodeImporter>();
