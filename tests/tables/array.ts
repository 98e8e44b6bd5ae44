// Array rows (reshapes, permutations, joins, broadcasts; sources live in array_sources.ts,
// slicing in slicing.ts) for the forward and gradient harnesses, see tests/op_table.ts. The squared
// variants at the end exist for second-order gradients only.

import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import type { OpCase } from '../op_table.js';
import { arraySourceOps } from './array_sources.js';
import { slicingOps } from './slicing.js';

/** `square(f(x))`: a linear op made nonlinear, so second order exercises the rule's own gradient. */
const squared = (c: OpCase): OpCase => {
  const eager = c.grad === false || c.grad?.eager === undefined ? c.eager : c.grad.eager;
  return {
    ...c,
    name: `${c.name} (squared, 2nd order)`,
    build: (...xs) => g.square(c.build(...xs)),
    eager: (...xs) => tf.square(c.eager(...xs)),
    forward: false,
    grad: {
      ...(c.grad || {}),
      eager: eager ? (...xs) => tf.square(eager(...xs)) : null,
      secondOrder: true,
    },
  };
};

const rows: OpCase[] = [
  ...arraySourceOps,
  // reshapes
  {
    name: 'reshape -1',
    inputs: [{ shape: [2, 6] }],
    build: (x) => g.reshape(x, [-1, 3]),
    eager: (x) => tf.reshape(x, [-1, 3]),
    grad: false,
  },
  {
    name: 'reshape to a dynamic shape',
    inputs: [{ shape: [6] }, { shape: [2, 3], staticShape: [null, 3] }],
    build: (x, y) => g.reshape(x, g.shape(y)),
    eager: (x, y) => tf.reshape(x, y.shape),
    staticShape: [null, 3],
    grad: false,
  },
  {
    name: 'reshape to shape(y)[1:] (partial folding)',
    inputs: [{ shape: [12] }, { shape: [5, 3, 4], staticShape: [null, 3, 4] }],
    build: (x, y) => g.reshape(x, g.stridedSlice(g.shape(y), [1], [3])),
    eager: (x) => tf.reshape(x, [3, 4]),
    grad: false,
  },
  {
    name: 'expandDims 0',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.expandDims(x, 0),
    eager: (x) => tf.expandDims(x, 0),
    grad: false,
  },
  {
    name: 'expandDims -1',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.expandDims(x, -1),
    eager: (x) => tf.expandDims(x, 2),
    grad: false,
  },
  {
    name: 'squeeze all',
    inputs: [{ shape: [1, 3, 1] }],
    build: (x) => g.squeeze(x),
    eager: (x) => tf.squeeze(x),
    grad: false,
  },
  {
    name: 'squeeze axis unknown dim',
    inputs: [{ shape: [2, 1, 3], staticShape: [null, null, 3] }],
    build: (x) => g.squeeze(x, { axis: [-2] }),
    eager: (x) => tf.squeeze(x, [1]),
    staticShape: [null, 3],
    grad: false,
  },
  // permutations
  {
    name: 'transpose default',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => g.transpose(x),
    eager: (x) => tf.transpose(x),
    grad: false,
  },
  {
    name: 'transpose perm',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => g.transpose(x, [1, 0, 2]),
    eager: (x) => tf.transpose(x, [1, 0, 2]),
    grad: false,
  },
  {
    name: 'transpose by inverted perm',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => g.transpose(x, g.invertPermutation([2, 0, 1])),
    eager: (x) => tf.transpose(x, [1, 2, 0]),
    grad: false,
  },
  {
    name: 'invertPermutation kernel',
    inputs: [{ shape: [4], dtype: 'int32', domain: [0, 0.5] }],
    build: (z) => g.invertPermutation(g.add(z, [2, 0, 3, 1])),
    eager: () => tf.tensor1d([1, 3, 0, 2], 'int32'),
    grad: false,
  },
  // reverse, broadcast
  {
    name: 'reverse',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => g.reverse(x, [0, -1]),
    eager: (x) => tf.reverse(x, [0, 2]),
    grad: false,
  },
  // joins
  {
    name: 'concat negative axis, unknown dims',
    inputs: [
      { shape: [2, 3], staticShape: [null, 3] },
      { shape: [2, 2], staticShape: [2, null] },
    ],
    build: (a, b) => g.concat([a, b], -1),
    eager: (a, b) => tf.concat([a, b], 1),
    staticShape: [2, null],
    grad: false,
  },
  {
    name: 'concat int32, three parts',
    inputs: [
      { shape: [2], dtype: 'int32', domain: 'int' },
      { shape: [1], dtype: 'int32', domain: 'int' },
      { shape: [3], dtype: 'int32', domain: 'int' },
    ],
    build: (a, b, c) => g.concat([a, b, c], 0),
    eager: (a, b, c) => tf.concat([a, b, c], 0),
    grad: false,
  },
  {
    name: 'stack',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    build: (a, b) => g.stack([a, b]),
    eager: (a, b) => tf.stack([a, b]),
    grad: false,
  },
  {
    name: 'stack axis -1',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }],
    build: (a, b, c) => g.stack([a, b, c], { axis: -1 }),
    eager: (a, b, c) => tf.stack([a, b, c], 2),
    grad: false,
  },
  {
    name: 'unstack axis 1',
    inputs: [{ shape: [3, 2, 4] }],
    build: (x) => g.unstack(x, { axis: 1 })[0]!,
    eager: (x) => tf.unstack(x, 1)[0]!,
    grad: false,
  },
  {
    name: 'split num',
    inputs: [{ shape: [2, 6] }],
    build: (x) => g.split(x, 3, 1)[2]!,
    eager: (x) => tf.split(x, 3, 1)[2]!,
    grad: false,
  },
  {
    name: 'split sizes with -1',
    inputs: [{ shape: [5, 2] }],
    build: (x) => g.split(x, [1, -1], 0)[1]!,
    eager: (x) => tf.split(x, [1, 4], 0)[1]!,
    grad: false,
  },
  {
    name: 'split unknown dim',
    inputs: [{ shape: [4, 3], staticShape: [null, 3] }],
    build: (x) => g.split(x, 2, 0)[0]!,
    eager: (x) => tf.split(x, 2, 0)[0]!,
    staticShape: [null, 3],
    grad: false,
  },
  {
    name: 'reshape',
    inputs: [{ shape: [2, 6] }],
    build: (x) => g.reshape(x, [3, 4]),
    eager: (x) => tf.reshape(x, [3, 4]),
  },
  {
    name: 'reshape unknown batch',
    inputs: [{ shape: [4, 6], staticShape: [null, 6] }],
    build: (x) => g.reshape(x, [-1, 2, 3]),
    eager: (x) => tf.reshape(x, [-1, 2, 3]),
    staticShape: [null, 2, 3],
  },
  {
    name: 'expandDims',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.expandDims(x, 1),
    eager: (x) => tf.expandDims(x, 1),
  },
  {
    name: 'squeeze',
    inputs: [{ shape: [2, 1, 3] }],
    build: (x) => g.squeeze(x),
    eager: (x) => tf.squeeze(x),
  },
  {
    name: 'transpose',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => g.transpose(x, [2, 0, 1]),
    eager: (x) => tf.transpose(x, [2, 0, 1]),
  },
  {
    name: 'reverse axis 1',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.reverse(x, [1]),
    eager: (x) => tf.reverse(x, [1]),
  },
  {
    name: 'concat',
    inputs: [{ shape: [2, 3] }, { shape: [2, 2] }],
    build: (a, b) => g.concat([a, b], 1),
    eager: (a, b) => tf.concat([a, b], 1),
  },
  {
    name: 'concat unknown sizes (dynamic offsets)',
    inputs: [
      { shape: [2, 3], staticShape: [null, 3] },
      { shape: [3, 3], staticShape: [null, 3] },
    ],
    build: (a, b) => g.concat([a, b], 0),
    eager: (a, b) => tf.concat([a, b], 0),
    staticShape: [null, 3],
  },
  {
    name: 'concat run-time axis',
    inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }],
    build: (a, b, c) => g.concat([a, b, c], g.placeholderWithDefault(g.constant(-1, { dtype: 'int32' }), [])),
    eager: (a, b, c) => tf.concat([a, b, c], 1),
    staticShape: [null, null],
  },
  {
    name: 'stack axis 1',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    build: (a, b) => g.stack([a, b], { axis: 1 }),
    eager: (a, b) => tf.stack([a, b], 1),
  },
  {
    name: 'unstack (one output used)',
    inputs: [{ shape: [3, 2] }],
    build: (x) => g.unstack(x)[1]!,
    eager: (x) => tf.unstack(x)[1]!,
  },
  {
    name: 'split (one output used)',
    inputs: [{ shape: [2, 6] }],
    build: (x) => g.split(x, 3, 1)[1]!,
    eager: (x) => tf.split(x, 3, 1)[1]!,
  },
  {
    name: 'split sizes, all outputs',
    inputs: [{ shape: [5, 2] }],
    build: (x) => {
      const [a, b] = g.split(x, [2, -1], 0);
      return g.concat([g.mul(a!, 2), b!], 0);
    },
    eager: (x) => {
      const [a, b] = tf.split(x, [2, 3], 0);
      return tf.concat([tf.mul(a!, 2), b!], 0);
    },
  },
  {
    name: 'tile',
    inputs: [{ shape: [2, 3] }],
    build: (x) => g.tile(x, [3, 2]),
    eager: (x) => tf.tile(x, [3, 2]),
  },
  {
    name: 'tile unknown dim',
    inputs: [{ shape: [2, 3], staticShape: [null, 3] }],
    build: (x) => g.tile(x, [2, 1]),
    eager: (x) => tf.tile(x, [2, 1]),
    staticShape: [null, 3],
  },
  {
    name: 'pad',
    inputs: [{ shape: [2, 3] }],
    build: (x) =>
      g.pad(x, [
        [1, 0],
        [2, 1],
      ]),
    eager: (x) =>
      tf.pad(x, [
        [1, 0],
        [2, 1],
      ]),
  },
  {
    name: 'padV2',
    inputs: [{ shape: [2, 3] }],
    build: (x) =>
      g.pad(
        x,
        [
          [0, 1],
          [1, 1],
        ],
        { constantValues: 3 },
      ),
    eager: (x) =>
      tf.pad(
        x,
        [
          [0, 1],
          [1, 1],
        ],
        3,
      ),
  },
  {
    name: 'broadcastTo',
    inputs: [{ shape: [3, 1] }],
    build: (x) => g.broadcastTo(x, [2, 3, 4]),
    eager: (x) => tf.broadcastTo(x, [2, 3, 4]),
  },
  {
    name: 'broadcastTo dynamic shape',
    inputs: [{ shape: [1, 3] }, { shape: [4, 3], staticShape: [null, 3] }],
    build: (x, y) => g.broadcastTo(x, g.shape(y)),
    eager: (x, y) => tf.broadcastTo(x, y.shape),
    staticShape: [null, 3],
    grad: { wrt: [0] },
  },
  {
    name: 'fill',
    inputs: [{ shape: [] }],
    build: (v) => g.fill([2, 3], v),
    eager: (v) => tf.mul(tf.ones([2, 3]), v),
  },
];

const secondOrder = [
  'transpose',
  'concat',
  'tile',
  'pad',
  'slice',
  'stridedSlice basic',
  'stridedSlice negative stride',
  'gather axis 1, 2-D indices',
  'unsortedSegmentSum',
  'where',
  'broadcastTo',
];

export const arrayOps: OpCase[] = [
  ...rows,
  ...secondOrder.map((name) => {
    const c = [...rows, ...slicingOps].find((r) => r.name === name);
    if (!c) throw new Error(`array table: no row named ${name}`);
    return squared(c);
  }),
];
