// Graph construction cost: building 10k / 50k / 100k ops must scale linearly (2x ops <= 2.3x time).
import { add, constant, Graph, nameScope, placeholder, type Tensor } from '@graphmode/graph';
import { type Bench, type Row, round } from './util.js';

// A mix that touches names, scopes and control-free chains: every 10 adds open a scope.
function build(n: number): number {
  // Start each measurement from a collected heap (npm run bench passes --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const graph = new Graph();
  const t0 = performance.now();
  graph.asDefault(() => {
    const x = placeholder('float32', [null, 4], { name: 'x' });
    const one = constant(1);
    let y: Tensor = x;
    for (let i = 0; i < n - 2; i += 10) {
      y = nameScope('block', () => {
        let z = y;
        for (let k = 0; k < Math.min(10, n - 2 - i); k++) z = add(z, one);
        return z;
      });
    }
  });
  const ms = performance.now() - t0;
  if (graph.numOps < n) throw new Error(`built ${graph.numOps} ops, expected ${n}`);
  return ms;
}

const bench: Bench = {
  name: 'construction',
  description: 'graph building time per op; the ratio columns must stay <= 2.3 for 2x ops',
  async run() {
    build(20_000); // warm-up: JIT
    const sizes = [10_000, 50_000, 100_000];
    const best = sizes.map((n) => Math.min(...[0, 1, 2].map(() => build(n))));
    const rows: Row[] = sizes.map((n, i) => ({
      ops: n,
      'ms (best of 3)': round(best[i]!, 1),
      'µs/op': round((best[i]! * 1000) / n, 3),
    }));
    rows.push({ ops: '100k / 50k', 'ms (best of 3)': round(best[2]! / best[1]!, 2), 'µs/op': '' });
    return rows;
  },
};
export default bench;
