// The one-input-channel filter gradient (conv_filter_one_channel.ts) against TF's definition summed plainly:
// dF[r, q, 0, o] = Σ x[b, y·sh + r·dh - padTop, z·sw + q·dw - padLeft] · dy[b, y, z, o] (zero
// outside x), with TF's SAME/VALID windows. On cpu it runs its plain loops, on wasm its SIMD one
// (its plain loops too for 3 output channels).
import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { filterGradOneChannelWasm } from '../../../packages/graph/src/ops/conv_backprop.js';
import { oneChannelFilterGradFits } from '../../../packages/graph/src/ops/conv_filter_one_channel.js';
import { randomArray } from '../../helpers.js';

type Pad = 'SAME' | 'VALID';
const outSize = (n: number, k: number, s: number, p: Pad) =>
  p === 'SAME' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);

function reference(
  x: Float32Array,
  xs: number[],
  dy: Float32Array,
  ds: number[],
  k: number[],
  s: number[],
  d: number[],
  p: Pad,
) {
  const [n, h, w] = xs as [number, number, number];
  const [, oh, ow, co] = ds as [number, number, number, number];
  const [kh, kw] = k as [number, number];
  const before = (len: number, kk: number, st: number, o: number) =>
    p === 'SAME' ? Math.floor(Math.max((o - 1) * st + kk - len, 0) / 2) : 0;
  const pt = before(h, (kh - 1) * d[0]! + 1, s[0]!, oh);
  const pl = before(w, (kw - 1) * d[1]! + 1, s[1]!, ow);
  const out = new Float64Array(kh * kw * co);
  for (let r = 0; r < kh; r++)
    for (let q = 0; q < kw; q++)
      for (let b = 0; b < n; b++)
        for (let y = 0; y < oh; y++)
          for (let z = 0; z < ow; z++) {
            const [row, col] = [y * s[0]! + r * d[0]! - pt, z * s[1]! + q * d[1]! - pl];
            if (row < 0 || row >= h || col < 0 || col >= w) continue;
            const xv = x[(b * h + row) * w + col]!;
            for (let o = 0; o < co; o++)
              out[(r * kw + q) * co + o] += xv * dy[((b * oh + y) * ow + z) * co + o]!;
          }
  return out;
}

const cases: [number[], number[], number[], number[], Pad][] = [
  // x shape, filter [kh, kw, 1, co], strides, dilations, padding
  [[2, 9, 7, 1], [3, 2, 1, 8], [1, 1], [1, 1], 'SAME'],
  [[2, 9, 7, 1], [5, 5, 1, 16], [2, 1], [1, 1], 'SAME'],
  [[3, 8, 11, 1], [3, 3, 1, 8], [3, 2], [1, 1], 'VALID'],
  [[1, 12, 10, 1], [2, 3, 1, 8], [1, 1], [2, 3], 'SAME'],
  [[2, 12, 10, 1], [3, 2, 1, 3], [2, 2], [2, 1], 'VALID'],
  [[1, 6, 6, 1], [7, 1, 1, 8], [1, 1], [1, 1], 'SAME'],
];

describe.each(['cpu', 'wasm'])('one-channel filter gradient on %s', (backend) => {
  const previous = tfc.getBackend();
  afterAll(() => tfc.setBackend(previous));
  it.each(cases)('x %j filter %j strides %j dilations %j %s', async (xs, k, s, d, p) => {
    await tfc.setBackend(backend);
    const [oh, ow] = [0, 1].map((i) => outSize(xs[i + 1]!, (k[i]! - 1) * d[i]! + 1, s[i]!, p));
    const ds = [xs[0]!, oh!, ow!, k[3]!];
    const x = Float32Array.from(randomArray(xs, 'normal', 1).data as Float32Array);
    const dy = Float32Array.from(randomArray(ds, 'normal', 2).data as Float32Array);
    const got = tfc.tidy(() =>
      filterGradOneChannelWasm(
        tfc.tensor4d(x, xs as [number, number, number, number]),
        tfc.tensor4d(dy, ds as [number, number, number, number]),
        k as [number, number, number, number],
        s as [number, number],
        d as [number, number],
        p,
      ),
    );
    expect(got.shape).toEqual(k);
    const want = reference(x, xs, dy, ds, k, s, d, p);
    const values = got.dataSync();
    got.dispose();
    want.forEach((v, i) => expect(Math.abs(values[i]! - v)).toBeLessThan(1e-4 * (1 + Math.abs(v))));
  });
});

describe('oneChannelFilterGradFits', () => {
  it('takes one input channel, output channels in eights, some windows', () => {
    expect(oneChannelFilterGradFits([5, 5, 1, 32], [50, 28, 28, 32])).toBe(true);
    expect(oneChannelFilterGradFits([5, 5, 2, 32], [50, 28, 28, 32])).toBe(false);
    expect(oneChannelFilterGradFits([5, 5, 1, 12], [50, 28, 28, 12])).toBe(false);
    expect(oneChannelFilterGradFits([9, 9, 1, 8], [1, 256, 256, 8])).toBe(true);
    expect(oneChannelFilterGradFits([5, 5, 1, 8], [0, 28, 28, 8])).toBe(false);
  });
});
