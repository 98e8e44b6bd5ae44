// Loads a tfjs graph model (model.json + weight shards, as tensorflowjs_converter or
// saveGraphModel writes it) or a frozen GraphDef (.pb) into a new graphmode Graph through
// importGraphDef, keeping the model's node names. With `trainable`, weight constants become
// Variables initialized to their values, so the model can be fine-tuned with createTrainOp.
//
// Which constants are weights: a frozen TF variable is a Const read through an Identity named
// `<const>/read` (convert_variables_to_constants keeps that read); every such float32 Const
// becomes a Variable — non-trainable when it is batch norm's moving_mean / moving_variance, as in
// TF. A graph without that pattern (the converter may fold the reads away) makes every float32
// Const of rank >= 1 a trainable Variable.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  decodeGraphDef,
  Graph,
  type GraphDef,
  importGraphDef,
  type NDArray,
  type NodeDef,
  type Operation,
  type Tensor,
  ValueError,
  type Variable,
  variable,
} from '@graphmode/graph';
import { decodeJson, encodeMessage } from '@graphmode/graph/proto';
import { decodeWeights, type WeightSpec } from './weights.js';

export interface LoadedGraphModel {
  graph: Graph;
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
  /** The Variables made from weights (`trainable: true`); empty otherwise. */
  variables: Variable[];
}

interface ModelJson {
  format?: string;
  modelTopology?: object;
  signature?: { inputs?: Record<string, { name: string }>; outputs?: Record<string, { name: string }> };
  weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
}

/**
 * Imports a tfjs graph model directory (or its model.json, or a frozen GraphDef .pb file).
 * @example const { graph, inputs, outputs } = await loadGraphModel('out/model');
 */
export async function loadGraphModel(
  pathOrDir: string,
  opts: { trainable?: boolean } = {},
): Promise<LoadedGraphModel> {
  const path = (await stat(pathOrDir)).isDirectory() ? join(pathOrDir, 'model.json') : pathOrDir;
  const bytes = await readFile(path);
  const { def, signature } = path.endsWith('.pb')
    ? { def: decodeGraphDef(bytes), signature: undefined }
    : await fromModelJson(JSON.parse(bytes.toString('utf8')) as ModelJson, dirname(path));
  return build(def, signature, opts.trainable ?? false);
}

async function fromModelJson(model: ModelJson, dir: string) {
  if (model.format !== undefined && model.format !== 'graph-model') {
    throw new ValueError(`loadGraphModel: model.json has format '${model.format}', expected 'graph-model'`);
  }
  if (model.modelTopology === undefined)
    throw new ValueError("loadGraphModel: model.json has no 'modelTopology'");
  const def = decodeGraphDef(encodeMessage('GraphDef', decodeJson('GraphDef', model.modelTopology)));
  const weights = new Map<string, NDArray>();
  for (const group of model.weightsManifest ?? []) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dir, p))));
    for (const [name, w] of decodeWeights(new Uint8Array(Buffer.concat(shards)), group.weights))
      weights.set(name, w);
  }
  // A function body's constants are weights too (under their node names in the body).
  const withValues = (nodes: readonly NodeDef[]) =>
    nodes.map((n) => {
      const w = weights.get(n.name);
      return n.op === 'Const' && w !== undefined
        ? { ...n, attr: { ...n.attr, value: { type: 'tensor' as const, value: w } } }
        : n;
    });
  const library = def.library && {
    function: def.library.function.map((f) => ({ ...f, nodeDef: withValues(f.nodeDef) })),
  };
  return {
    def: { ...def, node: withValues(def.node), ...(library ? { library } : {}) },
    signature: model.signature,
  };
}

function build(def: GraphDef, signature: ModelJson['signature'], trainable: boolean): LoadedGraphModel {
  const graph = new Graph();
  const result: LoadedGraphModel = { graph, inputs: {}, outputs: {}, variables: [] };
  const weights = trainable ? weightNodes(def) : [];
  graph.asDefault(() => {
    const inputMap: Record<string, Tensor> = {};
    const variables = weights.map(({ node, read, trainable: t }) => {
      const v = variable(node.attr.value!.value as NDArray, { name: node.name, trainable: t });
      inputMap[`${node.name}:0`] = v.value();
      if (read) inputMap[`${read.name}:0`] = v.value();
      return v;
    });
    importGraphDef(def, { name: '', inputMap, skipMappedNodes: true });
    result.variables = variables;
  });
  const tensor = (name: string) => graph.getTensorByName(name.includes(':') ? name : `${name}:0`);
  if (signature?.inputs && signature.outputs) {
    for (const [k, info] of Object.entries(signature.inputs)) result.inputs[k] = tensor(info.name);
    for (const [k, info] of Object.entries(signature.outputs)) result.outputs[k] = tensor(info.name);
  } else {
    const ops = graph.getOperations();
    for (const op of ops.filter((o) => o.type === 'Placeholder')) result.inputs[op.name] = op.outputs[0]!;
    for (const op of ops.filter((o) => o.outputs.length > 0 && isSink(o)))
      result.outputs[op.name] = op.outputs[0]!;
  }
  return result;
}

const isSink = (op: Operation): boolean => op.outputs.every((t) => t.consumers.length === 0);

interface WeightNode {
  node: NodeDef;
  read: NodeDef | undefined;
  trainable: boolean;
}

function weightNodes(def: GraphDef): WeightNode[] {
  const byName = new Map(def.node.map((n) => [n.name, n] as const));
  const isFloatConst = (n: NodeDef) =>
    n.op === 'Const' && (n.attr.value?.value as NDArray | undefined)?.dtype === 'float32';
  const read = (n: NodeDef) => {
    const r = byName.get(`${n.name}/read`);
    return r?.op === 'Identity' && r.input[0] === n.name ? r : undefined;
  };
  const frozen = def.node.filter((n) => isFloatConst(n) && read(n) !== undefined);
  if (frozen.length > 0) {
    return frozen.map((node) => ({
      node,
      read: read(node),
      trainable: !/moving_(mean|variance)$/.test(node.name),
    }));
  }
  return def.node
    .filter((n) => isFloatConst(n) && (n.attr.value!.value as NDArray).shape.length > 0)
    .map((node) => ({ node, read: undefined, trainable: true }));
}
