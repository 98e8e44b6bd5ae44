// Summary ops (TF's ScalarSummary, HistogramSummary, MergeSummary): graph ops whose output is a
// string scalar holding a serialized Summary protobuf, one char per byte (latin1), which
// FileWriter.addSummary accepts as fetched. Tags are the op's unique name-scoped name, as in TF.
import { notDifferentiable } from '@graphmode/autodiff';
import {
  checkOptions,
  constant,
  defineOp,
  formatShape,
  GraphKeys,
  getDefaultGraph,
  graphOf,
  InvalidArgumentError,
  lengthOf,
  NUMERIC,
  requireDtype,
  shapesCompatible,
  type Tensor,
  type TensorInput,
  toTensor,
  typeOf,
  ValueError,
} from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import {
  bytesToLatin1,
  decodeSummary,
  encodeSummary,
  type HistogramProto,
  latin1ToBytes,
  type SummaryValueProto,
} from './io/event_proto.js';

import { logger } from './logging.js';

const summaryTensor = (values: SummaryValueProto[]): tfc.Tensor =>
  tfc.scalar(bytesToLatin1(encodeSummary({ value: values })), 'string');

export const ScalarSummary = defineOp<'tags' | 'values'>({
  type: 'ScalarSummary',
  outputArgs: ['summary'],
  inputs: ['tags', 'values'],
  attrs: { T: typeOf('values') },
  shape: ({ tags, values }) => {
    requireDtype(tags, ['string'], 'tags');
    requireDtype(values, NUMERIC, 'values');
    if (!shapesCompatible(tags.shape, values.shape))
      throw new ValueError(
        `tags and values not the same shape: ${formatShape(tags.shape)} != ${formatShape(values.shape)}`,
      );
    return [];
  },
  dtype: () => 'string',
  kernel: ({ tags, values }) => {
    const names = tags.dataSync<'string'>();
    const nums = values.dataSync();
    return summaryTensor(names.map((tag, i) => ({ tag, simpleValue: nums[i]! })));
  },
});

// TF's default histogram buckets: ±1e-12 growing by 10% up to 1e20, then ±DBL_MAX, and 0.
let defaultLimits: number[] | null = null;
function bucketLimits(): number[] {
  if (defaultLimits) return defaultLimits;
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  pos.push(Number.MAX_VALUE);
  defaultLimits = [...pos.map((v) => -v).reverse(), 0, ...pos];
  return defaultLimits;
}

/** TF's Histogram::Add for every value, then EncodeToProto (runs of empty buckets collapsed). */
export function histogramOf(values: ArrayLike<number>): HistogramProto {
  const limits = bucketLimits();
  const counts = new Float64Array(limits.length);
  let [min, max, sum, sumSquares] = [Number.MAX_VALUE, -Number.MAX_VALUE, 0, 0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let lo = 0;
    let hi = limits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (limits[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[Math.min(lo, limits.length - 1)]++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
  }
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length; ) {
    let end = limits[i]!;
    let count = counts[i]!;
    i++;
    if (count <= 0) {
      while (i < counts.length && counts[i]! <= 0) {
        end = limits[i]!;
        count = counts[i]!;
        i++;
      }
    }
    bucketLimit.push(end);
    bucket.push(count);
  }
  if (bucket.length === 0) bucketLimit.push(Number.MAX_VALUE), bucket.push(0);
  return { min, max, num: values.length, sum, sumSquares, bucketLimit, bucket };
}

export const HistogramSummary = defineOp<'tag' | 'values'>({
  type: 'HistogramSummary',
  outputArgs: ['summary'],
  inputs: ['tag', 'values'],
  attrs: { T: typeOf('values', 'float32') },
  shape: ({ tag, values }) => {
    requireDtype(tag, ['string'], 'tag');
    requireDtype(values, NUMERIC, 'values');
    if (tag.shape !== null && tag.shape.length !== 0)
      throw new ValueError(`tags must be scalar, got ${formatShape(tag.shape)}`);
    return [];
  },
  dtype: () => 'string',
  kernel: ({ tag, values }, _, ctx) => {
    const data = values.dataSync();
    for (let i = 0; i < data.length; i++) {
      if (Number.isNaN(data[i]!))
        throw new InvalidArgumentError(`Nan in summary histogram for: ${ctx.op.name}`, ctx.op);
      if (!Number.isFinite(data[i]!))
        throw new InvalidArgumentError(`Infinity in summary histogram for: ${ctx.op.name}`, ctx.op);
    }
    const name = tag.dataSync<'string'>()[0]!;
    return summaryTensor([{ tag: name, histo: histogramOf(data) }]);
  },
});

export const MergeSummary = defineOp<never, Record<never, never>, 'inputs'>({
  type: 'MergeSummary',
  outputArgs: ['summary'],
  inputs: [],
  list: 'inputs',
  attrs: { N: lengthOf('inputs') },
  shape: ({ inputs }) => {
    if (inputs.length === 0) throw new ValueError('MergeSummary needs at least one input');
    for (const t of inputs) requireDtype(t, ['string'], 'inputs');
    return [];
  },
  dtype: () => 'string',
  kernel: ({ inputs }, _, ctx) => {
    const seen = new Set<string>();
    const parts: Uint8Array[] = [];
    for (const t of inputs) {
      for (const s of t.dataSync<'string'>()) {
        const bytes = latin1ToBytes(s);
        for (const v of decodeSummary(bytes).value) {
          if (seen.has(v.tag))
            throw new InvalidArgumentError(`Duplicate tag ${v.tag} found in summary inputs`, ctx.op);
          seen.add(v.tag);
        }
        parts.push(bytes);
      }
    }
    return tfc.scalar(bytesToLatin1(Buffer.concat(parts)), 'string');
  },
});

notDifferentiable(ScalarSummary, HistogramSummary, MergeSummary);

export interface SummaryOptions {
  /** Collections to add the summary to (default [GraphKeys.SUMMARIES]). */
  collections?: string[];
  /** A tag prefix shown as a TensorBoard tab. */
  family?: string;
}

// TF's clean_tag: characters outside [-/\w.] become '_', leading slashes go.
function cleanTag(name: string): string {
  const clean = name.replace(/[^-/\w.]/g, '_').replace(/^\/+/, '');
  if (clean !== name) logger().info(`Summary name ${name} is illegal; using ${clean} instead.`);
  return clean;
}

// Built in the graph of the summarized value (TF's name_scope(values=[tensor])), not the default one.
function summaryOp(
  name: string,
  value: TensorInput,
  opts: SummaryOptions,
  build: (tag: string, opName: string) => Tensor,
): Tensor {
  const graph = graphOf([value]) ?? getDefaultGraph();
  const clean = cleanTag(name);
  checkOptions('summary', opts, { collections: 'any', family: 'string' });
  const family = opts.family === undefined ? undefined : cleanTag(opts.family);
  const scoped = family === undefined ? clean : `${family}/${clean}`;
  const out = graph.asDefault(() =>
    graph.nameScope(scoped, (scope) => {
      const tag = family === undefined ? scope.slice(0, -1) : `${family}/${scope.slice(0, -1)}`;
      return build(tag, scope);
    }),
  );
  graph.addToCollections(opts.collections ?? [GraphKeys.SUMMARIES], out);
  return out;
}

/**
 * A Summary with one simple value: the scalar `t`, tagged with `name` under the current scope.
 * @example const s = summary.scalar('loss', loss); writer.addSummary(sess.run(s), step);
 */
export function scalar(name: string, t: TensorInput, opts: SummaryOptions = {}): Tensor {
  return summaryOp(name, t, opts, (tag, opName) =>
    ScalarSummary.apply(
      { tags: constant(tag, { dtype: 'string', name: 'tags' }), values: toTensor(t) },
      {},
      { name: opName },
    ),
  );
}

/**
 * A Summary with a histogram of `values` (TF's default exponential buckets). NaN or Inf fails the run.
 * @example summary.histogram('weights', w);
 */
export function histogram(name: string, values: TensorInput, opts: SummaryOptions = {}): Tensor {
  return summaryOp(name, values, opts, (tag, opName) =>
    HistogramSummary.apply(
      { tag: constant(tag, { dtype: 'string', name: 'tag' }), values: toTensor(values) },
      {},
      { name: opName },
    ),
  );
}

/** One Summary holding every value of `inputs` (a duplicate tag fails the run). */
export function merge(
  inputs: readonly Tensor[],
  opts: { name?: string; collections?: string[] } = {},
): Tensor {
  checkOptions('summary.merge', opts, { name: 'string', collections: 'any' });
  const graph = inputs[0]?.graph ?? getDefaultGraph();
  const out = graph.asDefault(() =>
    graph.nameScope(opts.name ?? 'Merge', () => MergeSummary.apply({ inputs: [...inputs] }, {})),
  );
  if (opts.collections) graph.addToCollections(opts.collections, out);
  return out;
}

/** Merges every summary in `key` (default GraphKeys.SUMMARIES); null when there is none. */
export function mergeAll(key: string = GraphKeys.SUMMARIES): Tensor | null {
  const all = getDefaultGraph().getCollection<Tensor>(key);
  return all.length === 0 ? null : merge(all);
}
