// Linear algebra: MatMul (rank 2, TF's transpose_a/transpose_b) and BatchMatMulV2 (rank >= 2,
// NumPy broadcasting over the batch dims, TF's adj_x/adj_y).

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, typeOf } from '../attr_schema.js';
import { type NameOpt, opScope, type TensorInput, toTensorPair } from '../convert.js';
import type { Shape } from '../dtype.js';
import { broadcastShapes, formatShape } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, type KernelContext, NUMERIC, requireDtype, requireRank, sameDtype } from '../op_def.js';
import { checkOptions } from '../options.js';
import { simdMatMul } from './gemm.js';

/** The [rows, cols] of a matrix (the last two dims) after an optional transpose. */
const matrixDims = (s: Shape, transposed: boolean): [number | null, number | null] => {
  const r = s[s.length - 2] ?? null;
  const c = s[s.length - 1] ?? null;
  return transposed ? [c, r] : [r, c];
};

function innerDimsMatch(a: Tensor, b: Tensor, ka: number | null, kb: number | null, ta: string, tb: string) {
  if (ka !== null && kb !== null && ka !== kb) {
    throw new ValueError(
      `Dimensions must be equal, but are ${ka} and ${kb}: the inner dimensions of ` +
        `${formatShape(a.shape)} (${ta}) and ${formatShape(b.shape)} (${tb}) must match`,
    );
  }
}

// Above this, a cpu matMul takes long enough (~50 ms) that the session suggests wasm (once).
const SLOW_CPU_FLOPS = 1e7;
export function warnIfSlowMatMul(
  a: tfc.Tensor,
  b: tfc.Tensor,
  ta: boolean,
  tb: boolean,
  ctx: KernelContext,
): void {
  if (ctx.backend !== 'cpu') return;
  const batch = (t: tfc.Tensor) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const [m, k] = matrixDims(a.shape, ta) as [number, number];
  const flops = 2 * Math.max(batch(a), batch(b)) * m * k * (matrixDims(b.shape, tb)[1] as number);
  if (flops > SLOW_CPU_FLOPS) ctx.slow?.(`a ${Math.round(flops / 1e6)} MFLOP matMul`);
}

// NOTE: rank-2 float32 products on wasm go through our SIMD gemm (ops/gemm.ts). Elsewhere on
// wasm (other dtypes, batches, engines without SIMD): tfjs-backend-wasm's matMul is ~10x slower
// with transposeA/transposeB than with an explicit transpose followed by a plain matMul
// (bench/matmul_forms.ts), so the kernel transposes first. The cpu backend is as fast either
// way and keeps the flagged form.
// With one flag set, C = (B'·A')ᵀ with the flag moved to the other operand can copy far less:
// the gradient dy·Wᵀ of a [50,3136]·[3136,1024] layer transposes dy and the [3136,50] result
// instead of the 3.2M-element W. True when that costs fewer copied elements than transposing
// the flagged operand.
function cheaperTransposed(a: tfc.Tensor, b: tfc.Tensor, ta: boolean): boolean {
  const [flagged, other] = ta ? [a, b] : [b, a];
  const [m, n] = [ta ? a.shape[1]! : a.shape[0]!, ta ? b.shape[1]! : b.shape[0]!];
  return other.size + m * n < flagged.size;
}
// NOTE: tfjs indexes batches modulo each input's flattened batch size, which is only right when
// that size is 1 or the full broadcast batch size ([2,1,3,4]·[5,4,6] comes out short). Other
// inputs are broadcast explicitly first.
function matMulKernel(
  a: tfc.Tensor,
  b: tfc.Tensor,
  ta: boolean,
  tb: boolean,
  ctx: KernelContext,
): tfc.Tensor {
  const backend = ctx.backend;
  const simd = backend === 'wasm' ? simdMatMul(a, b, ta, tb) : null;
  if (simd) return simd;
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)) as number[];
  const full = batch.reduce((p, d) => p * d, 1);
  warnIfSlowMatMul(a, b, ta, tb, ctx);
  const needsBroadcast = (t: tfc.Tensor) => {
    const n = t.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    return n !== 1 && n !== full;
  };
  const explicitTranspose = backend === 'wasm';
  if (explicitTranspose && ta !== tb && a.rank === 2 && b.rank === 2 && cheaperTransposed(a, b, ta)) {
    return tfc.tidy(() => tfc.transpose(tfc.matMul(ta ? tfc.transpose(b) : b, ta ? a : tfc.transpose(a))));
  }
  if (!(explicitTranspose && (ta || tb)) && !needsBroadcast(a) && !needsBroadcast(b)) {
    return tfc.matMul(a, b, ta, tb);
  }
  const prepare = (t: tfc.Tensor, transposed: boolean) => {
    if (needsBroadcast(t)) t = tfc.broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
    if (!(explicitTranspose && transposed)) return t;
    const perm = t.shape.map((_, i) => i);
    perm.push(...perm.splice(-2).reverse());
    return tfc.transpose(t, perm);
  };
  return tfc.tidy(() =>
    tfc.matMul(prepare(a, ta), prepare(b, tb), ta && !explicitTranspose, tb && !explicitTranspose),
  );
}

export interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}
export const MatMul = defineOp<'a' | 'b', MatMulAttrs>({
  type: 'MatMul',
  outputArgs: ['product'],
  inputs: ['a', 'b'],
  attrs: {
    transpose_a: attrOf('bool', 'transposeA', false),
    transpose_b: attrOf('bool', 'transposeB', false),
    T: typeOf('a'),
  },
  shape: ({ a, b }, { transposeA, transposeB }) => {
    requireRank(a, 2, 'a');
    requireRank(b, 2, 'b');
    const [m, ka] = a.shape === null ? [null, null] : matrixDims(a.shape, transposeA);
    const [kb, n] = b.shape === null ? [null, null] : matrixDims(b.shape, transposeB);
    innerDimsMatch(a, b, ka, kb, `transposeA=${transposeA}`, `transposeB=${transposeB}`);
    return [m, n];
  },
  dtype: ({ a, b }) => (requireDtype(a, NUMERIC, 'a'), sameDtype(a, b)),
  kernel: ({ a, b }, { transposeA, transposeB }, ctx) => matMulKernel(a, b, transposeA, transposeB, ctx),
});

export interface BatchMatMulAttrs {
  adjX: boolean;
  adjY: boolean;
}
export const BatchMatMulV2 = defineOp<'x' | 'y', BatchMatMulAttrs>({
  type: 'BatchMatMulV2',
  outputArgs: ['output'],
  inputs: ['x', 'y'],
  attrs: { T: typeOf('x'), adj_x: attrOf('bool', 'adjX', false), adj_y: attrOf('bool', 'adjY', false) },
  shape: ({ x, y }, { adjX, adjY }) => {
    for (const [t, what] of [
      [x, 'x'],
      [y, 'y'],
    ] as const) {
      if (t.shape !== null && t.shape.length < 2) {
        throw new ValueError(
          `${what} '${t.name}' must be at least rank 2, but has shape ${formatShape(t.shape)}`,
        );
      }
    }
    if (x.shape === null || y.shape === null) return null;
    const [m, kx] = matrixDims(x.shape, adjX);
    const [ky, n] = matrixDims(y.shape, adjY);
    innerDimsMatch(x, y, kx, ky, `adjX=${adjX}`, `adjY=${adjY}`);
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    return batch === null ? null : [...batch, m, n];
  },
  dtype: ({ x, y }) => (requireDtype(x, NUMERIC, 'x'), sameDtype(x, y)),
  kernel: ({ x, y }, { adjX, adjY }, ctx) => matMulKernel(x, y, adjX, adjY, ctx),
});

export interface MatMulOptions extends NameOpt {
  transposeA?: boolean;
  transposeB?: boolean;
}

/**
 * Matrix product `a · b` (TF's `tf.matmul`). Inputs of rank > 2 (or unknown rank) multiply
 * batches of matrices with a BatchMatMulV2 op, as TF does.
 * @example
 * const h = matMul(x, w);                          // [batch, 784] · [784, 256]
 * const g = matMul(dy, w, { transposeB: true });  // dy · wᵀ
 */
export function matMul(a: TensorInput, b: TensorInput, opts: MatMulOptions = {}): Tensor {
  checkOptions('matMul', opts, { name: 'string', transposeA: 'boolean', transposeB: 'boolean' });
  return opScope(opts.name, 'MatMul', [a, b], (name) => {
    const [ta, tb] = toTensorPair(a, b, ['a', 'b']);
    const transposeA = opts.transposeA ?? false;
    const transposeB = opts.transposeB ?? false;
    const batched = ta.shape === null || tb.shape === null || ta.shape.length > 2 || tb.shape.length > 2;
    return batched
      ? BatchMatMulV2.apply({ x: ta, y: tb }, { adjX: transposeA, adjY: transposeB }, { name })
      : MatMul.apply({ a: ta, b: tb }, { transposeA, transposeB }, { name });
  });
}

export interface BatchMatMulOptions extends NameOpt {
  adjX?: boolean;
  adjY?: boolean;
}

/**
 * Batched matrix product over the last two dims; the leading (batch) dims broadcast.
 * @example
 * const scores = batchMatMul(q, k, { adjY: true });  // [b, t, d] · [b, t, d]ᵀ → [b, t, t]
 */
export function batchMatMul(x: TensorInput, y: TensorInput, opts: BatchMatMulOptions = {}): Tensor {
  checkOptions('batchMatMul', opts, { name: 'string', adjX: 'boolean', adjY: 'boolean' });
  return opScope(opts.name, 'BatchMatMulV2', [x, y], (name) => {
    const [tx, ty] = toTensorPair(x, y);
    return BatchMatMulV2.apply(
      { x: tx, y: ty },
      { adjX: opts.adjX ?? false, adjY: opts.adjY ?? false },
      { name },
    );
  });
}
