// Shared test helpers: seeded inputs, closeness checks against an eager tfjs oracle, leak checks.

import {
  type DType,
  type Graph,
  globalVariablesInitializer,
  NDArray,
  type Operation,
  Session,
  type Tensor,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Input domains, as JAX's rand_* helpers: respect each op's domain (log needs positives). */
export type Domain = 'normal' | 'positive' | 'unit' | 'nonzero' | 'int' | 'bool' | readonly [number, number];

/** Deterministic PRNG (mulberry32). */
export function rng(seed = 1): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(
  shape: readonly number[],
  domain: Domain = 'normal',
  seed = 1,
  dtype?: DType,
): NDArray {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const draw = (): number => {
    if (Array.isArray(domain)) return domain[0] + (domain[1] - domain[0]) * r();
    switch (domain) {
      case 'positive':
        return 0.2 + 2 * r();
      case 'unit':
        return -0.9 + 1.8 * r();
      case 'nonzero': {
        const v = 0.3 + 1.5 * r();
        return r() < 0.5 ? -v : v;
      }
      case 'int':
        return Math.floor(r() * 10) - 5;
      case 'bool':
        return r() < 0.5 ? 1 : 0;
      default:
        return gauss();
    }
  };
  const values = Array.from({ length: n }, draw);
  const d: DType = dtype ?? (domain === 'int' ? 'int32' : domain === 'bool' ? 'bool' : 'float32');
  const data =
    d === 'int32'
      ? Int32Array.from(values)
      : d === 'bool'
        ? Uint8Array.from(values)
        : Float32Array.from(values);
  return new NDArray(d, [...shape], data);
}

export const toTf = (a: NDArray): tf.Tensor => tf.tensor(a.data, a.shape, a.dtype);

/** Asserts `actual` equals the eager oracle value (shape, dtype and values within tol). */
export function expectClose(actual: NDArray, expected: tf.Tensor | NDArray, tol = 1e-5): void {
  const exp =
    expected instanceof NDArray
      ? expected
      : new NDArray(
          expected.dtype as DType,
          expected.shape.slice(),
          expected.dataSync().slice() as Float32Array,
        );
  expect(actual.shape).toEqual(exp.shape);
  expect(actual.dtype).toBe(exp.dtype);
  if (actual.dtype === 'string') {
    expect(actual.data).toEqual(exp.data);
    return;
  }
  const a = actual.data as ArrayLike<number>;
  const b = exp.data as ArrayLike<number>;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(y)) expect(x).toBeNaN();
    else if (!Number.isFinite(y)) expect(x).toBe(y);
    else if (Math.abs(x - y) > tol * (1 + Math.abs(y))) {
      throw new Error(`element ${i}: got ${x}, expected ${y} (tol ${tol}); shapes ${actual.shape}`);
    }
  }
}

/** Runs `fn` and asserts that tfjs holds no more tensors afterwards than before. */
export function expectNoLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** Runs `fetch` in a fresh session on `graph` and closes it. */
export function runOnce(graph: Graph, fetch: Tensor, feeds?: Map<Tensor, NDArray>): NDArray {
  const sess = new Session(graph);
  try {
    return sess.run(fetch, feeds);
  } finally {
    sess.close();
  }
}

/**
 * Initialises `graph`'s variables on `backend`, runs the stateful `update` three times (the
 * last two must leave no tensor behind) and returns `fetches` afterwards.
 */
export async function afterThreeUpdates(
  graph: Graph,
  backend: 'cpu' | 'wasm',
  update: Tensor | Operation,
  fetches: Tensor[],
): Promise<NDArray[]> {
  const sess = await Session.create(graph, { backend });
  try {
    sess.run(graph.asDefault(() => globalVariablesInitializer()));
    sess.run(update); // caches the session's constants
    const before = tf.memory().numTensors;
    for (let i = 1; i < 3; i++) sess.run(update);
    expect(tf.memory().numTensors - before).toBe(0);
    return sess.run(fetches);
  } finally {
    sess.close();
  }
}
