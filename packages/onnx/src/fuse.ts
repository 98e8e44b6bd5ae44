// Peephole rewrites of a lowered segment's nodes before it is encoded: small pure passes, each
// a function from the node list (with what it may rely on) to a new node list. Rewritten nodes
// keep their names (the op blamed for a failure does not change); nodes left unread are dropped
// by the encoder's pruning.

import type { Operation } from '@graphmode/graph';
import { ApplyGradientDescent } from '@graphmode/train';
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
 * `var - (A·B) * lr` → `Gemm(A, B, var, alpha = -lr, beta = 1)`: ApplyGradientDescent on a
 * MatMul gradient (every dense layer's weight) with a constant learning rate. The gradient,
 * its scaled copy and their buffers disappear: two memory-bound passes over each weight matrix
 * (the MLP's SGD step: 270k floats) become part of the matmul's own output write. Only where the
 * gradient has no other reader (else the matmul would run twice) and the op is
 * ApplyGradientDescent (whose var and delta have one shape, so C needs no broadcast).
 */
export const fuseGradientDescentGemm: Pass = (nodes, cx) => {
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  // A value only its one reader needs (not fetched): its producer may be folded into the reader.
  const private1 = (v: string) => readers.get(v) === 1 && !cx.outputs.has(v);
  const gemmBehind = (v: string): NodeProto | undefined => {
    let n = producer.get(v);
    // The gradient reaches the update through gating Identities (TF's tuple/control_dependency).
    while (n?.op_type === 'Identity' && private1(v)) n = producer.get((v = n.input[0]!));
    return n?.op_type === 'Gemm' && n.input.length === 2 && private1(v) ? n : undefined;
  };
  return nodes.map((sub) => {
    if (sub.op_type !== 'Sub' || cx.owner(sub.name)?.def !== ApplyGradientDescent) return sub;
    const [variable, scaled] = sub.input as [string, string];
    const mul = producer.get(scaled);
    if (mul?.op_type !== 'Mul' || cx.owner(mul.name) !== cx.owner(sub.name) || !private1(scaled)) return sub;
    const lr = cx.scalar(mul.input[1]!);
    const gemm = gemmBehind(mul.input[0]!);
    if (lr === undefined || gemm === undefined) return sub;
    const attr = (name: string, dflt: number) =>
      (gemm.attribute as { name: string; i?: number; f?: number }[]).find((a) => a.name === name)?.[
        name === 'alpha' ? 'f' : 'i'
      ] ?? dflt;
    return {
      op_type: 'Gemm',
      input: [gemm.input[0]!, gemm.input[1]!, variable],
      output: sub.output,
      name: sub.name,
      attribute: [
        encodeAttr('transA', Number(attr('transA', 0))),
        encodeAttr('transB', Number(attr('transB', 0))),
        encodeAttr('alpha', new Float(-lr * attr('alpha', 1))),
        encodeAttr('beta', new Float(1)),
      ],
    };
  });
};

/** The passes the executor's models go through (exported models are not rewritten). */
export const EXECUTOR_PASSES: readonly Pass[] = [fuseGradientDescentGemm];
