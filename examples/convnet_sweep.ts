// Seed sweep of the main job: runs `examples/mnist_convnet.ts --fresh --seed S` once per seed,
// one after another (the machine has 2 cores), and prints a markdown table of held-out accuracy,
// CPU and wall time per seed with the mean and the minimum — the figures README.md quotes.
//
//   npx tsx --conditions=source examples/convnet_sweep.ts --seeds 1,2,3,4,5 [-- <main-job options>]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface SweepRow {
  seed: number;
  /** Held-out accuracy in %. */
  accuracy: number;
  cpuSeconds: number;
  wallSeconds: number;
}

/** Reads the main job's closing lines ('held-out accuracy: 98.45% …', 'total: 88.1 s wall, 86.0 s CPU'). */
export function parseRun(seed: number, output: string): SweepRow {
  const acc = /held-out accuracy: ([\d.]+)%/.exec(output);
  const total = /total: ([\d.]+) s wall, ([\d.]+) s CPU/.exec(output);
  if (!acc || !total)
    throw new Error(`seed ${seed}: no accuracy/total lines in the main job's output:\n${output}`);
  return { seed, accuracy: Number(acc[1]), wallSeconds: Number(total[1]), cpuSeconds: Number(total[2]) };
}

/** The sweep as a markdown table, with mean and min rows. */
export function sweepTable(rows: readonly SweepRow[]): string {
  const mean = (f: (r: SweepRow) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const min = (f: (r: SweepRow) => number) => Math.min(...rows.map(f));
  const line = (a: string, acc: number, cpu: number, wall: number) =>
    `| ${a} | ${acc.toFixed(2)}% | ${cpu.toFixed(1)} | ${wall.toFixed(1)} |`;
  return [
    '| seed | held-out accuracy | CPU s | wall s |',
    '|---|---|---|---|',
    ...rows.map((r) => line(String(r.seed), r.accuracy, r.cpuSeconds, r.wallSeconds)),
    line(
      '**mean**',
      mean((r) => r.accuracy),
      mean((r) => r.cpuSeconds),
      mean((r) => r.wallSeconds),
    ),
    line(
      '**min**',
      min((r) => r.accuracy),
      min((r) => r.cpuSeconds),
      min((r) => r.wallSeconds),
    ),
  ].join('\n');
}

function runOne(seed: number, logdir: string, extra: readonly string[]): Promise<SweepRow> {
  const script = fileURLToPath(new URL('./mnist_convnet.ts', import.meta.url));
  const args = [
    '--conditions=source',
    '--import',
    'tsx',
    script,
    '--fresh',
    '--seed',
    String(seed),
    '--logdir',
    logdir,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`seed ${seed}: the main job exited with ${code}:\n${out}`));
      else {
        try {
          resolve(parseRun(seed, out));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { seeds: { type: 'string', default: '1,2,3,4,5' } },
    allowPositionals: true,
  });
  const seeds = values.seeds.split(',').map(Number);
  if (seeds.some((s) => !(Number.isInteger(s) && s > 0)))
    throw new Error(`--seeds must be positive integers separated by commas, got ${values.seeds}`);
  const rows: SweepRow[] = [];
  for (const seed of seeds) {
    const logdir = await mkdtemp(join(tmpdir(), 'graphmode-sweep-'));
    try {
      const row = await runOne(seed, logdir, positionals);
      rows.push(row);
      console.log(
        `seed ${seed}: ${row.accuracy.toFixed(2)}% in ${row.cpuSeconds} s CPU, ${row.wallSeconds} s wall`,
      );
    } finally {
      await rm(logdir, { recursive: true, force: true });
    }
  }
  console.log(sweepTable(rows));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
