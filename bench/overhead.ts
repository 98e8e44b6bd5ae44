// Per-op overhead: a chain of scalar adds run through Session.run versus the same chain in eager
// tfjs (inside tf.tidy, and with manual dispose), same process and backend.
import { add, constant, Graph, Session, type Tensor } from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { type Bench, type Row, round, timeInterleaved } from './util.js';

const CHAIN = 2000;
const REPS = Number(process.env.BENCH_REPS ?? 60);

function eagerTidy(zero: tfc.Tensor, one: tfc.Tensor): void {
  const y = tfc.tidy(() => {
    let y = zero;
    for (let i = 0; i < CHAIN; i++) y = tfc.add(y, one);
    return y;
  });
  y.dataSync();
  y.dispose();
}

function eagerManual(zero: tfc.Tensor, one: tfc.Tensor): void {
  let y = tfc.add(zero, one);
  for (let i = 1; i < CHAIN; i++) {
    const next = tfc.add(y, one);
    y.dispose();
    y = next;
  }
  y.dataSync();
  y.dispose();
}

async function measure(backend: 'cpu' | 'wasm'): Promise<Row> {
  const graph = new Graph();
  const y = graph.asDefault(() => {
    const one = constant(1);
    let y: Tensor = constant(0);
    for (let i = 0; i < CHAIN; i++) y = add(y, one);
    return y;
  });
  const sess = await Session.create(graph, { backend });
  const check = sess.run(y).item();
  if (check !== CHAIN) throw new Error(`chain computed ${check}, expected ${CHAIN}`);
  const previous = tfc.getBackend();
  await tfc.setBackend(backend);
  const zero = tfc.scalar(0);
  const one = tfc.scalar(1);
  const [session, tidy, manual] = timeInterleaved(
    [() => sess.run(y), () => eagerTidy(zero, one), () => eagerManual(zero, one)],
    REPS,
  ) as [number, number, number];
  zero.dispose();
  one.dispose();
  sess.close();
  await tfc.setBackend(previous);
  const us = (ms: number) => round((ms * 1000) / CHAIN, 3);
  return {
    backend,
    'session µs/op': us(session),
    'eager tidy µs/op': us(tidy),
    'eager manual µs/op': us(manual),
    'ratio vs tidy': round(session / tidy),
    'ratio vs manual': round(session / manual),
  };
}

const bench: Bench = {
  name: 'overhead',
  description: `${CHAIN} chained scalar adds, median of ${REPS} runs after warm-up`,
  async run() {
    const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];
    const rows: Row[] = [];
    for (const b of backends) rows.push(await measure(b));
    return rows;
  },
};
export default bench;
