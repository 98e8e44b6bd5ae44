// Reading a saveGraphModel directory the way the graph-model tests check it: model.json as
// parsed JSON, and an IOHandler that gives @tensorflow/tfjs-converter's loadGraphModel the
// directory (model.json as its loader sees it, weight shards joined).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';

export const tempDir = (prefix = 'graph-model-'): string => mkdtempSync(join(tmpdir(), prefix));

export interface ModelJson {
  format: string;
  modelTopology: {
    node: { name: string; op: string; attr?: Record<string, unknown> }[];
    library?: { function: { signature: { name: string }; nodeDef: { name: string; op: string }[] }[] };
  };
  signature: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export const readModel = (dir: string): ModelJson =>
  JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;

export function dirHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const m = readModel(dir);
      const shards = m.weightsManifest.flatMap((grp) => grp.paths.map((p) => readFileSync(join(dir, p))));
      return {
        modelTopology: m.modelTopology,
        format: m.format,
        signature: m.signature,
        weightSpecs: m.weightsManifest.flatMap((grp) => grp.weights),
        weightData: new Uint8Array(Buffer.concat(shards)).buffer,
      };
    },
  };
}
