// Gradient construction cost: gradients() over graphs of 10k / 50k / 100k forward ops, as a deep
// chain and as a wide fan-out, must scale linearly (2x ops <= 2.3x time).
import { gradients } from '@graphmode/autodiff';
import { add, constant, Graph, mul, placeholder, sigmoid, type Tensor } from '@graphmode/graph';
import { type Bench, type Row, round } from './util.js';

type Shape = 'chain' | 'fan-out';

// Both shapes use n forward ops; only gradients() is timed.
function build(kind: Shape, n: number): { ms: number; gradOps: number } {
  // Start each measurement from a collected heap (npm run bench passes --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const graph = new Graph();
  return graph.asDefault(() => {
    const x = placeholder('float32', [8], { name: 'x' });
    const c = constant(0.5);
    const ys: Tensor[] = [];
    if (kind === 'chain') {
      let y: Tensor = x;
      for (let i = 0; i < n / 2; i++) y = add(sigmoid(y), c);
      ys.push(y);
    } else {
      for (let i = 0; i < n / 2; i++) ys.push(sigmoid(mul(x, c)));
    }
    const before = graph.numOps;
    const t0 = performance.now();
    gradients(ys, x);
    return { ms: performance.now() - t0, gradOps: graph.numOps - before };
  });
}

const bench: Bench = {
  name: 'gradient_construction',
  description: 'gradients() build time per forward op; the 100k/50k ratio must stay <= 2.3',
  async run() {
    const rows: Row[] = [];
    for (const kind of ['chain', 'fan-out'] as const) {
      build(kind, 20_000); // warm-up: JIT
      const sizes = [10_000, 50_000, 100_000];
      const results = sizes.map((n) => {
        const runs = [0, 1, 2].map(() => build(kind, n));
        return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      });
      sizes.forEach((n, i) => {
        const r = results[i]!;
        rows.push({
          shape: kind,
          'forward ops': n,
          'gradient ops': r.gradOps,
          'ms (best of 3)': round(r.ms, 1),
          'µs/forward op': round((r.ms * 1000) / n, 3),
        });
      });
      rows.push({
        shape: kind,
        'forward ops': '100k / 50k',
        'gradient ops': '',
        'ms (best of 3)': round(results[2]!.ms / results[1]!.ms, 2),
        'µs/forward op': '',
      });
    }
    return rows;
  },
};
export default bench;
