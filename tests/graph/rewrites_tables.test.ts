// Rewritten plans compute what unrewritten ones do (API.md §8): every row of the op tables, its
// forward value and its gradients, run with `rewrites: true` and `rewrites: false`, once with
// fed inputs and once with constant inputs (which constant folding may fold); plus dense and
// conv layers with each fusable activation, on cpu and wasm.
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, randomArray } from '../helpers.js';
import type { OpCase } from '../op_table.js';
import { arrayOps } from '../tables/array.js';
import { arraySourceOps } from '../tables/array_sources.js';
import { linalgOps } from '../tables/linalg.js';
import { mathOps } from '../tables/math.js';
import { nnOps } from '../tables/nn.js';
import { reduceOps } from '../tables/reduce.js';
import { slicingOps } from '../tables/slicing.js';

type Row = Pick<OpCase, 'name' | 'inputs' | 'build' | 'grad' | 'tol'>;

/** Ops the rewritten run executed as folded constants (a Const node standing for another op). */
let foldedOps = 0;

function runBoth(row: Row, backend: 'cpu' | 'wasm', constants = false): [g.NDArray[], g.NDArray[]] {
  const values = row.inputs.map((s, i) => randomArray(s.shape, s.domain ?? 'normal', 3 + i, s.dtype));
  const graph = new g.Graph();
  const { phs, fetches } = graph.asDefault(() => {
    const phs = values.map((v, i) =>
      constants ? g.constant(v, { name: `in${i}` }) : g.placeholder(v.dtype, v.shape, { name: `in${i}` }),
    );
    const y = row.build(...phs);
    const floats = phs.filter((p) => p.dtype === 'float32');
    const grads =
      row.grad === false || y.dtype !== 'float32' || floats.length === 0
        ? []
        : gradients(g.reduceSum(g.mul(y, y)), floats).filter((t): t is g.Tensor => t instanceof g.Tensor);
    return { phs, fetches: [y, ...grads] };
  });
  const feeds = new Map(constants ? [] : phs.map((p, i) => [p, values[i]!] as [g.Tensor, g.NDArray]));
  const run = (rewrites: boolean) => {
    const sess = new g.Session(graph, { backend, rewrites });
    try {
      const runMetadata = new g.RunMetadata();
      const out = sess.run(fetches, feeds, { runMetadata });
      const folded = runMetadata.stepStats.filter(
        (st) => st.opType === 'Const' && graph.getOperationByName(st.nodeName)?.type !== 'Const',
      );
      if (rewrites) foldedOps += folded.length;
      return out;
    } finally {
      sess.close();
    }
  };
  return [run(true), run(false)];
}

const tables: Row[] = [
  ...arrayOps,
  ...arraySourceOps,
  ...linalgOps,
  ...mathOps,
  ...nnOps,
  ...reduceOps,
  ...slicingOps,
];

const ACTS: [string, (x: g.Tensor) => g.Tensor][] = [
  ['none', (x) => x],
  ['relu', g.relu],
  ['relu6', g.relu6],
  ['elu', g.elu],
  ['leakyRelu', (x) => g.leakyRelu(x, { alpha: 0.3 })],
  ['sigmoid', g.sigmoid],
];
const layers: Row[] = ACTS.flatMap(([name, act]): Row[] => [
  {
    name: `dense + ${name}`,
    inputs: [{ shape: [4, 6] }, { shape: [6, 5] }, { shape: [5] }],
    build: (x, w, b) => act(g.biasAdd(g.matMul(x, w), b)),
  },
  {
    // Weights much larger than the batch: on wasm the fused kernel computes (Wᵀ·xᵀ)ᵀ + b.
    name: `dense, wide weights + ${name}`,
    inputs: [{ shape: [3, 512] }, { shape: [512, 256] }, { shape: [256] }],
    build: (x, w, b) => act(g.biasAdd(g.matMul(x, w), b)),
  },
  {
    name: `dense (transposed) + ${name}`,
    inputs: [{ shape: [6, 4] }, { shape: [5, 6] }, { shape: [5] }],
    build: (x, w, b) => act(g.biasAdd(g.matMul(x, w, { transposeA: true, transposeB: true }), b)),
  },
  {
    name: `dense of a transposed input + ${name}`,
    inputs: [{ shape: [6, 4] }, { shape: [6, 5] }, { shape: [5] }],
    build: (x, w, b) => act(g.biasAdd(g.matMul(g.transpose(x), w), b)),
  },
  {
    name: `conv2d SAME stride 2 + ${name}`,
    inputs: [{ shape: [2, 7, 6, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
    build: (x, f, b) => act(g.biasAdd(g.conv2d(x, f, { strides: 2, padding: 'SAME' }), b)),
    tol: 1e-4,
  },
]);

describe('rewrites keep results (cpu)', () => {
  it.each(tables.map((r) => [r.name, r] as const))('%s', (_, row) => {
    const [on, off] = runBoth(row, 'cpu');
    on.forEach((v, i) => expectClose(v, off[i]!, row.tol ?? 1e-5));
  });
});

describe('rewrites keep results with constant inputs (cpu)', () => {
  it.each(tables.map((r) => [r.name, r] as const))('%s', (_, row) => {
    const [on, off] = runBoth(row, 'cpu', true);
    on.forEach((v, i) => expectClose(v, off[i]!, row.tol ?? 1e-5));
  });
  it('folded some of those ops (shapes, casts, packs, slices of constants)', () => {
    expect(foldedOps).toBeGreaterThan(200);
  });
});

describe('fused layers keep results', () => {
  beforeAll(async () => {
    (await g.Session.create(new g.Graph(), { backend: 'wasm' })).close();
  });
  for (const backend of ['cpu', 'wasm'] as const) {
    it.each(layers.map((r) => [r.name, r] as const))(`${backend}: %s`, (_, row) => {
      const [on, off] = runBoth(row, backend);
      on.forEach((v, i) => expectClose(v, off[i]!, row.tol ?? 1e-5));
    });
  }
});
