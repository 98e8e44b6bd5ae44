// Shared bench helpers: the module contract and robust timing.

export type Row = Record<string, string | number>;
export interface Bench {
  name: string;
  description: string;
  run(): Promise<Row[]>;
}

/** Median of `reps` timings (ms) of `fn`, after `warmup` untimed calls. */
export function timeMedian(fn: () => void, reps: number, warmup = Math.ceil(reps / 4)): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/**
 * Medians (ms) of several variants timed round-robin, so that machine load drifting during the
 * measurement affects every variant alike.
 */
export function timeInterleaved(
  fns: readonly (() => void)[],
  reps: number,
  warmup = Math.ceil(reps / 4),
): number[] {
  for (let i = 0; i < warmup; i++) for (const fn of fns) fn();
  const times = fns.map((): number[] => []);
  for (let i = 0; i < reps; i++) {
    fns.forEach((fn, k) => {
      const t0 = performance.now();
      fn();
      times[k]!.push(performance.now() - t0);
    });
  }
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]!);
}
