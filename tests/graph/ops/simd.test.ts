// The SIMD module shipped in simd/binary.ts is exactly wabt's compilation of kernels.wat (so the
// readable source is what runs), and it instantiates over a memory as tfjs-wasm's would be.
import { describe, expect, it } from 'vitest';
import { SIMD_MODULE } from '../../../packages/graph/src/ops/simd/binary.js';
import { simdKernels } from '../../../packages/graph/src/ops/simd/index.js';
import { compiledSimd } from '../../../scripts/build_simd.js';

describe('SIMD kernels module', () => {
  it('is the compilation of kernels.wat (npx tsx scripts/build_simd.ts regenerates it)', async () => {
    expect(SIMD_MODULE).toBe(await compiledSimd());
  });

  it('runs Adam over views of the memory it was given, leaving the tail to the caller', () => {
    // (the project's typings have no DOM lib's WebAssembly.Memory)
    const { Memory } = (
      globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }
    ).WebAssembly;
    const memory = new Memory({ initial: 1 });
    const k = simdKernels(memory)!;
    const view = (at: number, n: number) => new Float32Array(memory.buffer, at * 4, n);
    const [x, m, v, g] = [0, 8, 16, 24].map((at) => view(at, 6));
    const outs = [32, 40, 48].map((at) => view(at, 6));
    x!.set([1, 2, 3, 4, 5, 6]);
    g!.set([0.5, -1, 2, 0, 3, -3]);
    v!.fill(1);
    const done = k.adam(x!, m!, v!, g!, outs, { s1: 0.1, s2: 0.001, p: 0, q: 1, alpha: 0.01, eps: 1e-8 });
    expect(done).toBe(4);
    const expected = [0, 1, 2, 3].map((i) => {
      const mi = Math.fround(0 + (g![i]! - 0) * 0.1);
      const vi = Math.fround(1 + (g![i]! ** 2 - 1) * 0.001);
      return [x![i]! - (mi * 0.01) / (Math.sqrt(vi) + 1e-8), mi, vi];
    });
    for (let i = 0; i < 4; i++) outs.forEach((o, j) => expect(o[i]).toBeCloseTo(expected[i]![j]!, 6));
    expect(Array.from(outs[0]!.subarray(4))).toEqual([0, 0]); // the tail is the caller's
  });
});
