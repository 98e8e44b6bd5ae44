// Fusion of MatMul+BiasAdd(+activation) and Conv2D+BiasAdd(+activation) into tfjs's fused
// matMul and conv2d kernels (one pass over the output instead of two or three). TF's grappler
// remapper makes the same `_FusedMatMul` / `_FusedConv2D` nodes.
import * as tfc from '@tensorflow/tfjs-core';
import type { Tensor } from '../../graph.js';
import type { KernelContext, OpDef } from '../../op_def.js';
import { Conv2D, type ConvAttrs, tfPad } from '../../ops/conv.js';
import { simdMatMul } from '../../ops/gemm.js';
import { MatMul, type MatMulAttrs, warnIfSlowMatMul } from '../../ops/linalg.js';
import { Sigmoid } from '../../ops/math.js';
import { BiasAdd, Elu, LeakyRelu, Relu, Relu6 } from '../../ops/nn.js';
import { type Node, type Pass, readers } from './program.js';

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid';
const ACTIVATIONS = new Map<OpDef, Activation>([
  [Relu, 'relu'],
  [Relu6, 'relu6'],
  [Elu, 'elu'],
  [LeakyRelu, 'leakyrelu'],
  [Sigmoid, 'sigmoid'],
]);
interface Fused {
  activation: Activation;
  alpha: number;
}

/** An op definition that exists only inside rewritten plans (never in a graph). */
function planOnlyDef<A extends object>(
  type: string,
  inputNames: readonly string[],
  kernel: (ins: tfc.Tensor[], attrs: A, ctx: KernelContext) => tfc.Tensor,
): OpDef<A> {
  return {
    type,
    inputNames,
    listInput: null,
    stateful: false,
    isRefInput: () => false,
    infer: () => {
      throw new Error(`internal: ${type} exists only in rewritten run plans`);
    },
    attrs: null,
    fold: null,
    invoke: (ins, attrs, ctx) => kernel(ins as tfc.Tensor[], attrs, ctx),
  };
}

// wasm's matMul with transpose flags is ~10x slower than a transpose and a plain matMul.
const explicitT = (t: tfc.Tensor, transposed: boolean, ctx: KernelContext): [tfc.Tensor, boolean] =>
  transposed && ctx.backend === 'wasm' ? [tfc.transpose(t), false] : [t, transposed];

// The fused kernel's activations as separate ops, after the SIMD gemm's bias (and relu).
const ACTIVATE: Record<Activation, (y: tfc.Tensor, alpha: number) => tfc.Tensor> = {
  linear: (y) => y,
  relu: (y) => tfc.relu(y),
  relu6: (y) => tfc.relu6(y),
  elu: (y) => tfc.elu(y),
  leakyrelu: (y, alpha) => tfc.leakyRelu(y, alpha),
  sigmoid: (y) => tfc.sigmoid(y),
};

export const FusedMatMul = planOnlyDef<MatMulAttrs & Fused>(
  '_FusedMatMul',
  ['a', 'b', 'bias'],
  ([a, b, bias], at, ctx) => {
    warnIfSlowMatMul(a!, b!, at.transposeA, at.transposeB, ctx);
    if (ctx.backend === 'wasm') {
      // Our gemm (ops/gemm.ts) adds the bias and applies relu itself; other activations follow.
      const relu = at.activation === 'relu';
      const y = simdMatMul(a!, b!, at.transposeA, at.transposeB, { bias: bias!, relu });
      if (y) {
        const out = relu ? y : ACTIVATE[at.activation](y, at.alpha);
        if (out !== y) y.dispose();
        return out;
      }
    }
    return tfc.tidy(() => {
      const [x, ta] = explicitT(a!, at.transposeA, ctx);
      const [w, tb] = explicitT(b!, at.transposeB, ctx);
      return tfc.fused.matMul({
        a: x,
        b: w,
        transposeA: ta,
        transposeB: tb,
        bias,
        activation: at.activation,
        leakyreluAlpha: at.alpha,
      });
    });
  },
);

export const FusedConv2D = planOnlyDef<ConvAttrs & Fused>(
  '_FusedConv2D',
  ['input', 'filter', 'bias'],
  ([x, f, bias], at) =>
    tfc.fused.conv2d({
      x: x as tfc.Tensor4D,
      filter: f as tfc.Tensor4D,
      strides: [at.strides[1]!, at.strides[2]!],
      pad: tfPad(at.padding),
      dataFormat: 'NHWC',
      dilations: [at.dilations[1]!, at.dilations[2]!],
      bias,
      activation: at.activation,
      leakyreluAlpha: at.alpha,
    }),
);

/** The fused def for a node that can head a chain, or null. */
function head(n: Node): OpDef | null {
  if (n.outputs[0]?.dtype !== 'float32') return null;
  if (n.def === MatMul) return FusedMatMul;
  if (n.def !== Conv2D) return null;
  const a = n.attrs as ConvAttrs;
  const strided = a.strides.some((s) => s > 1);
  const dilated = a.dilations.some((d) => d > 1);
  // tfjs's conv kernels take NHWC only and reject strides together with dilations.
  return a.dataFormat === 'NHWC' && !(strided && dilated) ? FusedConv2D : null;
}

export const fuse: Pass = (p) => {
  const reads = readers(p.nodes);
  const consumer = new Map<Tensor, number>();
  p.nodes.forEach((n, i) => {
    for (const t of n.inputs) consumer.set(t, i);
  });
  // The one node reading t as its first input, when nothing else reads or pins t.
  const onlyReader = (t: Tensor): number | null => {
    const i = consumer.get(t);
    return i !== undefined && reads.get(t) === 1 && !p.pinned.has(t) && p.nodes[i]!.inputs[0] === t
      ? i
      : null;
  };
  const nodes = p.nodes.slice() as (Node | null)[];
  p.nodes.forEach((n, i) => {
    const def = head(n);
    const b = def && onlyReader(n.outputs[0]!);
    if (b === null || b === undefined) return;
    const biasAdd = p.nodes[b]!;
    if (biasAdd.def !== BiasAdd || (biasAdd.attrs as { dataFormat: string }).dataFormat !== 'NHWC') return;
    const c = onlyReader(biasAdd.outputs[0]!);
    const act = c === null ? undefined : ACTIVATIONS.get(p.nodes[c]!.def);
    const chain = act === undefined ? [n, biasAdd] : [n, biasAdd, p.nodes[c!]!];
    const last = act === undefined ? b : c!;
    // Inputs may be variable reads: no stateful op may run between the chain's first and last op.
    if (p.nodes.slice(i, last).some((m) => m.def.stateful)) return;
    const alpha = act === 'leakyrelu' ? (chain[2]!.attrs as { alpha: number }).alpha : 0.2;
    nodes[i] = null;
    nodes[b] = null;
    nodes[last] = {
      op: n.op,
      def: def!,
      attrs: { ...n.attrs, activation: act ?? 'linear', alpha },
      inputs: [n.inputs[0]!, n.inputs[1]!, biasAdd.inputs[1]!],
      outputs: chain[chain.length - 1]!.outputs,
      name: [n.name, ...chain.slice(1).map((m) => m.type)].join('+'),
      type: def!.type,
    };
  });
  return { ...p, nodes: nodes.filter((n): n is Node => n !== null) };
};
