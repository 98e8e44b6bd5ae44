// Benchmark runner: `npm run bench [-- <name filter>]` runs every module in BENCHES, prints one
// table per module and writes all rows to bench/results/<timestamp>.json.
// Adding a benchmark is one line in BENCHES: a module whose default export is a `Bench`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../scripts/quiet_tfjs.js';
import type { Bench, Row } from './util.js';

const BENCHES: (() => Promise<{ default: Bench }>)[] = [
  () => import('./overhead.js'),
  () => import('./construction.js'),
  () => import('./gradient_construction.js'),
  () => import('./train.js'),
  () => import('./checkpoint.js'),
  () => import('./control_flow.js'),
  () => import('./lstm.js'),
  () => import('./convnet.js'),
  () => import('./onnx.js'),
  () => import('./soak.js'),
];

const filter = process.argv[2];
const results: Record<string, Row[]> = {};
for (const load of BENCHES) {
  const bench = (await load()).default;
  if (filter && !bench.name.includes(filter)) continue;
  if (!filter && bench.name === 'soak') continue; // minutes long: only on request
  console.log(`\n## ${bench.name}: ${bench.description}`);
  const rows = await bench.run();
  console.table(rows);
  results[bench.name] = rows;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ node: process.version, results }, null, 2));
console.log(`\nwrote ${file}`);
