// A 2-D transpose read only by a MatMul becomes that MatMul's transpose flag on cpu, where the
// flagged matMul costs the same as a plain one and the transpose is saved. On wasm the opposite
// holds (a flagged matMul is ~10× slower), so there the MatMul kernel makes flags explicit
// transposes instead (ops/linalg.ts).
import type { Tensor } from '../../graph.js';
import { Transpose } from '../../ops/array.js';
import { MatMul, type MatMulAttrs } from '../../ops/linalg.js';
import { constNumbers, type Node, type Pass, readers, without } from './program.js';

const swapsAxes = (t: Tensor): boolean => {
  const perm = t.op.def === Transpose ? constNumbers(t.op.inputs[1]!) : null;
  return perm !== null && perm.length === 2 && perm[0] === 1 && perm[1] === 0;
};

export const foldTransposes: Pass = (p) => {
  if (p.backend !== 'cpu') return p;
  const reads = readers(p.nodes);
  const foldable = (t: Tensor) => swapsAxes(t) && reads.get(t) === 1 && !p.pinned.has(t);
  const byOutput = new Map(p.nodes.flatMap((n) => n.outputs.map((t) => [t, n] as const)));
  const removed = new Set<Node>();
  const nodes = p.nodes.map((n): Node => {
    if (n.def !== MatMul || !n.inputs.some(foldable)) return n;
    const [a, b] = n.inputs as [Tensor, Tensor];
    const at = n.attrs as MatMulAttrs;
    const [fa, fb] = [foldable(a), foldable(b)];
    for (const t of [fa && a, fb && b]) if (t) removed.add(byOutput.get(t)!);
    return {
      ...n,
      inputs: [fa ? a.op.inputs[0]! : a, fb ? b.op.inputs[0]! : b],
      attrs: { ...at, transposeA: at.transposeA !== fa, transposeB: at.transposeB !== fb },
    };
  });
  return without({ ...p, nodes }, removed, new Map());
};
