import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../../helpers.js';
import { checkForward, type ForwardCase } from './harness.js';

type Pad = 'SAME' | 'VALID';
const lower = (p: Pad) => (p === 'SAME' ? 'same' : 'valid');

const conv = (
  name: string,
  x: number[],
  f: number[],
  o: { strides?: number; padding?: Pad; dilations?: number },
  staticX?: (number | null)[],
): ForwardCase => ({
  name,
  inputs: [{ shape: x, ...(staticX ? { staticShape: staticX } : {}) }, { shape: f }],
  build: (xx, ff) =>
    g.conv2d(xx, ff, {
      strides: [1, o.strides ?? 1, o.strides ?? 1, 1],
      padding: o.padding ?? 'VALID',
      dilations: [1, o.dilations ?? 1, o.dilations ?? 1, 1],
    }),
  eager: (xx, ff) =>
    tf.conv2d(
      xx as tf.Tensor4D,
      ff as tf.Tensor4D,
      o.strides ?? 1,
      lower(o.padding ?? 'VALID'),
      'NHWC',
      o.dilations ?? 1,
    ),
  ...(staticX
    ? { staticShape: [null, ...outShape(x, f, o.strides ?? 1, o.padding ?? 'VALID').slice(1)] }
    : {}),
  tol: 1e-4,
});

const pool = (name: string, kind: 'max' | 'avg', x: number[], k: number, s: number, p: Pad): ForwardCase => ({
  name,
  inputs: [{ shape: x }],
  build: (xx) =>
    (kind === 'max' ? g.maxPool : g.avgPool)(xx, { ksize: [1, k, k, 1], strides: [1, s, s, 1], padding: p }),
  eager: (xx) => (kind === 'max' ? tf.maxPool : tf.avgPool)(xx as tf.Tensor4D, k, s, lower(p)),
});

// The backprop ops against tfjs's own gradients of conv2d / the pools, as (x or sizes, dy) rows.
const convVjp = (
  xShape: number[],
  fShape: number[],
  s: number,
  p: Pad,
  wrt: 'input' | 'filter',
): ForwardCase => ({
  name: `conv2dBackprop${wrt === 'input' ? 'Input' : 'Filter'} s${s} ${p}`,
  inputs: [{ shape: wrt === 'input' ? fShape : xShape }, { shape: outShape(xShape, fShape, s, p) }],
  build: (other, dy) => {
    const opts = { strides: [1, s, s, 1], padding: p } as const;
    return wrt === 'input'
      ? g.conv2dBackpropInput(xShape, other, dy, opts)
      : g.conv2dBackpropFilter(other, fShape, dy, opts);
  },
  eager: (other, dy) => {
    const f = (x: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, lower(p)), dy));
    return wrt === 'input'
      ? tf.grad((x: tf.Tensor) => f(x, other))(tf.zeros(xShape))
      : tf.grad((w: tf.Tensor) => f(other, w))(tf.zeros(fShape));
  },
  tol: 1e-4,
});
function outShape(x: number[], f: number[], s: number, p: Pad): number[] {
  const o = (n: number, k: number) => (p === 'SAME' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s));
  return [x[0]!, o(x[1]!, f[0]!), o(x[2]!, f[1]!), f[3]!];
}

const cases: ForwardCase[] = [
  conv('conv2d VALID stride 1', [2, 5, 5, 3], [3, 3, 3, 4], {}),
  conv('conv2d SAME stride 2', [2, 7, 6, 3], [3, 3, 3, 2], { strides: 2, padding: 'SAME' }),
  conv('conv2d VALID stride 2 (odd fit)', [1, 8, 8, 2], [3, 2, 2, 3], { strides: 2 }),
  conv('conv2d SAME stride 3, 1x1 filter', [1, 7, 7, 2], [1, 1, 2, 3], { strides: 3, padding: 'SAME' }),
  conv('conv2d dilations 2 VALID', [1, 8, 8, 2], [3, 3, 2, 2], { dilations: 2 }),
  conv('conv2d dilations 2 SAME', [1, 7, 6, 2], [2, 3, 2, 2], { dilations: 2, padding: 'SAME' }),
  conv('conv2d unknown batch', [3, 5, 5, 2], [2, 2, 2, 2], {}, [null, 5, 5, 2]),
  {
    // tfjs rejects strides and dilations > 1 together; a VALID strided conv is the stride-1 conv subsampled.
    name: 'conv2d dilations 2 with strides 2 VALID',
    inputs: [{ shape: [1, 9, 8, 2] }, { shape: [2, 3, 2, 3] }],
    build: (x, f) => g.conv2d(x, f, { strides: [1, 2, 2, 1], dilations: [1, 2, 2, 1] }),
    eager: (x, f) => {
      const full = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid', 'NHWC', 2);
      return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [1, 2, 2, 1]);
    },
    tol: 1e-4,
  },
  {
    name: 'conv2d NCHW',
    inputs: [{ shape: [2, 3, 5, 5] }, { shape: [3, 3, 3, 4] }],
    build: (x, f) => g.conv2d(x, f, { strides: [1, 1, 2, 2], padding: 'SAME', dataFormat: 'NCHW' }),
    eager: (x, f) =>
      tf.transpose(
        tf.conv2d(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'),
        [0, 3, 1, 2],
      ),
    tol: 1e-4,
  },
  pool('maxPool 2x2 s2 VALID', 'max', [2, 6, 6, 3], 2, 2, 'VALID'),
  pool('maxPool 3x3 s2 SAME', 'max', [2, 7, 5, 3], 3, 2, 'SAME'),
  pool('maxPool 3x3 s1 VALID', 'max', [1, 5, 5, 2], 3, 1, 'VALID'),
  pool('avgPool 2x2 s2 VALID', 'avg', [2, 6, 6, 3], 2, 2, 'VALID'),
  pool('avgPool 3x3 s2 SAME', 'avg', [2, 7, 5, 3], 3, 2, 'SAME'),
  ...(['max', 'avg'] as const).map(
    (kind): ForwardCase => ({
      name: `${kind}Pool NCHW 3x3 s2 SAME`,
      inputs: [{ shape: [2, 3, 7, 5] }],
      build: (x) =>
        (kind === 'max' ? g.maxPool : g.avgPool)(x, {
          ksize: [1, 1, 3, 3],
          strides: [1, 1, 2, 2],
          padding: 'SAME',
          dataFormat: 'NCHW',
        }),
      eager: (x) =>
        tf.transpose(
          (kind === 'max' ? tf.maxPool : tf.avgPool)(
            tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D,
            3,
            2,
            'same',
          ),
          [0, 3, 1, 2],
        ),
    }),
  ),
  convVjp([2, 5, 5, 3], [3, 3, 3, 2], 1, 'VALID', 'input'),
  convVjp([2, 7, 6, 3], [3, 3, 3, 2], 2, 'SAME', 'input'),
  convVjp([2, 5, 5, 3], [3, 3, 3, 2], 1, 'VALID', 'filter'),
  convVjp([2, 7, 6, 3], [3, 3, 3, 2], 2, 'SAME', 'filter'),
  {
    name: 'maxPoolGrad 3x3 s2 SAME',
    inputs: [{ shape: [2, 7, 5, 3] }, { shape: [2, 4, 3, 3] }],
    build: (x, dy) => {
      const o = { ksize: 3, strides: 2, padding: 'SAME' } as const;
      return g.maxPoolGrad(x, g.maxPool(x, o), dy, o);
    },
    eager: (x, dy) =>
      tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 3, 2, 'same'), dy)))(x),
  },
  // Ties (a relu'd input is mostly zeros): TF routes each window's gradient to its first maximum.
  ...(
    [
      [2, 2, 'SAME', [2, 8, 6, 3]],
      [2, 2, 'VALID', [2, 7, 5, 3]],
      [3, 2, 'SAME', [2, 7, 6, 3]],
    ] as const
  ).map(([k, s, p, x]) => {
    const out = x.map((d, i) =>
      i === 1 || i === 2 ? (p === 'SAME' ? Math.ceil(d / s) : Math.ceil((d - k + 1) / s)) : d,
    );
    return {
      name: `maxPoolGrad ${k}x${k} s${s} ${p} on relu([${x.join(',')}]) (ties)`,
      inputs: [{ shape: [...x] }, { shape: out }],
      build: (xx: g.Tensor, dy: g.Tensor) => {
        const o = { ksize: k, strides: s, padding: p };
        const r = g.relu(g.sub(xx, 0.8));
        return g.maxPoolGrad(r, g.maxPool(r, o), dy, o);
      },
      eager: (xx: tf.Tensor, dy: tf.Tensor) =>
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, k, s, lower(p)), dy)))(
          tf.relu(tf.sub(xx, 0.8)),
        ),
    };
  }),
  {
    name: 'avgPoolGrad 2x2 s2 VALID',
    inputs: [{ shape: [2, 3, 3, 3] }],
    build: (dy) => g.avgPoolGrad([2, 6, 7, 3], dy, { ksize: 2, strides: 2 }),
    eager: (dy) =>
      tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(xx as tf.Tensor4D, 2, 2, 'valid'), dy)))(
        tf.zeros([2, 6, 7, 3]),
      ),
  },
  {
    // MaxPool is piecewise linear, so its directional derivative along `v` is exact for a small step.
    name: 'maxPoolGradGrad 2x2 s2 SAME',
    inputs: [{ shape: [2, 5, 5, 3] }, { shape: [2, 5, 5, 3] }],
    build: (x, v) => {
      const o = { ksize: 2, strides: 2, padding: 'SAME' } as const;
      return g.maxPoolGradGrad(x, g.maxPool(x, o), v, o);
    },
    eager: (x, v) => {
      const mp = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'same');
      return tf.div(tf.sub(mp(tf.add(x, tf.mul(v, 1e-3))), mp(x)), 1e-3);
    },
    tol: 2e-2,
  },
];

describe('conv and pool ops: forward vs eager tfjs', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => checkForward(c));

  it('avgPoolGrad with SAME padding divides by the in-bounds cell count (as TF)', () => {
    // 3x3 input, 2x2 windows, stride 2, SAME: windows hold 4, 2, 2 and 1 in-bounds cells.
    const graph = new g.Graph();
    const dx = graph.asDefault(() =>
      g.avgPoolGrad([1, 3, 3, 1], g.ones([1, 2, 2, 1]), { ksize: 2, strides: 2, padding: 'SAME' }),
    );
    const got = new g.Session(graph).run(dx);
    expectClose(got, tf.tensor([0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1], [1, 3, 3, 1]));
  });
});

describe('conv and pool ops: build-time errors', () => {
  const inGraph = (fn: () => void) => new g.Graph().asDefault(fn);
  it('conv2d checks ranks and the channel dims', () => {
    inGraph(() => {
      const x = g.placeholder('float32', [1, 5, 5, 3], { name: 'x' });
      expect(() => g.conv2d(x, g.placeholder('float32', [3, 3, 4, 2], { name: 'w' }))).toThrow(
        /Conv2D op 'Conv2D': input depth \(NHWC channel dim\) is 3 but the filter's in_channels \(HWIO dim 2\) is 4.*x:0: float32\[1,5,5,3\], w:0: float32\[3,3,4,2\]/,
      );
      expect(() =>
        g.conv2d(g.placeholder('float32', [5, 5, 3]), g.placeholder('float32', [3, 3, 3, 2])),
      ).toThrow(/input '.*' must be rank 4/);
      expect(() => g.conv2d(x, g.placeholder('float32', [7, 3, 3, 2]))).toThrow(
        /effective window size 7 exceeds/,
      );
      expect(() => g.conv2d(x, g.placeholder('int32', [3, 3, 3, 2]))).toThrow(g.TypeError);
    });
  });
  it('rejects strides, ksize and padding that TF rejects', () => {
    inGraph(() => {
      const x = g.placeholder('float32', [1, 5, 5, 3]);
      const w = g.placeholder('float32', [3, 3, 3, 2]);
      expect(() => g.conv2d(x, w, { strides: [2, 1, 1, 1] })).toThrow(
        /Conv2D: strides \[2,1,1,1\] is not supported in the batch/,
      );
      expect(() => g.conv2d(x, w, { strides: [1, 1, 1] })).toThrow(/1, 2 or 4 elements/);
      expect(() => g.maxPool(x, { ksize: [1, 2, 2, 2], strides: 1 })).toThrow(/MaxPool: ksize/);
      expect(() => g.avgPool(x, { ksize: 2, strides: 0 })).toThrow(/positive integers/);
      expect(() => g.maxPool(x, { ksize: 2, strides: 2, padding: 'FULL' as 'SAME' })).toThrow(
        /'SAME' or 'VALID'/,
      );
      expect(() => g.avgPool(x, { ksize: [1, 2, 2, 1], strides: 1, dataFormat: 'NCHW' })).toThrow(
        /AvgPool: ksize \[1,2,2,1\] is not supported in the batch and depth dimensions/,
      );
      expect(() => g.maxPool(x, { ksize: 2, strides: 1, dataFormat: 'NCWH' as 'NCHW' })).toThrow(
        /MaxPool: dataFormat must be 'NHWC' or 'NCHW'/,
      );
    });
  });
  it('infers pooled and strided shapes with unknown dims', () => {
    inGraph(() => {
      const xc = g.placeholder('float32', [null, 3, 7, null]);
      const yc = g.maxPool(xc, { ksize: 3, strides: 2, padding: 'SAME', dataFormat: 'NCHW', name: 'mp' });
      expect([yc.shape, yc.op.name, yc.op.inputs[0]!.op.type]).toEqual([[null, 3, 4, null], 'mp', 'MaxPool']);
      const x = g.placeholder('float32', [null, 7, null, 3]);
      expect(g.maxPool(x, { ksize: 3, strides: 2, padding: 'SAME' }).shape).toEqual([null, 4, null, 3]);
      expect(g.conv2d(x, g.placeholder('float32', [3, 3, 3, 8])).shape).toEqual([null, 5, null, 8]);
      expect(g.conv2d(x, g.placeholder('float32', null)).shape).toEqual([null, null, null, null]);
    });
  });
});
