// The input of a rewrite pass built from a small graph, for the rewrite tests.
import type * as g from '@graphmode/graph';
import { nodeOf, type Program } from '../../packages/graph/src/session/rewrites/program.js';

/** The program of everything `graph` holds (variables excluded, as in a plan), fetching `fetches`. */
export function program(graph: g.Graph, fetches: g.Tensor[], fed: g.Tensor[] = []): Program {
  const ops = graph.getOperations().filter((o) => o.type !== 'VariableV2');
  return {
    nodes: ops.map(nodeOf),
    pinned: new Set([...fetches, ...fed]),
    fetchedOps: new Set(),
    backend: 'cpu',
  };
}
