// Shared helpers of the control-flow tests (cond / whileLoop values and their gradients).
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { expect } from 'vitest';

/** Runs `fn` with a fresh graph as the default graph. */
export const inGraph = <T>(fn: (graph: g.Graph) => T): T => {
  const graph = new g.Graph();
  return graph.asDefault(() => fn(graph));
};

/** The gradient as a dense tensor; fails on null or IndexedSlices. */
export const dense = (x: unknown): g.Tensor => {
  if (!(x instanceof g.Tensor)) throw new Error(`expected a dense gradient, got ${x}`);
  return x;
};

/** d`y`/d`x` as a dense tensor. */
export const grad = (y: g.Tensor, x: g.Tensor, opts: Parameters<typeof gradients>[2] = {}): g.Tensor =>
  dense(gradients(y, x, opts)[0]);

export const int = (v: number): g.Tensor => g.constant(v, { dtype: 'int32' });
export const num = (a: g.NDArray): number => a.item() as number;
export const arr = (a: g.NDArray): number[] => Array.from(a.data as Float32Array);

/** Central differences of scalar `y` with respect to the value fed to `x`. */
export function finiteDiff(
  sess: g.Session,
  y: g.Tensor,
  x: g.Tensor,
  value: g.NDArray,
  feeds: [g.Tensor, g.TensorLike][] = [],
  h = 1e-2,
): number[] {
  const base = value.data as Float32Array;
  return Array.from(base, (_, i) => {
    const at = (d: number) => {
      const v = base.slice();
      v[i] = v[i]! + d;
      return sess.run(y, [...feeds, [x, new g.NDArray('float32', value.shape, v)]]).item() as number;
    };
    return (at(h) - at(-h)) / (2 * h);
  });
}

/** Elementwise |a − b| ≤ tol·(1 + |b|). */
export const expectAllClose = (a: readonly number[], b: readonly number[], tol = 2e-2): void => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!))));
};

/** xⁿ by repeated multiplication: (i, acc) ← (i + 1, acc·x) from (0, 1) while i < n. */
export function powerLoop(x: g.Tensor, n: g.Tensor): g.Tensor {
  const [, p] = g.whileLoop(
    (i: g.Tensor) => g.less(i, n),
    (i: g.Tensor, acc: g.Tensor) => [g.add(i, 1), g.mul(acc, x)],
    [int(0), g.constant(1)],
  );
  return p!;
}

/** `p` = xⁿ (powerLoop) of a fed float `x` and a fed int32 trip count `n`; `feeds` feeds both. */
export function fedPowerLoop(): {
  x: g.Tensor;
  n: g.Tensor;
  p: g.Tensor;
  feeds: (xv: number, nv: number) => [g.Tensor, g.TensorLike][];
} {
  const x = g.placeholder('float32', []);
  const n = g.placeholder('int32', []);
  return {
    x,
    n,
    p: powerLoop(x, n),
    feeds: (xv, nv) => [
      [x, xv],
      [n, nv],
    ],
  };
}

/** Counts i to 5, adding 1 to `v` per iteration; the iteration where i = `stop` fails (NaN check). */
export function countingLoop(v: g.Variable, stop: g.Tensor): g.Tensor {
  const [i] = g.whileLoop(
    (i: g.Tensor) => g.less(i, 5),
    (i: g.Tensor) => {
      const bump = v.assignAdd(1);
      const check = g.checkNumerics(
        g.div(g.constant(1), g.cast(g.sub(i, stop), 'float32')),
        'iteration failed',
      );
      return [g.withDependencies([bump, check], g.add(i, 1))];
    },
    [int(0)],
  );
  return i!;
}

/** cond(p): the true branch assigns 7 to `v` and then fails ('boom'); the false branch reads `v`. */
export const failingCond = (v: g.Variable, p: g.Tensor): g.Tensor =>
  g.cond(
    p,
    () => g.checkNumerics(g.div(v.assign(7), 0), 'boom'),
    () => g.identity(v.value()),
  ) as g.Tensor;
