// TF's graph_util: `extract_sub_graph` (the nodes the destinations reach through data and control
// inputs, in the GraphDef's order) and `convert_variables_to_constants` (freeze: that subgraph
// with each variable replaced by a Const holding its value in the session; the variable's
// `/read` Identity keeps reading it, its Assign initializer is unreachable and so dropped).
import { TypeError, ValueError } from '../errors.js';
import type { Graph } from '../graph.js';
import type { GraphDef, NodeDef } from '../graph_def.js';
import { NDArray } from '../ndarray.js';
import type { Session } from '../session/session.js';
import { parseInput } from './import_graph_def.js';

/** The op name of a node name or tensor name ('x', 'x:0', '^x' → 'x'). */
const nodeName = (s: string): string => parseInput(s).op;

/**
 * The part of `graphDef` that `destNodes` (op names) need, in the original node order, with the
 * library and versions kept (TF's `extract_sub_graph`).
 */
export function extractSubGraph(graphDef: GraphDef, destNodes: string[]): GraphDef {
  if (!Array.isArray(destNodes)) throw new TypeError('dest_nodes must be a list.');
  const byName = new Map(graphDef.node.map((n) => [n.name, n] as const));
  for (const d of destNodes) {
    if (!byName.has(nodeName(d))) throw new ValueError(`${d} is not in graph`);
  }
  const keep = new Set<string>();
  const queue = destNodes.map(nodeName);
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (keep.has(name)) continue;
    keep.add(name);
    for (const input of byName.get(name)?.input ?? []) queue.push(nodeName(input));
  }
  return {
    node: graphDef.node.filter((n) => keep.has(n.name)),
    versions: graphDef.versions,
    ...(graphDef.library ? { library: graphDef.library } : {}),
  };
}

const VARIABLE_OPS = new Set(['Variable', 'VariableV2']);

/**
 * Freezes `graph` for inference (TF's `convert_variables_to_constants`): the subgraph that
 * `outputNodeNames` need, each variable in it a Const with its current value in `sess`.
 * @example const frozen = convertVariablesToConstants(sess, graph, ['softmax']);
 */
export function convertVariablesToConstants(
  sess: Session,
  graph: Graph,
  outputNodeNames: string[],
): GraphDef {
  const inference = extractSubGraph(graph.asGraphDef(), outputNodeNames);
  const variables = inference.node.filter((n) => VARIABLE_OPS.has(n.op));
  const values = variables.length > 0 ? sess.run(variables.map((v) => `${v.name}:0`)) : [];
  const frozen = new Map(variables.map((v, i) => [v.name, values[i]!] as const));
  return {
    ...inference,
    node: inference.node.map((n) => {
      const value = frozen.get(n.name);
      return value === undefined ? n : constNode(n, value);
    }),
  };
}

function constNode(variable: NodeDef, value: NDArray): NodeDef {
  return {
    name: variable.name,
    op: 'Const',
    input: [],
    device: '',
    attr: {
      dtype: variable.attr.dtype ?? { type: 'type', value: value.dtype },
      value: { type: 'tensor', value: new NDArray(value.dtype, [...value.shape], value.data) },
    },
    outputShapes: [value.shape],
  };
}
