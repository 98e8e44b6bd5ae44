// The main job's curves: kept in `<logdir>/curve.json` across resumed runs, drawn in the terminal
// with asciichart and written as an SVG with vega-lite (rendered headless by vega's View).
import { readFile, rename, writeFile } from 'node:fs/promises';
import asciichart from 'asciichart';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { CurvePoint } from './hooks.js';

/** The curve recorded by earlier runs in `file` (empty when there is none). */
export async function loadCurve(file: string): Promise<CurvePoint[]> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CurvePoint[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Writes `text` to `file` through a temporary file and a rename, so no half-written file is left. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** Points at or before the first step of `next` are dropped: a resumed run replaces them. */
export function mergeCurves(earlier: readonly CurvePoint[], next: readonly CurvePoint[]): CurvePoint[] {
  const from = next[0]?.step ?? Number.POSITIVE_INFINITY;
  return [...earlier.filter((p) => p.step < from), ...next];
}

/** Means of consecutive windows of `width` points (the last window may be shorter). */
export function windowMeans(curve: readonly CurvePoint[], width: number): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (let at = 0; at < curve.length; at += width) {
    const w = curve.slice(at, at + width);
    const mean = (f: (p: CurvePoint) => number) => w.reduce((s, p) => s + f(p), 0) / w.length;
    out.push({ step: w[w.length - 1]!.step, loss: mean((p) => p.loss), accuracy: mean((p) => p.accuracy) });
  }
  return out;
}

/** The loss and the batch accuracy (in %), one series each, `width` columns wide. */
export function terminalChart(curve: readonly CurvePoint[], width = 60): string {
  const points = windowMeans(curve, Math.max(1, Math.ceil(curve.length / width)));
  const fmt = (x: number) => x.toFixed(2).padStart(7);
  const loss = asciichart.plot(
    points.map((p) => p.loss),
    { height: 8, format: fmt },
  );
  const acc = asciichart.plot(
    points.map((p) => 100 * p.accuracy),
    { height: 8, format: fmt },
  );
  const span = `steps ${curve[0]!.step}–${curve[curve.length - 1]!.step}`;
  return `training loss (${span})\n${loss}\n\ntraining batch accuracy, % (${span})\n${acc}`;
}

/** An SVG of loss and accuracy against the step, two panels side by side. */
export async function curveSvg(curve: readonly CurvePoint[], heldOutAccuracy: number): Promise<string> {
  const values = windowMeans(curve, Math.max(1, Math.ceil(curve.length / 200)));
  const panel = (field: string, title: string) => ({
    width: 360,
    height: 220,
    mark: { type: 'line', interpolate: 'monotone' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'global step' },
      y: { field, type: 'quantitative', title, scale: { zero: false } },
    },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `mnist convnet — held-out accuracy ${(100 * heldOutAccuracy).toFixed(2)}%`,
    data: { values },
    hconcat: [panel('loss', 'training loss'), panel('accuracy', 'training batch accuracy')],
  } as vl.TopLevelSpec;
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
