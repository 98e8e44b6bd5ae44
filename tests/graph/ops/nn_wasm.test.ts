// Every nn-family kernel (forward and backprop ops) on the wasm backend against the cpu backend,
// which the other nn tests check against eager tfjs. Odd sizes and SAME padding on purpose:
// that is where wasm's own MaxPoolGrad goes wrong.
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Domain, expectClose, randomArray } from '../../helpers.js';

interface Row {
  name: string;
  inputs: readonly { shape: number[]; domain?: Domain; dtype?: g.DType }[];
  build: (...xs: g.Tensor[]) => g.Tensor | g.Tensor[];
  tol?: number;
}

type Pad = 'SAME' | 'VALID';
const conv = (s: number, p: Pad, d = 1, dataFormat: 'NHWC' | 'NCHW' = 'NHWC') => {
  const win = (v: number) => (dataFormat === 'NHWC' ? [1, v, v, 1] : [1, 1, v, v]);
  return { strides: win(s), padding: p, dilations: win(d), dataFormat };
};
const pool = (k: number, s: number, p: Pad) => ({ ksize: k, strides: s, padding: p });
const S = [3, 5];
const act = (name: string, f: (x: g.Tensor) => g.Tensor, domain: Domain = 'normal'): Row => ({
  name,
  inputs: [{ shape: S, domain }],
  build: f,
});
const actGrad = (
  name: string,
  f: (dy: g.Tensor, x: g.Tensor) => g.Tensor,
  domain: Domain = [-3, 3],
): Row => ({ name, inputs: [{ shape: S }, { shape: S, domain }], build: f });
const xentOutputs = (op: g.Operation) => [op.outputs[0]!, op.outputs[1]!];

const rows: Row[] = [
  act('Relu', g.relu),
  act('Relu6', g.relu6, [-3, 9]),
  act('Elu', g.elu),
  act('Selu', g.selu),
  act('Softplus', g.softplus),
  act('Softsign', g.softsign),
  act('LeakyRelu', (x) => g.leakyRelu(x, { alpha: 0.1 })),
  actGrad('ReluGrad', g.reluGrad),
  actGrad('Relu6Grad', g.relu6Grad, [-3, 9]),
  actGrad('EluGrad', (dy, x) => g.eluGrad(dy, g.elu(x))),
  actGrad('SeluGrad', (dy, x) => g.seluGrad(dy, g.selu(x))),
  actGrad('SoftplusGrad', g.softplusGrad),
  actGrad('SoftsignGrad', g.softsignGrad),
  actGrad('LeakyReluGrad', (dy, x) => g.leakyReluGrad(dy, x, { alpha: 0.1 })),
  act('Softmax', g.softmax),
  act('LogSoftmax', g.logSoftmax),
  { name: 'Softmax rank 3, axis 1', inputs: [{ shape: [2, 3, 5] }], build: (x) => g.softmax(x, { axis: 1 }) },
  act('L2Loss', g.l2Loss),
  { name: 'BiasAdd NHWC', inputs: [{ shape: [2, 3, 5] }, { shape: [5] }], build: g.biasAdd },
  {
    name: 'BiasAdd NCHW',
    inputs: [{ shape: [2, 5, 3, 3] }, { shape: [5] }],
    build: (x, b) => g.biasAdd(x, b, { dataFormat: 'NCHW' }),
  },
  { name: 'BiasAddGrad NHWC', inputs: [{ shape: [2, 3, 5] }], build: (dy) => g.biasAddGrad(dy) },
  {
    name: 'BiasAddGrad NCHW',
    inputs: [{ shape: [2, 5, 3, 3] }],
    build: (dy) => g.biasAddGrad(dy, { dataFormat: 'NCHW' }),
  },
  {
    name: 'SoftmaxCrossEntropyWithLogits (both outputs)',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], domain: 'positive' }],
    build: (logits, labels) => xentOutputs(g.SoftmaxCrossEntropyWithLogits.applyOp({ logits, labels }, {})),
  },
  {
    name: 'SparseSoftmaxCrossEntropyWithLogits (both outputs)',
    inputs: [{ shape: [6, 5] }, { shape: [6], domain: [0, 5], dtype: 'int32' }],
    build: (logits, labels) =>
      xentOutputs(g.SparseSoftmaxCrossEntropyWithLogits.applyOp({ logits, labels }, {})),
  },
  {
    name: 'Conv2D SAME stride 2, odd sizes',
    inputs: [{ shape: [2, 7, 5, 3] }, { shape: [3, 3, 3, 4] }],
    build: (x, f) => g.conv2d(x, f, conv(2, 'SAME')),
    tol: 1e-4,
  },
  {
    name: 'Conv2D VALID dilations 2',
    inputs: [{ shape: [1, 8, 7, 2] }, { shape: [2, 3, 2, 3] }],
    build: (x, f) => g.conv2d(x, f, conv(1, 'VALID', 2)),
    tol: 1e-4,
  },
  {
    name: 'Conv2D SAME stride 2 dilations 2',
    inputs: [{ shape: [1, 9, 8, 2] }, { shape: [2, 3, 2, 3] }],
    build: (x, f) => g.conv2d(x, f, conv(2, 'SAME', 2)),
    tol: 1e-4,
  },
  {
    name: 'Conv2D NCHW',
    inputs: [{ shape: [2, 3, 7, 5] }, { shape: [3, 3, 3, 4] }],
    build: (x, f) => g.conv2d(x, f, conv(2, 'SAME', 1, 'NCHW')),
    tol: 1e-4,
  },
  ...(
    [
      ['SAME', 2, 1],
      ['VALID', 2, 1],
      ['SAME', 1, 2],
      ['VALID', 2, 2],
    ] as const
  ).flatMap(([p, s, d]): Row[] => {
    const x = [2, 7, 6, 3];
    const f = [3, 2, 3, 4];
    const probe = new g.Graph().asDefault(
      () =>
        g.conv2d(g.placeholder('float32', x), g.placeholder('float32', f), conv(s, p, d)).shape as number[],
    );
    const tag = `${p} stride ${s} dilations ${d}, odd sizes`;
    return [
      {
        name: `Conv2DBackpropInput ${tag}`,
        inputs: [{ shape: f }, { shape: probe }],
        build: (ff, dy) => g.conv2dBackpropInput(x, ff, dy, conv(s, p, d)),
        tol: 1e-4,
      },
      {
        name: `Conv2DBackpropFilter ${tag}`,
        inputs: [{ shape: x }, { shape: probe }],
        build: (xx, dy) => g.conv2dBackpropFilter(xx, f, dy, conv(s, p, d)),
        tol: 1e-4,
      },
      // One input channel: on wasm the SIMD patches and product (conv_filter_one_channel.ts); 8 and 16
      // output channels take its tiled product, 3 the plain loop.
      ...[8, 16, 3].map((co): Row => {
        const [x1, f1] = [
          [3, 9, 7, 1],
          [3, 2, 1, co],
        ];
        const probe1 = new g.Graph().asDefault(
          () =>
            g.conv2d(g.placeholder('float32', x1), g.placeholder('float32', f1), conv(s, p, d))
              .shape as number[],
        );
        return {
          name: `Conv2DBackpropFilter one input channel, ${co} out, ${tag}`,
          inputs: [{ shape: x1 }, { shape: probe1 }],
          build: (xx, dy) => g.conv2dBackpropFilter(xx, f1, dy, conv(s, p, d)),
          tol: 1e-4,
        };
      }),
    ];
  }),
  {
    name: 'MaxPool and AvgPool NCHW (between transposes)',
    inputs: [{ shape: [2, 3, 7, 5] }],
    build: (x) => {
      const o = { ksize: 3, strides: 2, padding: 'SAME', dataFormat: 'NCHW' } as const;
      return [g.maxPool(x, o), g.avgPool(x, o)];
    },
  },
  {
    name: 'Conv2DBackpropInput NCHW',
    inputs: [{ shape: [3, 3, 3, 4] }, { shape: [2, 4, 4, 3] }],
    build: (f, dy) => g.conv2dBackpropInput([2, 3, 7, 5], f, dy, conv(2, 'SAME', 1, 'NCHW')),
    tol: 1e-4,
  },
  {
    name: 'Conv2DBackpropFilter NCHW, one input channel',
    inputs: [{ shape: [2, 1, 7, 5] }, { shape: [2, 8, 4, 3] }],
    build: (x, dy) => g.conv2dBackpropFilter(x, [3, 3, 1, 8], dy, conv(2, 'SAME', 1, 'NCHW')),
    tol: 1e-4,
  },
  {
    name: 'Conv2DBackpropFilter NCHW',
    inputs: [{ shape: [2, 3, 7, 5] }, { shape: [2, 4, 4, 3] }],
    build: (x, dy) => g.conv2dBackpropFilter(x, [3, 3, 3, 4], dy, conv(2, 'SAME', 1, 'NCHW')),
    tol: 1e-4,
  },
  ...(
    [
      [3, 2, 'SAME', [2, 7, 5, 3]],
      [2, 2, 'SAME', [1, 5, 5, 2]],
      [3, 1, 'SAME', [1, 5, 4, 2]],
      [2, 2, 'VALID', [2, 7, 5, 3]],
      [3, 2, 'VALID', [1, 6, 6, 2]],
      // Channels in fours: wasm's MaxPoolGrad takes its SIMD loop (cpu keeps the JS one).
      [3, 2, 'SAME', [2, 7, 5, 4]],
      [3, 1, 'SAME', [1, 5, 4, 8]],
      [2, 2, 'VALID', [2, 7, 5, 4]],
      [2, 3, 'SAME', [1, 8, 7, 4]],
    ] as const
  ).flatMap(([k, s, p, x]): Row[] => {
    const o = pool(k, s, p);
    const tag = `${k}x${k} stride ${s} ${p} on [${x.join(',')}]`;
    const out = new g.Graph().asDefault(
      () => g.maxPool(g.placeholder('float32', [...x]), o).shape as number[],
    );
    return [
      { name: `MaxPool ${tag}`, inputs: [{ shape: [...x] }], build: (xx) => g.maxPool(xx, o) },
      { name: `AvgPool ${tag}`, inputs: [{ shape: [...x] }], build: (xx) => g.avgPool(xx, o) },
      {
        name: `MaxPoolGrad ${tag}`,
        inputs: [{ shape: [...x] }, { shape: out }],
        build: (xx, dy) => g.maxPoolGrad(xx, g.maxPool(xx, o), dy, o),
      },
      {
        name: `MaxPoolGradGrad ${tag}`,
        inputs: [{ shape: [...x] }, { shape: [...x] }],
        build: (xx, v) => g.maxPoolGradGrad(xx, g.maxPool(xx, o), v, o),
      },
      { name: `AvgPoolGrad ${tag}`, inputs: [{ shape: out }], build: (dy) => g.avgPoolGrad([...x], dy, o) },
    ];
  }),
  // Ties (a relu'd input is mostly zeros): the first maximum in row-major window order takes the gradient.
  ...(
    [
      [2, 2, 'SAME', [2, 14, 12, 5]],
      [3, 2, 'SAME', [1, 7, 6, 3]],
      [2, 2, 'SAME', [2, 14, 12, 8]],
      [3, 1, 'SAME', [1, 7, 6, 4]],
    ] as const
  ).flatMap(([k, s, p, x]): Row[] => {
    const o = pool(k, s, p);
    const out = new g.Graph().asDefault(
      () => g.maxPool(g.placeholder('float32', [...x]), o).shape as number[],
    );
    const tag = `${k}x${k} stride ${s} ${p} on relu([${x.join(',')}]) (ties)`;
    const ties = (xx: g.Tensor) => g.relu(g.sub(xx, 0.8));
    return [
      {
        name: `MaxPoolGrad ${tag}`,
        inputs: [{ shape: [...x] }, { shape: out }],
        build: (xx, dy) => g.maxPoolGrad(ties(xx), g.maxPool(ties(xx), o), dy, o),
      },
      {
        name: `MaxPoolGradGrad ${tag}`,
        inputs: [{ shape: [...x] }, { shape: [...x] }],
        build: (xx, v) => g.maxPoolGradGrad(ties(xx), g.maxPool(ties(xx), o), v, o),
      },
    ];
  }),
];

function runOn(backend: 'cpu' | 'wasm', row: Row): g.NDArray[] {
  const values = row.inputs.map((s, i) => randomArray(s.shape, s.domain ?? 'normal', 31 + i, s.dtype));
  const graph = new g.Graph();
  const { phs, ys } = graph.asDefault(() => {
    const phs = values.map((v, i) => g.placeholder(v.dtype, v.shape, { name: `in${i}` }));
    const y = row.build(...phs);
    return { phs, ys: Array.isArray(y) ? y : [y] };
  });
  const sess = new g.Session(graph, { backend });
  try {
    return sess.run(ys, new Map(phs.map((p, i) => [p, values[i]!])));
  } finally {
    sess.close();
  }
}

describe('nn kernels: wasm vs cpu', () => {
  beforeAll(async () => {
    (await g.Session.create(new g.Graph(), { backend: 'wasm' })).close();
  });
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_, row) => {
    const cpu = runOn('cpu', row);
    const wasm = runOn('wasm', row);
    wasm.forEach((w, i) => expectClose(w, cpu[i]!, row.tol ?? 1e-5));
  });
  it('covers every op type of the nn family', () => {
    const graph = new g.Graph();
    const types = new Set(
      graph.asDefault(() => {
        for (const r of rows) r.build(...r.inputs.map((s) => g.placeholder(s.dtype ?? 'float32', s.shape)));
        return graph.getOperations().map((o) => o.type);
      }),
    );
    const family = [
      ...['Relu', 'Relu6', 'Elu', 'Selu', 'Softplus', 'Softsign', 'LeakyRelu'].flatMap((t) => [
        t,
        `${t}Grad`,
      ]),
      ...['Softmax', 'LogSoftmax', 'L2Loss', 'BiasAdd', 'BiasAddGrad'],
      ...['SoftmaxCrossEntropyWithLogits', 'SparseSoftmaxCrossEntropyWithLogits'],
      ...['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
      ...['MaxPool', 'MaxPoolGrad', 'MaxPoolGradGrad', 'AvgPool', 'AvgPoolGrad'],
    ];
    expect(family.filter((t) => !types.has(t))).toEqual([]);
  });
});

describe('nn gradients on wasm', () => {
  it('trains-through a conv/pool/xent net the same as on cpu (filter grads included)', async () => {
    const graph = new g.Graph();
    const fetches = graph.asDefault(() => {
      const x = g.constant(randomArray([2, 7, 7, 3], 'normal', 5).toArray() as number[][][][]);
      const f1 = g.constant(randomArray([3, 3, 3, 4], 'normal', 6).toArray() as number[][][][]);
      const f2 = g.constant(randomArray([2, 2, 4, 5], 'normal', 7).toArray() as number[][][][]);
      const h = g.maxPool(g.relu(g.conv2d(x, f1, { strides: 2, padding: 'SAME' })), {
        ksize: 3,
        strides: 2,
        padding: 'SAME',
      });
      const logits = g.reduceMean(g.conv2d(h, f2, { padding: 'SAME', dilations: 2 }), [1, 2]);
      const loss = g.reduceSum(g.sparseSoftmaxCrossEntropyWithLogits({ labels: [1, 4], logits }));
      return gradients(loss, [x, f1, f2]) as g.Tensor[];
    });
    const cpu = new g.Session(graph);
    const want = cpu.run(fetches);
    cpu.close();
    const wasm = await g.Session.create(graph, { backend: 'wasm' });
    const got = wasm.run(fetches);
    wasm.close();
    got.forEach((v, i) => expectClose(v, want[i]!, 1e-4));
  });
});
