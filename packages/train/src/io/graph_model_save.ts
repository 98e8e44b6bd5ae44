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
import { DATA_TYPE_OF, decodeMessage, encodeJson } from '@graphmode/graph/proto';
import * as tfc from '@tensorflow/tfjs-core';
import { replaceFile, serializeInDir } from './durable.js';

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
  const weights = constValues(frozen);
  const { data, specs } = await encodeWeightsOf(weights);
  const shards = splitShards(new Uint8Array(data));
  const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
  const model = {
    format: 'graph-model',
    generatedBy: GENERATED_BY,
    convertedBy: CONVERTED_BY,
    modelTopology: topologyJson(frozen),
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

function constValues(def: GraphDef): [string, NDArray][] {
  return def.node.filter((n) => n.op === 'Const').map((n) => [n.name, n.attr.value!.value as NDArray]);
}

async function encodeWeightsOf(weights: [string, NDArray][]) {
  const tensors = weights.map(([name, v]) => ({ name, tensor: tfc.tensor(v.data, v.shape, v.dtype) }));
  try {
    return await tfc.io.encodeWeights(tensors);
  } finally {
    for (const { tensor } of tensors) tensor.dispose();
  }
}

function splitShards(data: Uint8Array): Uint8Array[] {
  const shards: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += SHARD_BYTES) shards.push(data.subarray(at, at + SHARD_BYTES));
  return shards.length > 0 ? shards : [new Uint8Array(0)];
}

// The GraphDef as JSON, each Const's tensor reduced to its dtype and shape (its values are weights).
function topologyJson(def: GraphDef): Record<string, unknown> {
  const json = encodeJson('GraphDef', decodeMessage('GraphDef', encodeGraphDef(def)));
  for (const node of (json.node ?? []) as { op: string; attr?: Record<string, { tensor?: object }> }[]) {
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
    const info = { name: t.name, dtype: DATA_TYPE_OF[t.dtype], tensorShape: shapeOf(t) };
    out[key] = encodeJson('TensorInfo', info);
  }
  return out;
}

const shapeOf = (t: Tensor) =>
  t.shape === null ? { unknownRank: true } : { dim: t.shape.map((d) => ({ size: d ?? -1 })) };
