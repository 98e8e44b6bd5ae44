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
  /** With the weights' moving averages, batch norm recalibrated (when the model keeps them), in %. */
  averaged?: number;
}

/** Reads the main job's closing lines ('held-out accuracy: 98.45% …', 'total: 88.1 s wall, 86.0 s CPU'). */
export function parseRun(seed: number, output: string): SweepRow {
  const acc = /held-out accuracy: ([\d.]+)%/.exec(output);
  const total = /total: ([\d.]+) s wall, ([\d.]+) s CPU/.exec(output);
  if (!acc || !total)
    throw new Error(`seed ${seed}: no accuracy/total lines in the main job's output:\n${output}`);
  const row: SweepRow = {
    seed,
    accuracy: Number(acc[1]),
    cpuSeconds: Number(total[2]),
    wallSeconds: Number(total[1]),
  };
  const averaged = /with batch norm recalibrated ([\d.]+)%/.exec(output);
  return averaged ? { ...row, averaged: Number(averaged[1]) } : row;
}

/** The sweep as a markdown table, with mean and min rows (and a weight-average column when measured). */
export function sweepTable(rows: readonly SweepRow[]): string {
  const withAverages = rows.every((r) => r.averaged !== undefined);
  const mean = (f: (r: SweepRow) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const min = (f: (r: SweepRow) => number) => Math.min(...rows.map(f));
  const stat = (of: (f: (r: SweepRow) => number) => number): SweepRow => ({
    seed: Number.NaN,
    accuracy: of((r) => r.accuracy),
    cpuSeconds: of((r) => r.cpuSeconds),
    wallSeconds: of((r) => r.wallSeconds),
    averaged: withAverages ? of((r) => r.averaged!) : undefined,
  });
  const line = (label: string, r: SweepRow) =>
    `| ${label} | ${r.accuracy.toFixed(2)}% |${withAverages ? ` ${r.averaged!.toFixed(2)}% |` : ''} ${r.cpuSeconds.toFixed(1)} | ${r.wallSeconds.toFixed(1)} |`;
  return [
    `| seed | held-out accuracy |${withAverages ? ' weight averages |' : ''} CPU s | wall s |`,
    `|---|---|${withAverages ? '---|' : ''}---|---|`,
    ...rows.map((r) => line(String(r.seed), r)),
    line('**mean**', stat(mean)),
    line('**min**', stat(min)),
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
      const averaged = row.averaged === undefined ? '' : ` (weight averages ${row.averaged.toFixed(2)}%)`;
      console.log(
        `seed ${seed}: ${row.accuracy.toFixed(2)}%${averaged} in ${row.cpuSeconds} s CPU, ${row.wallSeconds} s wall`,
      );
    } finally {
      await rm(logdir, { recursive: true, force: true });
    }
  }
  console.log(sweepTable(rows));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
