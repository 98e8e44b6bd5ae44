// The wasm SIMD gemm (ops/gemm.ts, kernels.wat) against a float64 product computed here: every
// tile path (4×8 tiles, the last m mod 4 rows, the last n mod 8 columns), chunk boundaries of k
// (256), all four transpose combinations including the swapped form for a flagged b, the bias
// and relu epilogue (NaN kept), the places it must decline (cpu, int32, rank 3, empty), and that a
// wasm session's MatMul and _FusedMatMul run it rather than tfjs's matMul kernels.
import { biasAdd, constant, Graph, matMul, NDArray, placeholder, relu, Session } from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simdMatMul } from '../../../packages/graph/src/ops/gemm.js';

let previous: string;
beforeAll(async () => {
  previous = tf.getBackend();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend(previous);
});

let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const values = (n: number) => Float32Array.from({ length: n }, random);

/** op(a)·op(b) (+ bias, relu) in float64 from the float32 inputs. */
function reference(
  a: Float32Array,
  b: Float32Array,
  [m, n, k]: number[],
  ta: boolean,
  tb: boolean,
  bias?: Float32Array,
  relu = false,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m!; i++)
    for (let j = 0; j < n!; j++) {
      let s = 0;
      for (let p = 0; p < k!; p++) s += a[ta ? p * m! + i : i * k! + p]! * b[tb ? j * k! + p : p * n! + j]!;
      if (bias) s += bias[j]!;
      out.push(relu ? (s < 0 ? 0 : s) : s);
    }
  return out;
}

function expectClose(got: Float32Array, want: number[], k: number) {
  expect(got.length).toBe(want.length);
  const tol = 1e-6 * Math.sqrt(k) * 8;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) expect(got[i]).toBeNaN();
    else if (Math.abs(got[i]! - want[i]!) > tol * (1 + Math.abs(want[i]!)))
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function check([m, n, k]: number[], ta: boolean, tb: boolean, withBias = false, relu = false) {
  const [av, bv, biasv] = [values(m! * k!), values(k! * n!), values(n!)];
  const a = tf.tensor(av, ta ? [k!, m!] : [m!, k!]);
  const b = tf.tensor(bv, tb ? [n!, k!] : [k!, n!]);
  const bias = withBias ? tf.tensor(biasv, [n!]) : undefined;
  const before = tf.memory().numTensors;
  const y = simdMatMul(a, b, ta, tb, { bias, relu });
  expect(y).not.toBeNull();
  expect(y!.shape).toEqual([m, n]);
  // One new tensor (the result): the panel scratch and any transposes are gone.
  expect(tf.memory().numTensors).toBe(before + 1);
  expectClose(
    y!.dataSync() as Float32Array,
    reference(av, bv, [m!, n!, k!], ta, tb, withBias ? biasv : undefined, relu),
    k!,
  );
  tf.dispose([a, b, y!, ...(bias ? [bias] : [])]);
}

describe('simdMatMul on wasm', () => {
  // m mod 4 = 0..3, n mod 8 = 0..7 (n < 8: tail columns only), k around the 256 chunk.
  const shapes = [
    [4, 8, 1],
    [1, 1, 1],
    [5, 9, 3],
    [6, 10, 17],
    [7, 15, 256],
    [3, 7, 257],
    [64, 256, 784],
    [13, 20, 513],
  ];
  for (const s of shapes)
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const)
      it(`${s.join('×')} transposeA=${ta} transposeB=${tb}`, () => check(s, ta, tb));

  it('takes the swapped form for dy·Wᵀ with a wide W, and with both flags', () => {
    // n·k (1200·40) > m·k + m·n (3·40 + 3·1200): Cᵀ = W·dyᵀ, then transposed.
    check([3, 1200, 40], false, true);
    check([3, 1200, 40], true, true);
  });

  it('adds the bias after the sum and applies relu, keeping NaN', () => {
    for (const s of [
      [9, 19, 300],
      [4, 8, 5],
    ]) {
      check(s, false, false, true, true);
      check(s, true, false, true, false);
      check(s, false, true, true, true);
    }
    const a = tf.tensor([Number.NaN, 1, -1, 1], [2, 2]);
    const b = tf.tensor([1, 1, 1, 1], [2, 2]);
    const y = simdMatMul(a, b, false, false, { relu: true })!;
    const got = Array.from(y.dataSync());
    expect(got[0]).toBeNaN();
    expect(got.slice(2)).toEqual([0, 0]);
    tf.dispose([a, b, y]);
  });

  it('declines what it does not compute', async () => {
    const f = tf.ones([2, 3]);
    const g = tf.ones([3, 2]);
    expect(simdMatMul(tf.ones([2, 3], 'int32'), tf.ones([3, 2], 'int32'), false, false)).toBeNull();
    expect(simdMatMul(tf.ones([1, 2, 3]), g, false, false)).toBeNull();
    expect(simdMatMul(tf.ones([2, 0]), tf.ones([0, 2]), false, false)).toBeNull();
    expect(simdMatMul(f, g, false, false, { bias: tf.ones([3]) })).toBeNull();
    await tf.setBackend('cpu');
    expect(simdMatMul(tf.ones([2, 3]), tf.ones([3, 2]), false, false)).toBeNull();
    await tf.setBackend('wasm');
  });
});

describe('MatMul and _FusedMatMul on a wasm session', () => {
  it('run the gemm, not tfjs-wasm matMul kernels, and match the float64 product', async () => {
    const [xv, wv, bv] = [values(6 * 5), values(5 * 9), values(9)];
    const graph = new Graph();
    const { x, plain, fused, grad } = graph.asDefault(() => {
      const x = placeholder('float32', [6, 5]);
      const w = constant(new NDArray('float32', [5, 9], wv));
      return {
        x,
        plain: matMul(x, w, { transposeB: false }),
        fused: relu(biasAdd(matMul(x, w), constant(new NDArray('float32', [9], bv)))),
        grad: matMul(x, x, { transposeA: true }),
      };
    });
    const sess = await Session.create(graph, { backend: 'wasm' });
    const feeds = new Map([[x, new NDArray('float32', [6, 5], xv)]]);
    let outs: Float32Array[] = [];
    const info = await tf.profile(() => {
      outs = sess.run([plain, fused, grad], feeds).map((t) => t.data as Float32Array);
    });
    const kernels = info.kernels.map((k) => k.name);
    expect(kernels.filter((k) => /MatMul/i.test(k))).toEqual([]);
    expectClose(outs[0]!, reference(xv, wv, [6, 9, 5], false, false), 5);
    expectClose(outs[1]!, reference(xv, wv, [6, 9, 5], false, false, bv, true), 5);
    expectClose(outs[2]!, reference(xv, xv, [5, 5, 6], true, false), 6);
    sess.close();
  });
});
