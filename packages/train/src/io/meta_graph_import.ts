// importMetaGraph (TF's `tf.train.import_meta_graph`): a MetaGraphDef's graph imported into the
// default graph with its own names, its variable and op collections rebuilt, and a Saver over its
// global variables.
import { readFile } from 'node:fs/promises';
import {
  DataLossError,
  decodeGraphDef,
  type Graph,
  GraphKeys,
  getDefaultGraph,
  importGraphDef,
  Variable,
} from '@graphmode/graph';
import { decodeMessage, encodeMessage } from '@graphmode/graph/proto';
import { type MetaGraphDefMsg, VARIABLE_COLLECTIONS, type VariableDefMsg } from './meta_graph.js';
import { Saver } from './saver.js';

/**
 * Imports a MetaGraphDef's graph into the default graph with its names (TF's
 * `import_meta_graph`), rebuilds its variable and op collections, and returns a Saver for its
 * global variables.
 * @example const saver = await importMetaGraph('/tmp/ckpt/model.ckpt-100.meta'); await saver.restore(sess, prefix);
 */
export async function importMetaGraph(path: string): Promise<Saver> {
  let meta: MetaGraphDefMsg;
  try {
    meta = decodeMessage<MetaGraphDefMsg>('MetaGraphDef', await readFile(path));
  } catch (e) {
    throw new DataLossError(`importMetaGraph: ${path} is not a MetaGraphDef (${(e as Error).message})`);
  }
  const graph = getDefaultGraph();
  importGraphDef(decodeGraphDef(encodeMessage('GraphDef', meta.graphDef ?? {})), { name: '' });
  const variables = new Map<string, Variable>();
  for (const [key, def] of Object.entries(meta.collectionDef ?? {})) {
    for (const bytes of def.bytesList?.value ?? []) {
      if (!VARIABLE_COLLECTIONS.has(key)) break;
      const vd = decodeMessage<VariableDefMsg>('VariableDef', bytes);
      const name = vd.variableName ?? '';
      if (!variables.has(name)) variables.set(name, variableFrom(graph, vd));
      graph.addToCollection(key, variables.get(name));
    }
    for (const name of def.nodeList?.value ?? []) graph.addToCollection(key, graph.getByName(name));
  }
  const globals = [...variables.values()].filter((v) =>
    graph.getCollection(GraphKeys.GLOBAL_VARIABLES).includes(v),
  );
  return new Saver({ varList: globals, allowEmpty: true });
}

function variableFrom(graph: Graph, vd: VariableDefMsg): Variable {
  const ref = graph.getTensorByName(vd.variableName ?? '');
  const initializer = graph.getOperationByName(vd.initializerName ?? '');
  const initial = vd.initialValueName ? graph.getTensorByName(vd.initialValueName) : initializer.inputs[1]!;
  return new Variable(
    ref.op,
    initializer,
    initial,
    graph.getTensorByName(vd.snapshotName ?? ''),
    vd.trainable ?? false,
  );
}
