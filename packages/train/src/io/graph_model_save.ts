// tfjs graph models (what tensorflowjs_converter writes for a frozen TF graph): `model.json` holds
// the frozen GraphDef in protobuf's proto3 JSON mapping (`modelTopology`), a `signature` of the
// inputs and outputs (TensorInfo by key), and a `weightsManifest`; every Const's value moves out
// of the graph into the weight shards (tfjs-core's weights format, `tf.io.encodeWeights`), as the
// converter does, split into files of at most 4 MB. @tensorflow/tfjs-converter's
// `loadGraphModel` reads the directory.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  convertVariablesToConstants,
  encodeGraphDef,
  type GraphDef,
  type NDArray,
  type Session,
  type Tensor,
  ValueError,
} from '@graphmode/graph';
import { DATA_TYPE_OF, decodeMessage, encodeJson, shapeMsg } from '@graphmode/graph/proto';
import { replaceFile, serializeInDir } from './durable.js';
import { encodeWeights } from './weights.js';

/** The converter's shard size: 4 MB. */
export const SHARD_BYTES = 4 * 1024 * 1024;
const GENERATED_BY = '1.15.0';
const CONVERTED_BY = 'graphmode saveGraphModel';

export interface GraphModelIO {
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
}

/**
 * Writes `sess`'s graph, frozen for inference from `io.inputs` to `io.outputs`, as a tfjs graph
 * model in `dir`: `model.json` plus `group1-shard<i>of<n>.bin` weight files.
 * @example await saveGraphModel(sess, 'out/model', { inputs: { x }, outputs: { probs } });
 */
export async function saveGraphModel(sess: Session, dir: string, io: GraphModelIO): Promise<void> {
  const outputs = Object.values(io.outputs);
  if (outputs.length === 0) throw new ValueError('saveGraphModel: io.outputs names no tensor');
  const frozen = convertVariablesToConstants(sess, sess.graph, [...new Set(outputs.map((t) => t.op.name))]);
  const names = new Set(frozen.node.map((n) => n.name));
  for (const [key, t] of Object.entries(io.inputs)) {
    if (!names.has(t.op.name))
      throw new ValueError(`saveGraphModel: input '${key}' (${t.name}) does not feed the outputs`);
  }
  const graphDef = withUniqueFunctionConsts(frozen);
  const { data, specs } = encodeWeights(constValues(graphDef));
  const shards = splitShards(data);
  const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
  const model = {
    format: 'graph-model',
    generatedBy: GENERATED_BY,
    convertedBy: CONVERTED_BY,
    modelTopology: topologyJson(graphDef),
    signature: { inputs: signatureOf(io.inputs), outputs: signatureOf(io.outputs) },
    weightsManifest: [{ paths, weights: specs }],
  };
  await mkdir(dir, { recursive: true });
  // Shards first, model.json last: a model.json on disk always names complete shards.
  await serializeInDir(dir, async () => {
    for (const [i, shard] of shards.entries())
      await replaceFile(join(dir, paths[i]!), [shard], 'graph-model-shard');
    await replaceFile(
      join(dir, 'model.json'),
      [new TextEncoder().encode(JSON.stringify(model))],
      'graph-model-json',
    );
  });
}

// Every Const, in the graph and in its functions, is a weight: tfjs-converter looks a function's
// constants up in the model's one weight map by node name, so they get names unique in the model.
function constValues(def: GraphDef): [string, NDArray][] {
  const nodes = [...def.node, ...(def.library?.function ?? []).flatMap((f) => f.nodeDef)];
  return nodes.filter((n) => n.op === 'Const').map((n) => [n.name, n.attr.value!.value as NDArray]);
}

/** Renames each function's Const nodes `<function>/<node>` (references in the body follow). */
function withUniqueFunctionConsts(def: GraphDef): GraphDef {
  if (def.library === undefined) return def;
  const used = new Set(def.node.map((n) => n.name));
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const functions = def.library.function.map((f) => {
    const renamed = new Map<string, string>();
    for (const n of f.nodeDef)
      if (n.op === 'Const') renamed.set(n.name, fresh(`${f.signature.name}/${n.name}`));
    const rename = (ref: string) => {
      const control = ref.startsWith('^');
      const [node, ...rest] = (control ? ref.slice(1) : ref).split(':');
      const to = renamed.get(node!);
      return to === undefined ? ref : `${control ? '^' : ''}${[to, ...rest].join(':')}`;
    };
    const nodeDef = f.nodeDef.map((n) => ({
      ...n,
      name: renamed.get(n.name) ?? n.name,
      input: n.input.map(rename),
    }));
    const ret = Object.fromEntries(Object.entries(f.ret).map(([k, v]) => [k, rename(v)]));
    return { ...f, nodeDef, ret };
  });
  return { ...def, library: { function: functions } };
}

function splitShards(data: Uint8Array): Uint8Array[] {
  const shards: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += SHARD_BYTES) shards.push(data.subarray(at, at + SHARD_BYTES));
  return shards.length > 0 ? shards : [new Uint8Array(0)];
}

type JsonNode = { op: string; attr?: Record<string, { tensor?: object }> };

// The GraphDef as JSON, each Const's tensor reduced to its dtype and shape (its values are weights).
function topologyJson(def: GraphDef): Record<string, unknown> {
  const json = encodeJson('GraphDef', decodeMessage('GraphDef', encodeGraphDef(def)));
  const fns = (json.library as { function?: { nodeDef?: JsonNode[] }[] } | undefined)?.function ?? [];
  for (const node of [...((json.node ?? []) as JsonNode[]), ...fns.flatMap((f) => f.nodeDef ?? [])]) {
    const tensor =
      node.op === 'Const' ? (node.attr?.value?.tensor as Record<string, unknown> | undefined) : undefined;
    if (tensor === undefined) continue;
    node.attr!.value!.tensor = { dtype: tensor.dtype, tensorShape: tensor.tensorShape ?? {} };
  }
  return json;
}

function signatureOf(ts: Record<string, Tensor>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, t] of Object.entries(ts)) {
    const info = { name: t.name, dtype: DATA_TYPE_OF[t.dtype], tensorShape: shapeMsg(t.shape) };
    out[key] = encodeJson('TensorInfo', info);
  }
  return out;
}
