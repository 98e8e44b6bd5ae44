// Table-driven gradient checks. Each row builds y = f(xs) from placeholders; the harness takes
// gradients of sum(y * w) for a fixed random w (fed as gradYs, so dy is not all ones) and
// compares them with (a) eager tfjs gradients of the row's `eager` function and (b) central
// finite differences through our own forward pass. `secondOrder` also checks gradients of
// gradients against finite differences of the first-order gradient.

import { gradients, IndexedSlices } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { InputSpec } from '../graph/ops/harness.js';
import { expectClose, randomArray, toTf } from '../helpers.js';

export type GradInput = InputSpec;

export interface GradCase {
  name: string;
  inputs: readonly GradInput[];
  build: (...xs: g.Tensor[]) => g.Tensor;
  /** Eager tfjs equivalent for the tf.grads oracle; null when tfjs has no gradient for it. */
  eager: ((...xs: tf.Tensor[]) => tf.Tensor) | null;
  /** Indices of the inputs to differentiate (default: every float input). */
  wrt?: readonly number[];
  tol?: number;
  fdTol?: number;
  fdDelta?: number;
  /** Skip finite differences (e.g. a kink lies too close to the sampled points). */
  noFiniteDifferences?: boolean;
  secondOrder?: boolean;
}

interface Built {
  graph: g.Graph;
  phs: g.Tensor[];
  y: g.Tensor;
  w: g.Tensor;
  grads: (g.Tensor | IndexedSlices | null)[];
  wrt: number[];
}

function build(c: GradCase, values: g.NDArray[]): Built {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    const phs = c.inputs.map((s, i) =>
      g.placeholder(values[i]!.dtype, s.staticShape === undefined ? s.shape : s.staticShape, {
        name: `x${i}`,
      }),
    );
    const y = c.build(...phs);
    const w = g.placeholder('float32', null, { name: 'w' });
    const wrt = c.wrt ? [...c.wrt] : phs.flatMap((p, i) => (p.dtype === 'float32' ? [i] : []));
    const grads = gradients(
      [y],
      wrt.map((i) => phs[i]!),
      { gradYs: [w] },
    );
    return { graph, phs, y, w, grads, wrt };
  });
}

const feedsOf = (b: Built, values: readonly g.NDArray[], w?: g.NDArray) =>
  new Map<g.Tensor, g.NDArray>([
    ...b.phs.map((p, i) => [p, values[i]!] as [g.Tensor, g.NDArray]),
    ...(w ? [[b.w, w] as [g.Tensor, g.NDArray]] : []),
  ]);

/** Densifies an IndexedSlices result on the JS side (scatter-add rows). */
function dense(
  sess: g.Session,
  grad: g.Tensor | IndexedSlices,
  shape: readonly number[],
  feeds: Map<g.Tensor, g.NDArray>,
): g.NDArray {
  if (!(grad instanceof IndexedSlices)) return sess.run(grad, feeds);
  const [values, indices] = sess.run([grad.values, grad.indices], feeds);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const row = out.length / shape[0]!;
  const v = values.data as Float32Array;
  (indices.data as Int32Array).forEach((r, k) => {
    for (let j = 0; j < row; j++) out[r * row + j]! += v[k * row + j]!;
  });
  return new g.NDArray('float32', [...shape], out);
}

export function checkGradient(c: GradCase, seed = 11): void {
  const values = c.inputs.map((s, i) => randomArray(s.shape, s.domain ?? 'normal', seed + i, s.dtype));
  const b = build(c, values);
  const before = tf.memory().numTensors;
  const sess = new g.Session(b.graph);
  const yv = sess.run(b.y, feedsOf(b, values));
  const w = randomArray(yv.shape, 'normal', seed + 100);
  const feeds = feedsOf(b, values, w);
  const got = b.wrt.map((i, k) => {
    const grad = b.grads[k];
    expect(grad, `${c.name}: gradient for input ${i} is null`).not.toBeNull();
    if (grad instanceof g.Tensor) {
      expect(g.shapesCompatible(grad.shape, b.phs[i]!.shape), `${c.name}: static shape of grad ${i}`).toBe(
        true,
      );
    }
    return dense(sess, grad!, values[i]!.shape, feeds);
  });

  if (c.eager) {
    const eager = c.eager;
    const expected = tf.tidy(() => {
      const xs = values.map(toTf);
      const wt = toTf(w);
      const f = (...wrtXs: tf.Tensor[]) => {
        const args = xs.slice();
        b.wrt.forEach((i, k) => (args[i] = wrtXs[k]!));
        return tf.sum(tf.mul(eager(...args), wt));
      };
      return tf.grads(f)(b.wrt.map((i) => xs[i]!));
    });
    got.forEach((gv, k) => expectClose(gv, expected[k]!, c.tol ?? 1e-4));
    tf.dispose(expected);
  }
  if (!c.noFiniteDifferences) {
    const f = (vals: g.NDArray[]) => {
      const y = sess.run(b.y, feedsOf(b, vals)).data as Float32Array;
      let s = 0;
      for (let j = 0; j < y.length; j++) s += y[j]! * (w.data as Float32Array)[j]!;
      return s;
    };
    b.wrt.forEach((i, k) => checkFiniteDifferences(c, f, values, i, got[k]!));
  }
  if (c.secondOrder) checkSecondOrder(c, b, sess, values, w);
  sess.close();
  expect(tf.memory().numTensors, `${c.name}: tensors leaked`).toBe(before);
}

function checkFiniteDifferences(
  c: GradCase,
  f: (v: g.NDArray[]) => number,
  values: g.NDArray[],
  i: number,
  grad: g.NDArray,
  what = 'grad',
): void {
  const h = c.fdDelta ?? 1e-2;
  const x = values[i]!;
  const n = x.size;
  const picks =
    n <= 24 ? [...Array(n).keys()] : Array.from({ length: 24 }, (_, k) => Math.floor((k * n) / 24));
  for (const j of picks) {
    const at = (delta: number) => {
      const data = (x.data as Float32Array).slice();
      data[j]! += delta;
      const vals = values.slice();
      vals[i] = new g.NDArray('float32', x.shape, data);
      return f(vals);
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    const an = (grad.data as Float32Array)[j]!;
    const tol = c.fdTol ?? 2e-2;
    if (Math.abs(fd - an) > tol * (1 + Math.abs(fd))) {
      throw new Error(
        `${c.name}: ${what} of input ${i} element ${j}: analytic ${an} vs finite difference ${fd}`,
      );
    }
  }
}

function checkSecondOrder(c: GradCase, b: Built, sess: g.Session, values: g.NDArray[], w: g.NDArray): void {
  const i = b.wrt[0]!;
  const x = b.phs[i]!;
  const { v, hv, g1 } = b.graph.asDefault(() => {
    const g1 = gradients([b.y], [x], { gradYs: [b.w] })[0] as g.Tensor;
    const v = g.placeholder('float32', null, { name: 'v' });
    const hv = gradients([g1], [x], { gradYs: [v] })[0];
    return { v, hv, g1 };
  });
  expect(hv, `${c.name}: second-order gradient is null`).not.toBeNull();
  const vv = randomArray(values[i]!.shape, 'normal', 999);
  const feeds = feedsOf(b, values, w);
  feeds.set(v, vv);
  const hvv = sess.run(hv as g.Tensor, feeds);
  const f = (vals: g.NDArray[]) => {
    const fd = feedsOf(b, vals, w);
    const gv = sess.run(g1, fd).data as Float32Array;
    let s = 0;
    for (let j = 0; j < gv.length; j++) s += gv[j]! * (vv.data as Float32Array)[j]!;
    return s;
  };
  checkFiniteDifferences(c, f, values, i, hvv, 'second-order grad');
}

export { expectClose };
