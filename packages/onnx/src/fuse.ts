// Peephole rewrites of a lowered segment's nodes before it is encoded: small pure passes, each
// a function from the node list (with what it may rely on) to a new node list. Rewritten nodes
// keep their names (the op blamed for a failure does not change); nodes left unread are dropped
// by the encoder's pruning.
import type { Operation } from '@graphmode/graph';
import { ApplyGradientDescent, ApplyMomentum } from '@graphmode/train';
import { encodeAttr, Float, type NodeProto } from './model.js';

export interface PassContext {
  /** The op whose lowering emitted a node (by node name). */
  readonly owner: (nodeName: string) => Operation | undefined;
  /** The value of a one-element float initializer, else undefined. */
  readonly scalar: (value: string) => number | undefined;
  /** The model's output names (a value the caller fetches is never folded away). */
  readonly outputs: ReadonlySet<string>;
}
export type Pass = (nodes: readonly NodeProto[], cx: PassContext) => NodeProto[];

/**
 * Optimizer updates folded into the gradient's Gemm, whose `alpha·A·B + beta·C` computes them:
 * - ApplyGradientDescent `var - (A·B)·lr` → `Gemm(A, B, var, alpha = -lr, beta = 1)`;
 * - ApplyMomentum `accum·momentum + A·B` → `Gemm(A, B, accum, beta = momentum)`.
 * That is every dense layer's weight (a MatMul gradient) with a constant learning rate or
 * momentum: two memory-bound passes over the weight matrix and the gradient's buffer disappear
 * (the MLP's SGD step: 270k floats). Only where the gradient has no other reader (else the matmul
 * would run twice: Nesterov momentum reads it twice), and only for these ops, whose state and
 * gradient have one shape (C then needs no broadcast).
 */
export const fuseUpdateGemm: Pass = (nodes, cx) => {
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  // A value only its one reader needs (not fetched): its producer may be folded into the reader.
  const private1 = (v: string) => readers.get(v) === 1 && !cx.outputs.has(v);
  const gemmBehind = (value: string): NodeProto | undefined => {
    let v = value;
    let n = producer.get(v);
    // The gradient reaches the update through gating Identities (TF's tuple/control_dependency).
    while (n?.op_type === 'Identity' && private1(v)) n = producer.get((v = n.input[0]!));
    return n?.op_type === 'Gemm' && n.input.length === 2 && private1(v) ? n : undefined;
  };
  // `node`'s input k, when it is a private Mul (of the same op) of some value by a constant.
  const scaled = (node: NodeProto, k: number): { value: string; by: number } | undefined => {
    const v = node.input[k]!;
    const mul = producer.get(v);
    if (mul?.op_type !== 'Mul' || cx.owner(mul.name) !== cx.owner(node.name) || !private1(v)) return;
    const by = cx.scalar(mul.input[1]!);
    return by === undefined ? undefined : { value: mul.input[0]!, by };
  };
  const fused = (node: NodeProto, gemm: NodeProto, c: string, alpha: number, beta: number): NodeProto => {
    const attrs = gemm.attribute as { name: string; i?: number; f?: number }[];
    const int = (name: string) => Number(attrs.find((a) => a.name === name)?.i ?? 0);
    const gemmAlpha = attrs.find((a) => a.name === 'alpha')?.f ?? 1;
    return {
      op_type: 'Gemm',
      input: [gemm.input[0]!, gemm.input[1]!, c],
      output: node.output,
      name: node.name,
      attribute: [
        encodeAttr('transA', int('transA')),
        encodeAttr('transB', int('transB')),
        encodeAttr('alpha', new Float(alpha * gemmAlpha)),
        encodeAttr('beta', new Float(beta)),
      ],
    };
  };
  return nodes.map((node) => {
    const def = cx.owner(node.name)?.def;
    if (def === ApplyGradientDescent && node.op_type === 'Sub') {
      const step = scaled(node, 1);
      const gemm = step && gemmBehind(step.value);
      return gemm ? fused(node, gemm, node.input[0]!, -step.by, 1) : node;
    }
    if (def === ApplyMomentum && node.op_type === 'Add') {
      const decayed = scaled(node, 0);
      const gemm = decayed && gemmBehind(node.input[1]!);
      return gemm ? fused(node, gemm, decayed.value, 1, decayed.by) : node;
    }
    return node;
  });
};

/** The passes the executor's models go through (exported models are not rewritten). */
export const EXECUTOR_PASSES: readonly Pass[] = [fuseUpdateGemm];
