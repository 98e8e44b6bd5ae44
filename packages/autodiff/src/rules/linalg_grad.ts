// Gradient rules for ops/linalg.ts (TF's _MatMulGrad / _BatchMatMulV2). See registry.ts for the
// rule contract. The rules are the plain formulas with transpose flags; the MatMul kernel picks
// the fast form per backend (explicit transposes on wasm, see ops/linalg.ts).
import { BatchMatMulV2, batchMatMul, MatMul, matMul } from '@graphmode/graph';
import { defineGradient } from '../registry.js';

export function registerLinalgGradients(): void {
  // y = op(a) · op(b), op = optional transpose:
  //   a·b   → da = dy·bᵀ,    db = aᵀ·dy
  //   a·bᵀ  → da = dy·b,     db = dyᵀ·a
  //   aᵀ·b  → da = b·dyᵀ,    db = a·dy
  //   aᵀ·bᵀ → da = bᵀ·dyᵀ,   db = dyᵀ·aᵀ
  defineGradient(MatMul, ({ ins: { a, b }, attrs: { transposeA, transposeB } }, dy) => {
    if (!transposeA && !transposeB)
      return { a: matMul(dy, b, { transposeB: true }), b: matMul(a, dy, { transposeA: true }) };
    if (!transposeA) return { a: matMul(dy, b), b: matMul(dy, a, { transposeA: true }) };
    if (!transposeB) return { a: matMul(b, dy, { transposeB: true }), b: matMul(a, dy) };
    const both = { transposeA: true, transposeB: true };
    return { a: matMul(b, dy, both), b: matMul(dy, a, both) };
  });
  // The same formulas per batch; gradients come out with the broadcast batch dims and the driver
  // sums them down to each input's own batch shape.
  defineGradient(
    BatchMatMulV2,
    ({ ins: { x, y }, attrs: { adjX, adjY } }, dy) => {
      if (!adjX && !adjY)
        return { x: batchMatMul(dy, y, { adjY: true }), y: batchMatMul(x, dy, { adjX: true }) };
      if (!adjX) return { x: batchMatMul(dy, y), y: batchMatMul(dy, x, { adjX: true }) };
      if (!adjY) return { x: batchMatMul(y, dy, { adjY: true }), y: batchMatMul(x, dy) };
      const both = { adjX: true, adjY: true };
      return { x: batchMatMul(y, dy, both), y: batchMatMul(dy, x, both) };
    },
    { broadcasts: true },
  );
}
