// Runs op-table rows on the 'onnxruntime' backend and on tfjs-cpu (which the table harnesses
// check against eager tfjs) and compares: forward values, and gradients of sum(y * w). It also
// asserts that every op with an ONNX lowering really ran in ONNX Runtime (an op onnxruntime
// refuses to load would silently fall back to tfjs otherwise).
import { gradients, IndexedSlices } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { engineOptions, loweringOf } from '@graphmode/onnx';
import { expect } from 'vitest';
import type { GradCase } from '../autodiff/harness.js';
import type { ForwardCase } from '../graph/ops/harness.js';
import { expectClose, randomArray } from '../helpers.js';

/**
 * Initialises the backend. Fallback ops run on tfjs-cpu here, the reference backend, so a
 * difference is always the lowering's (tfjs-wasm and -cpu disagree on some edge cases, such as
 * integer division by zero).
 */
export const ready = () => {
  engineOptions.tfjsBackend = 'cpu';
};

/** Op types that ran on tfjs in `md` (the rest ran inside ONNX segments). */
export function fallbackOps(graph: g.Graph, md: g.RunMetadata): g.Operation[] {
  return md.stepStats
    .filter((s) => s.opType !== 'OnnxSegment')
    .map((s) => graph.getOperationByName(s.nodeName));
}

/** Runs `fetches` on both backends, compares, checks lowered ops ran in ONNX; returns the fallbacks. */
export function compare(
  graph: g.Graph,
  fetches: readonly g.Tensor[],
  feeds: Map<g.Tensor, g.NDArray>,
  tol: number,
  name: string,
): g.Operation[] {
  const cpu = new g.Session(graph);
  const ort = new g.Session(graph, { backend: 'onnxruntime' });
  try {
    const expected = cpu.run([...fetches], feeds);
    const md = new g.RunMetadata();
    const got = ort.run([...fetches], feeds, { runMetadata: md });
    got.forEach((v, i) => {
      try {
        expectClose(v, expected[i]!, tol);
      } catch (e) {
        throw new Error(`${name}: fetch ${fetches[i]!.name}: ${(e as Error).message}`);
      }
    });
    const fallbacks = fallbackOps(graph, md);
    for (const op of fallbacks)
      expect(
        loweringOf(op),
        `${name}: ${op.type} op '${op.name}' has a lowering but ran on tfjs`,
      ).toBeUndefined();
    return fallbacks;
  } finally {
    cpu.close();
    ort.close();
  }
}

function inputs(c: { inputs: ForwardCase['inputs'] }, seed: number) {
  return c.inputs.map((s, i) => randomArray(s.shape, s.domain ?? 'normal', seed + i, s.dtype));
}
function placeholders(c: { inputs: ForwardCase['inputs'] }, values: g.NDArray[], prefix: string) {
  return c.inputs.map((s, i) =>
    g.placeholder(values[i]!.dtype, s.staticShape === undefined ? s.shape : s.staticShape, {
      name: `${prefix}${i}`,
    }),
  );
}

/** A forward row: y on both backends. */
export function checkForwardOnnx(c: ForwardCase, seed = 7): g.Operation[] {
  const values = inputs(c, seed);
  const graph = new g.Graph();
  const { phs, y } = graph.asDefault(() => {
    const phs = placeholders(c, values, 'in');
    return { phs, y: c.build(...phs) };
  });
  const feeds = new Map(phs.map((p, i) => [p, values[i]!]));
  return compare(graph, [y], feeds, c.tol ?? 1e-5, c.name);
}

/** A gradient row: the gradients of sum(y * w) for every differentiated input, on both backends. */
export function checkGradientOnnx(c: GradCase, seed = 11): g.Operation[] {
  const values = inputs(c, seed);
  const graph = new g.Graph();
  const built = graph.asDefault(() => {
    const phs = placeholders(c, values, 'x');
    const y = c.build(...phs);
    const w = g.placeholder('float32', null, { name: 'w' });
    const wrt = c.wrt ? [...c.wrt] : phs.flatMap((p, i) => (p.dtype === 'float32' ? [i] : []));
    const grads = gradients(
      [y],
      wrt.map((i) => phs[i]!),
      { gradYs: [w] },
    );
    return { phs, y, w, grads };
  });
  const feeds = new Map(built.phs.map((p, i) => [p, values[i]!]));
  const cpu = new g.Session(graph);
  const yv = cpu.run(built.y, feeds);
  cpu.close();
  feeds.set(built.w, randomArray(yv.shape, 'normal', seed + 100));
  const fetches = built.grads.flatMap((d) =>
    d === null ? [] : d instanceof IndexedSlices ? [d.values, d.indices] : [d],
  );
  return compare(graph, fetches, feeds, c.tol ?? 1e-4, `${c.name} (gradient)`);
}
