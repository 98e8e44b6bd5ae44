// MetaGraphDef files (`<prefix>.meta`, tensorflow/core/protobuf/meta_graph.proto): the graph,
// an optional SaverDef and the collections TF's `export_meta_graph` writes — variable
// collections as VariableDef protos in a bytes_list, collections of ops and tensors (train_op,
// update_ops, losses…) as node_lists of names. Other collections hold JS values TF could not
// read and are left out, as TF skips what it cannot serialize.
//
// graphmode's Saver keeps no save/restore ops TF could run, so no SaverDef is written unless the
// caller passes one: TF's `import_meta_graph` then builds a fresh Saver over the imported
// variables, which restores our checkpoints.
import {
  encodeGraphDef,
  type Graph,
  GraphKeys,
  getDefaultGraph,
  Operation,
  Tensor,
  Variable,
} from '@graphmode/graph';
import { decodeMessage, encodeMessage } from '@graphmode/graph/proto';
import { replaceFile } from './durable.js';

/** TF's SaverDef fields (saver.proto), camelCase. */
export interface SaverDefLike {
  filenameTensorName?: string;
  saveTensorName?: string;
  restoreOpName?: string;
  maxToKeep?: number;
  sharded?: boolean;
  keepCheckpointEveryNHours?: number;
  /** 0 = LEGACY, 1 = V1, 2 = V2. */
  version?: number;
}

export const VARIABLE_COLLECTIONS = new Set<string>([
  GraphKeys.GLOBAL_VARIABLES,
  GraphKeys.TRAINABLE_VARIABLES,
  GraphKeys.LOCAL_VARIABLES,
  GraphKeys.MODEL_VARIABLES,
  GraphKeys.METRIC_VARIABLES,
  GraphKeys.MOVING_AVERAGE_VARIABLES,
  GraphKeys.GLOBAL_STEP,
]);

export interface VariableDefMsg {
  variableName?: string;
  initialValueName?: string;
  initializerName?: string;
  snapshotName?: string;
  trainable?: boolean;
}
export interface CollectionDefMsg {
  nodeList?: { value?: string[] };
  bytesList?: { value?: Uint8Array[] };
}
export interface MetaGraphDefMsg {
  graphDef?: object;
  saverDef?: SaverDefLike;
  collectionDef?: Record<string, CollectionDefMsg>;
}

const variableDef = (v: Variable): VariableDefMsg => ({
  variableName: v.name,
  initialValueName: v.initialValue.name,
  initializerName: v.initializer.name,
  snapshotName: v.value().name,
  trainable: v.trainable,
});

function collectionDef(key: string, items: readonly unknown[]): CollectionDefMsg | null {
  if (items.length === 0) return null;
  if (VARIABLE_COLLECTIONS.has(key) && items.every((x) => x instanceof Variable)) {
    return {
      bytesList: { value: items.map((v) => encodeMessage('VariableDef', variableDef(v as Variable))) },
    };
  }
  if (items.every((x) => x instanceof Operation || x instanceof Tensor)) {
    return { nodeList: { value: items.map((x) => (x as Operation | Tensor).name) } };
  }
  return null;
}

/** The MetaGraphDef bytes of `graph` (TF's `export_meta_graph`). */
export function encodeMetaGraph(graph: Graph, saverDef?: SaverDefLike): Uint8Array {
  const collectionDefs: Record<string, CollectionDefMsg> = {};
  for (const key of graph.getAllCollectionKeys()) {
    const def = collectionDef(key, graph.getCollection(key));
    if (def) collectionDefs[key] = def;
  }
  return encodeMessage('MetaGraphDef', {
    metaInfoDef: { tensorflowVersion: '1.15.0', tensorflowGitVersion: 'graphmode' },
    graphDef: decodeMessage('GraphDef', encodeGraphDef(graph)),
    ...(saverDef ? { saverDef } : {}),
    collectionDef: collectionDefs,
  });
}

/**
 * Writes `graph`'s MetaGraphDef (default: the default graph) to `path`, atomically.
 * @example await exportMetaGraph('/tmp/model.meta');
 */
export async function exportMetaGraph(
  path: string,
  opts: { graph?: Graph; saverDef?: SaverDefLike } = {},
): Promise<void> {
  await replaceFile(path, [encodeMetaGraph(opts.graph ?? getDefaultGraph(), opts.saverDef)], 'meta');
}
