// whileLoop cost: build and run time at 10 / 1,000 / 10,000 iterations (both should be flat and
// linear respectively), and the per-iteration overhead against the same body unrolled into the
// graph (a chain of ops the Session runs directly). Body: i ← i + 1, x ← x·a + b on a [16] vector.
import { add, constant, Graph, less, mul, Session, type Tensor, whileLoop } from '@graphmode/graph';
import { type Bench, type Row, round, timeMedian } from './util.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);

function buildLoop(n: number): { graph: Graph; out: Tensor } {
  const graph = new Graph();
  const out = graph.asDefault(() => {
    const a = constant(new Float32Array(16).fill(0.999));
    const b = constant(new Float32Array(16).fill(0.001));
    const [, x] = whileLoop(
      (i: Tensor) => less(i, n),
      (i: Tensor, v: Tensor) => [add(i, 1), add(mul(v, a), b)],
      [constant(0, { dtype: 'int32' }), constant(new Float32Array(16).fill(1))],
    );
    return x!;
  });
  return { graph, out };
}

function buildUnrolled(n: number): { graph: Graph; out: Tensor } {
  const graph = new Graph();
  const out = graph.asDefault(() => {
    const a = constant(new Float32Array(16).fill(0.999));
    const b = constant(new Float32Array(16).fill(0.001));
    let x = constant(new Float32Array(16).fill(1));
    for (let k = 0; k < n; k++) x = add(mul(x, a), b);
    return x;
  });
  return { graph, out };
}

function measure(build: (n: number) => { graph: Graph; out: Tensor }, n: number) {
  let built = build(n);
  const buildMs = timeMedian(() => (built = build(n)), REPS, 1);
  const sess = new Session(built.graph);
  const runMs = timeMedian(() => sess.run(built.out), REPS, 1);
  sess.close();
  return { buildMs, runMs, ops: built.graph.numOps };
}

const bench: Bench = {
  name: 'control_flow',
  description: 'whileLoop build/run time vs trip count, and per-iteration overhead vs the unrolled body',
  async run(): Promise<Row[]> {
    const rows: Row[] = [];
    for (const n of [10, 1000, 10000]) {
      const loop = measure(buildLoop, n);
      const unrolled = n <= 1000 ? measure(buildUnrolled, n) : null;
      rows.push({
        iterations: n,
        'loop graph ops': loop.ops,
        'loop build ms': round(loop.buildMs),
        'loop run ms': round(loop.runMs),
        'loop µs/iter': round((loop.runMs * 1000) / n),
        'unrolled ops': unrolled?.ops ?? '-',
        'unrolled run ms': unrolled ? round(unrolled.runMs) : '-',
        'unrolled µs/iter': unrolled ? round((unrolled.runMs * 1000) / n) : '-',
        'loop/unrolled': unrolled ? round(loop.runMs / unrolled.runMs) : '-',
      });
    }
    return rows;
  },
};
export default bench;
