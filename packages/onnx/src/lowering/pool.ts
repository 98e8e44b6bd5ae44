// Pooling and pooling gradients (ops/pool.ts; NHWC, TF's 4-element ksize/strides).
import { AvgPool, AvgPoolGrad, MaxPool, MaxPoolGrad, type PoolAttrs } from '@graphmode/graph';
import { fromNchw, geometry, knownDims, toNchw } from './conv.js';
import { defineLowering, type LowerContext } from './registry.js';

const window = (a: PoolAttrs) => ({
  kernel_shape: [a.ksize[1]!, a.ksize[2]!],
  strides: [a.strides[1]!, a.strides[2]!],
  auto_pad: a.padding === 'SAME' ? 'SAME_UPPER' : 'VALID',
});

defineLowering(MaxPool, (cx, a) =>
  fromNchw(cx, cx.n1('MaxPool', [toNchw(cx, cx.input(0), true)], window(a)), true),
);
// TF's average excludes the padding.
defineLowering(AvgPool, (cx, a) =>
  fromNchw(
    cx,
    cx.n1('AveragePool', [toNchw(cx, cx.input(0), true)], { ...window(a), count_include_pad: 0 }),
    true,
  ),
);

// Each window's gradient goes to its max (the first one in scan order on ties, as TF): MaxPool's
// flat NCHW argmax indices place it in zeros shaped like the input — MaxUnpool (with TF's pads,
// so its size is the input's) when windows do not overlap (each input pixel gets at most one
// gradient) and H, W are static, else a scatter-add.
defineLowering(MaxPoolGrad, (cx, a) => {
  const x = toNchw(cx, cx.input(0), true);
  const [, indices] = cx.node('MaxPool', [x], { ...window(a), storage_order: 0 }, 2) as [string, string];
  const dy = toNchw(cx, cx.input(2), true);
  const shape = cx.op.inputs[0]!.shape;
  const disjoint = a.strides[1]! >= a.ksize[1]! && a.strides[2]! >= a.ksize[2]!;
  if (disjoint && knownDims(shape, [1, 2])) {
    const { kernel_shape, strides } = window(a);
    const g = [0, 1].map((i) =>
      geometry(shape![i + 1]!, kernel_shape[i]!, strides[i]!, 1, a.padding === 'SAME'),
    );
    const pads = [g[0]!.before, g[1]!.before, g[0]!.after, g[1]!.after];
    const dx = cx.n1('MaxUnpool', [dy, indices, cx.n1('Shape', [x])], { kernel_shape, strides, pads });
    return fromNchw(cx, dx, true);
  }
  const flat = (v: string) => cx.n1('Reshape', [v, cx.int64s([-1])]);
  const zeros = cx.n1('Expand', [
    cx.scalar(0, 'float32'),
    cx.n1('Reshape', [cx.n1('Size', [x]), cx.int64s([1])]),
  ]);
  const dx = cx.n1('ScatterElements', [zeros, flat(indices), flat(dy)], {
    axis: 0,
    reduction: 'add',
  });
  return fromNchw(cx, cx.n1('Reshape', [dx, cx.n1('Shape', [x])]), true);
});

// Each output's gradient is shared by the inputs its window covered (padding excluded):
// dx = ConvTranspose(dy / count, ones) per channel, with the forward pass's pads.
defineLowering(
  AvgPoolGrad,
  (cx, a) => {
    const [, h, w, c] = cx.op.outputs[0]!.shape as [number, number, number, number];
    const [kh, kw] = [a.ksize[1]!, a.ksize[2]!];
    const s = [a.strides[1]!, a.strides[2]!];
    const g = [h, w].map((n, i) => geometry(n, [kh, kw][i]!, s[i]!, 1, a.padding === 'SAME'));
    const pads = [g[0]!.before, g[1]!.before, g[0]!.after, g[1]!.after];
    const count = windowCounts(cx, [h, w], { kernel_shape: [kh, kw], strides: s, pads }, kh * kw);
    const dy = cx.n1('Div', [toNchw(cx, cx.input(1), true), count]);
    const ones = cx.n1('Expand', [cx.scalar(1, 'float32'), cx.int64s([c, 1, kh, kw])]);
    const outputPadding = g.map((x, i) => [h, w][i]! - (s[i]! * (x.out - 1) + x.eff - x.before - x.after));
    const dx = cx.n1('ConvTranspose', [dy, ones], {
      strides: s,
      pads,
      output_padding: outputPadding,
      group: c,
    });
    return fromNchw(cx, dx, true);
  },
  (op) => knownDims(op.outputs[0]!.shape, [1, 2, 3]),
);

/** How many real (unpadded) inputs each window covers, as [1, 1, oh, ow]. */
function windowCounts(
  cx: LowerContext,
  [h, w]: number[],
  win: Record<string, number[]>,
  area: number,
): string {
  const ones = cx.n1('Expand', [cx.scalar(1, 'float32'), cx.int64s([1, 1, h!, w!])]);
  const mean = cx.n1('AveragePool', [ones], { ...win, count_include_pad: 1 });
  return cx.n1('Mul', [mean, cx.n1('Cast', [cx.int64s([area])], { to: 1 })]);
}
