// Convolution and pooling, forward and gradient (Conv2DBackpropInput/Filter, MaxPoolGrad,
// AvgPoolGrad), on onnxruntime against tfjs-cpu: odd sizes, strides that do not divide, SAME
// and VALID, dilations, NCHW.
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GradCase } from '../autodiff/harness.js';
import { named } from '../op_table.js';
import { checkForwardOnnx, checkGradientOnnx, ready } from './harness.js';

type Pad = 'SAME' | 'VALID';
type Format = 'NHWC' | 'NCHW';
const win = (v: number, f: Format) => (f === 'NHWC' ? [1, v, v, 1] : [1, 1, v, v]);
const noEager = { eager: null };

// unknownBatch: the gradient's sizes come from Shape(x) at run time (TF's gradient graph for a
// placeholder with a None batch), not from a constant.
const input = (x: number[], unknownBatch: boolean) =>
  unknownBatch ? { shape: x, staticShape: [null, ...x.slice(1)] } : { shape: x };

function conv(
  name: string,
  x: number[],
  k: number[],
  s: number,
  p: Pad,
  d = 1,
  f: Format = 'NHWC',
  unknownBatch = false,
): GradCase {
  return {
    name,
    inputs: [input(x, unknownBatch), { shape: k }],
    build: (xx, kk) =>
      g.conv2d(xx, kk, { strides: win(s, f), padding: p, dilations: win(d, f), dataFormat: f }),
    ...noEager,
  };
}
function pool(
  name: string,
  kind: 'max' | 'avg',
  x: number[],
  k: number,
  s: number,
  p: Pad,
  unknownBatch = false,
): GradCase {
  const f = kind === 'max' ? g.maxPool : g.avgPool;
  return {
    name,
    inputs: [input(x, unknownBatch)],
    build: (xx) => f(xx, { ksize: k, strides: s, padding: p }),
    ...noEager,
  };
}

const rows: GradCase[] = [
  conv('conv 3x3 VALID', [2, 7, 6, 3], [3, 3, 3, 4], 1, 'VALID'),
  conv('conv 3x3 SAME stride 2 (odd size)', [2, 7, 7, 2], [3, 3, 2, 3], 2, 'SAME'),
  conv('conv 2x2 VALID stride 3 (stride does not divide)', [1, 8, 7, 2], [2, 2, 2, 2], 3, 'VALID'),
  conv('conv 5x5 SAME (mnist_deep layer)', [2, 9, 9, 1], [5, 5, 1, 4], 1, 'SAME'),
  conv('conv dilated 2 SAME', [1, 9, 8, 2], [3, 3, 2, 2], 1, 'SAME', 2),
  conv('conv NCHW SAME stride 2', [2, 3, 7, 6], [3, 3, 3, 2], 2, 'SAME', 1, 'NCHW'),
  conv('conv 5x5 SAME, unknown batch', [2, 7, 7, 3], [5, 5, 3, 4], 1, 'SAME', 1, 'NHWC', true),
  conv('conv 3x3 VALID stride 2, unknown batch', [2, 9, 8, 2], [3, 3, 2, 3], 2, 'VALID', 1, 'NHWC', true),
  pool('avgPool 2x2 stride 2 SAME, unknown batch', 'avg', [2, 7, 7, 3], 2, 2, 'SAME', true),
  pool('maxPool 2x2 stride 2 SAME, unknown batch', 'max', [2, 7, 7, 3], 2, 2, 'SAME', true),
  pool('maxPool 2x2 stride 2 SAME (odd size)', 'max', [2, 7, 7, 3], 2, 2, 'SAME'),
  pool('maxPool 3x3 stride 2 VALID', 'max', [1, 8, 9, 2], 3, 2, 'VALID'),
  pool('maxPool 2x2 stride 3 SAME (windows with gaps)', 'max', [2, 8, 7, 2], 2, 3, 'SAME'),
  pool('avgPool 2x2 stride 2 SAME (odd size)', 'avg', [2, 7, 7, 3], 2, 2, 'SAME'),
  pool('avgPool 3x3 stride 1 SAME', 'avg', [1, 6, 5, 2], 3, 1, 'SAME'),
  pool('avgPool 3x3 stride 2 VALID', 'avg', [1, 8, 9, 2], 3, 2, 'VALID'),
];

beforeAll(ready);

describe('conv and pool on onnxruntime', () => {
  it.each(named(rows))('forward %s', (_, c) => {
    expect(checkForwardOnnx({ ...c, eager: () => null as never })).toEqual([]);
  });
  it.each(named(rows))('gradient %s', (_, c) => {
    // Every forward and backprop op lowers: nothing runs on tfjs.
    expect(checkGradientOnnx(c).map((op) => op.type)).toEqual([]);
  });
});
